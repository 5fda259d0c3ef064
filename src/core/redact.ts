/**
 * Secrets are tainted at the source: whoever reads a secret (an AWS key from a
 * container environment, a password from a log line) registers it here at once,
 * and every writer (journal, transcript, logs, error messages) passes its text
 * through redact() before it leaves the process.
 */
import { escapeRegExp } from './regexp.js';

export const REDACTED = '[REDACTED]';

const MIN_SECRET_LENGTH = 4;

export class Redactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | null = null;

  /** Register a secret value. Short or empty values are ignored: they would redact ordinary text. */
  register(value: string | undefined | null): void {
    if (!value || value.length < MIN_SECRET_LENGTH || this.secrets.has(value)) return;
    this.secrets.add(value);
    // Encoded forms a secret may take in a URL or in JSON.
    const encoded = encodeURIComponent(value);
    if (encoded !== value) this.secrets.add(encoded);
    const json = JSON.stringify(value).slice(1, -1);
    if (json !== value) this.secrets.add(json);
    this.pattern = null;
  }

  /** Register every value of environment entries (`K=V` strings or a record) whose name looks secret. */
  registerEnv(env: string[] | Record<string, string | undefined>): void {
    const entries = Array.isArray(env)
      ? env.map((e) => {
          const i = e.indexOf('=');
          return [i < 0 ? e : e.slice(0, i), i < 0 ? '' : e.slice(i + 1)] as const;
        })
      : Object.entries(env);
    for (const [name, value] of entries) if (isSecretName(name)) this.register(value ?? '');
  }

  get size(): number {
    return this.secrets.size;
  }

  redact(text: string): string {
    if (this.secrets.size === 0 || !text) return text;
    if (!this.pattern) {
      const alternatives = [...this.secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
      this.pattern = new RegExp(alternatives.join('|'), 'g');
    }
    return text.replace(this.pattern, REDACTED);
  }

  /** Redact every string inside a JSON-compatible value. */
  redactValue<T>(value: T): T {
    if (this.secrets.size === 0) return value;
    return JSON.parse(this.redact(JSON.stringify(value))) as T;
  }
}

/** Names of environment variables whose values are secrets. */
export function isSecretName(name: string): boolean {
  return /(SECRET|PASSWORD|PASSWD|TOKEN|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL|API_KEY)/i.test(name);
}

/** The process-wide registry: one per run, shared by every writer. */
export const secrets = new Redactor();
