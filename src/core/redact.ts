/**
 * Secrets are tainted at the source: whoever reads a secret from a trusted source (an AWS
 * key from a container environment, a password from the broker's clusterdata, the
 * operator's files and flags) registers it here at once, and every writer (journal,
 * transcript, logs, error messages) passes its text through redact() before it leaves the
 * process. Log payloads are never a source: a tenant can log any text, and a "password"
 * equal to a bucket name would hide every archive URL. A log line quoted as evidence has
 * the values under its secret-named keys masked instead (maskSecretFields).
 */
import { isGuidAnyCase } from './guid.js';
import { escapeRegExp } from './regexp.js';

export const REDACTED = '[REDACTED]';

const MIN_SECRET_LENGTH = 4;

export class Redactor {
  private readonly secrets = new Set<string>();
  private readonly visible = new Set<string>();
  private pattern: RegExp | null = null;

  /**
   * Register a secret value. Short or empty values are ignored: they would redact ordinary text;
   * so are GUIDs, paths, URLs and values kept visible (bucket names): a run is read by them.
   */
  register(value: string | undefined | null): void {
    if (!value || value.length < MIN_SECRET_LENGTH || this.secrets.has(value) || !mayBeSecret(value) || this.visible.has(value)) return;
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

  /** A value that names a thing (a bucket) is never redacted, even when registered before. */
  keepVisible(value: string): void {
    this.visible.add(value);
    if (!this.secrets.delete(value)) return;
    this.secrets.delete(encodeURIComponent(value));
    this.secrets.delete(JSON.stringify(value).slice(1, -1));
    this.pattern = null;
  }

  /** A redactor that starts with what this one knows and learns apart from it (a run's, from the command line's). */
  copy(): Redactor {
    const r = new Redactor();
    for (const v of this.secrets) r.secrets.add(v);
    for (const v of this.visible) r.visible.add(v);
    return r;
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

/** GUIDs, absolute paths and URLs name things; redacting them would hide what a run acts on. */
function mayBeSecret(value: string): boolean {
  return !isGuidAnyCase(value) && !value.startsWith('/') && !value.includes('://');
}

/** Register with `redactor` every value under a secret-looking key (password, secret...) at any depth of a trusted record. */
export function registerSecretFields(value: unknown, redactor: Redactor, depth = 0): void {
  if (depth > 8 || !value || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' && isSecretName(k)) redactor.register(v);
    else if (typeof v === 'object') registerSecretFields(v, redactor, depth + 1);
  }
}

const SECRET_WORD = 'SECRET|PASSWORD|PASSWD|TOKEN|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL|API_KEY';
/** `"key": "value"` (JSON) or `"key"=>"value"` (Ruby) under a secret-looking key. */
const SECRET_FIELD = new RegExp(String.raw`("[^"\\]*(?:${SECRET_WORD})[^"\\]*"\s*(?::|=>)\s*")((?:[^"\\]|\\.)*)"`, 'gi');
/** `NAME=value` environment entries under a secret-looking name (cf-containers-broker's Create options). */
const SECRET_ENV = new RegExp(String.raw`\b([A-Z][A-Z0-9_]*(?:${SECRET_WORD})[A-Z0-9_]*=)([^"',\]\s]*)`, 'g');
const ANY_SECRET_WORD = new RegExp(SECRET_WORD, 'i');

/**
 * A log line with the values under its secret-named keys masked (restore.done's passwords, the
 * AWS keys in Create options), for quoting it as evidence without registering what it holds.
 */
export function maskSecretFields(line: string): string {
  if (!ANY_SECRET_WORD.test(line)) return line;
  return line.replace(SECRET_FIELD, `$1${REDACTED}"`).replace(SECRET_ENV, `$1${REDACTED}`);
}
