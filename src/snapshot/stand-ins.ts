/**
 * Secrets out of a snapshot before anything is written: container environment values whose names
 * say they are credentials, URL userinfo, and every secret the redactor knows, each replaced by a
 * stand-in. A value keeps one stand-in everywhere it appears, so the rehearsal still sees the same
 * password where the platform had the same password.
 */
import { isSecretName, maskSecretFields, type Redactor } from '../core/redact.js';

/** user:password@ (or token@) in a URL. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@:"']+(?::[^/\s@"']*)?@/gi;

export class StandIns {
  private readonly byValue = new Map<string, string>();

  /** `redactor`: the secrets known so far (the run's, or the command line's). */
  constructor(private readonly redactor: Redactor) {}

  /** The stand-in of a secret value named `name` (e.g. AWS_SECRET_ACCESS_KEY). */
  of(name: string, value: string): string {
    let standIn = this.byValue.get(value);
    if (!standIn) {
      standIn = `stand-in-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${String(this.byValue.size + 1)}`;
      this.byValue.set(value, standIn);
    }
    return standIn;
  }

  /** A container environment (NAME=value lines) with its credentials replaced. */
  env(list: string[]): string[] {
    return list.map((entry) => {
      const eq = entry.indexOf('=');
      if (eq <= 0) return entry;
      const name = entry.slice(0, eq);
      const value = entry.slice(eq + 1);
      return isSecretName(name) && value ? `${name}=${this.of(name, value)}` : entry;
    });
  }

  /** Any text (a log line, the written YAML): known secrets by their stand-ins, URL userinfo dropped, then the redactor's. */
  text(text: string): string {
    let out = text;
    for (const [value, standIn] of [...this.byValue].sort((a, b) => b[0].length - a[0].length)) {
      if (value.length >= 4) out = out.split(value).join(standIn);
    }
    return this.redactor.redact(out.replace(URL_USERINFO, '$1'));
  }

  /** A log line: as text, and the values under its secret-named fields masked (the broker's Create options, restore.done). */
  line(line: string): string {
    return this.text(maskSecretFields(line));
  }
}
