/**
 * OpenSSH known_hosts files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): plain, wildcard
 * and negated host patterns, `[host]:port` for other ports, hashed `|1|salt|hash`
 * entries, and `@revoked` keys. Keys are compared as their wire-format blobs.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import { matchHostPatterns } from './ssh-patterns.js';

export interface KnownKey {
  type: string;
  blob: Buffer;
  revoked: boolean;
  file: string;
  line: number;
}

export type HostKeyVerdict =
  | { status: 'known' }
  | { status: 'unknown' }
  | { status: 'revoked'; file: string; line: number }
  | { status: 'changed'; expected: { fingerprint: string; type: string; file: string; line: number }[] };

/** `SHA256:<base64 without padding>`, as `ssh-keygen -lf` prints it. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** The key type named inside a wire-format public key blob (`ssh-ed25519`, ...). */
export function keyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** The name known_hosts uses for a host: `host` on port 22, `[host]:port` otherwise. */
export function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** A known_hosts line that vouches for `blob` under `token`. */
export function knownHostsLine(token: string, blob: Buffer): string {
  return `${token} ${keyType(blob)} ${blob.toString('base64')}`;
}

function hashedMatches(entry: string, token: string): boolean {
  const [, magic, salt, hash] = entry.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(token).digest('base64') === hash;
}

function hostFieldMatches(field: string, token: string): boolean {
  if (field.startsWith('|')) return hashedMatches(field, token);
  return matchHostPatterns(field.toLowerCase().split(','), token.toLowerCase());
}

export class KnownHosts {
  /** `files`: checked in order; missing ones are skipped. */
  constructor(readonly files: string[]) {}

  /** Every key the files hold for a host token. */
  keysFor(token: string): KnownKey[] {
    const keys: KnownKey[] = [];
    for (const file of this.files) {
      if (!existsSync(file)) continue;
      readFileSync(file, 'utf8')
        .split(/\r?\n/)
        .forEach((raw, i) => {
          const line = raw.trim();
          if (!line || line.startsWith('#')) return;
          const fields = line.split(/\s+/);
          let marker: string | undefined;
          if (fields[0]!.startsWith('@')) marker = fields.shift();
          const [hosts, type, b64] = fields;
          // Certificate authorities vouch for certificates, which these connections do not use.
          if (!hosts || !type || !b64 || marker === '@cert-authority') return;
          if (!hostFieldMatches(hosts, token)) return;
          keys.push({ type, blob: Buffer.from(b64, 'base64'), revoked: marker === '@revoked', file, line: i + 1 });
        });
    }
    return keys;
  }

  verify(token: string, presented: Buffer): HostKeyVerdict {
    const keys = this.keysFor(token);
    const revoked = keys.find((k) => k.revoked && k.blob.equals(presented));
    if (revoked) return { status: 'revoked', file: revoked.file, line: revoked.line };
    const valid = keys.filter((k) => !k.revoked);
    if (valid.some((k) => k.blob.equals(presented))) return { status: 'known' };
    if (valid.length === 0) return { status: 'unknown' };
    return {
      status: 'changed',
      expected: valid.map((k) => ({ fingerprint: fingerprint(k.blob), type: k.type, file: k.file, line: k.line })),
    };
  }

  /** Key types already known for a host, so the connection can ask the server for one of them. */
  knownTypes(token: string): string[] {
    return [
      ...new Set(
        this.keysFor(token)
          .filter((k) => !k.revoked)
          .map((k) => k.type),
      ),
    ];
  }

  /** Records an accepted key in the first file (created with its folder if missing). */
  add(token: string, blob: Buffer): string {
    const file = this.files[0];
    if (!file) throw new Error('no known_hosts file to record the host key in');
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const needsNewline = existsSync(file) && !/(^|\n)$/.test(readFileSync(file, 'utf8'));
    appendFileSync(file, `${needsNewline ? '\n' : ''}${knownHostsLine(token, blob)}\n`, { mode: 0o600 });
    return file;
  }
}

/** Host key algorithms to offer, known types first (as OpenSSH orders them), so a known key is the one presented. */
export function preferredHostKeyAlgorithms(knownTypes: string[]): ServerHostKeyAlgorithm[] | undefined {
  if (knownTypes.length === 0) return undefined;
  const defaults: ServerHostKeyAlgorithm[] = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  const isDefault = (a: string): a is ServerHostKeyAlgorithm => defaults.some((d) => d === a);
  const first = knownTypes.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t])).filter(isDefault);
  return [...new Set([...first, ...defaults])];
}
