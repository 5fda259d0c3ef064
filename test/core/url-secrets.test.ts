import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../../src/engine/journal/index.js';
import { secrets } from '../../src/core/invocation.js';
import { REDACTED, Redactor } from '../../src/core/redact.js';
import { Reporter } from '../../src/engine/operator/index.js';
import { stripUrlCredentials } from '../../src/core/url-secrets.js';
import { processRuntime } from '../../src/core/runtime.js';

const dirs: string[] = [];
afterEach(() => {
  dirs.splice(0).forEach((d) => {
    rmSync(d, { recursive: true, force: true });
  });
});

/** A password with characters a URL must encode. */
const CANARY = 'canary-7Qz/p@ss:w0rd+x';
const ENCODED = encodeURIComponent(CANARY);

/** Every form the canary may take in text: as is, percent-encoded, JSON-escaped, in a Basic authorization header. */
function forms(user: string | null, secret: string): string[] {
  const out = [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
  if (user !== null) out.push(Buffer.from(`${user}:${secret}`).toString('base64'));
  return out;
}

/** Writes `text` where a run writes: the journal (redacted JSON on disk) and the screen (the reporter). */
function written(redactor: Redactor, text: string): { journal: string; screen: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dr-url-secrets-'));
  dirs.push(dir);
  const file = join(dir, 'journal.ndjson');
  const journal = new Journal(file, processRuntime(redactor));
  journal.append({
    type: 'run.created',
    runId: 'r1',
    runbook: { file: 'f', name: 'n', sha256: 'x' },
    mode: 'live',
    options: { esUrl: text },
  });
  journal.append({ type: 'note', text });
  journal.close();
  let screen = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      screen += chunk.toString();
      done();
    },
  });
  new Reporter(out, redactor, false).note(text);
  return { journal: readFileSync(file, 'utf8'), screen };
}

function expectNoCanary(text: string, all: string[]): void {
  for (const f of all) expect(text).not.toContain(f);
}

describe('credentials in URL flags', () => {
  it('takes user:password out of the URL, keeps it in memory, and redacts every form of it everywhere', () => {
    const r = new Redactor();
    const given = `https://elastic:${ENCODED}@logs.example.com:9200/`;
    const got = stripUrlCredentials('--es-url', given, r);
    expect(got.url).toBe('https://logs.example.com:9200/');
    expect(got.credentials).toEqual({ username: 'elastic', password: CANARY, query: [], original: given });
    expect(got.notice).toBe(
      '--es-url: took user:password out of the URL; the journal records https://logs.example.com:9200/, and the credentials are kept in memory only',
    );

    const all = forms('elastic', CANARY);
    const leak = [given, `elastic:${CANARY}`, ...all, `Authorization: Basic ${Buffer.from(`elastic:${CANARY}`).toString('base64')}`].join(
      ' | ',
    );
    const { journal, screen } = written(r, leak);
    expectNoCanary(journal, all);
    expectNoCanary(screen, all);
    expect(journal).toContain(`https://${REDACTED}@logs.example.com:9200/`);
    expect(screen).toContain(`https://${REDACTED}@logs.example.com:9200/`);
  });

  it('takes secret query parameters out and leaves the others where they were', () => {
    const r = new Redactor();
    const signature = 'canarysig0123456789abcdef';
    const given =
      `https://s3.example.com/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIACANARY%2F20260101%2Fus-east-1%2Fs3%2Faws4_request` +
      `&X-Amz-Signature=${signature}&part=2&access_key=canary-access-key&token=${ENCODED}&password=canary+pass%21#top`;
    const got = stripUrlCredentials('--s3-endpoint', given, r);
    expect(got.url).toBe('https://s3.example.com/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&part=2#top');
    expect(got.credentials).toEqual({
      username: null,
      password: null,
      original: given,
      query: [
        { name: 'X-Amz-Credential', value: 'AKIACANARY/20260101/us-east-1/s3/aws4_request' },
        { name: 'X-Amz-Signature', value: signature },
        { name: 'access_key', value: 'canary-access-key' },
        { name: 'token', value: CANARY },
        { name: 'password', value: 'canary pass!' },
      ],
    });
    const all = [
      ...forms(null, signature),
      ...forms(null, CANARY),
      'canary-access-key',
      'canary pass!',
      'canary+pass%21',
      'AKIACANARY%2F20260101',
    ];
    const { journal, screen } = written(r, `${given} ${CANARY} canary pass!`);
    expectNoCanary(journal, all);
    expectNoCanary(screen, all);
    expect(got.notice).toContain(
      '--s3-endpoint: took query parameter X-Amz-Credential, query parameter X-Amz-Signature, query parameter access_key',
    );
  });

  it('finds a percent-encoded password and one whose unencoded "/" or "?" leaves the URL unparsable', () => {
    const r = new Redactor();
    const encoded = stripUrlCredentials('--es-url', `http://ops:${ENCODED}@10.0.0.5:9200`, r);
    expect(encoded).toMatchObject({ url: 'http://10.0.0.5:9200', credentials: { username: 'ops', password: CANARY } });
    expect(r.redact(`${CANARY} ${ENCODED}`)).toBe(`${REDACTED} ${REDACTED}`);

    const raw = 'canary/pa?ss-word';
    const unparsable = stripUrlCredentials('--es-url', `http://ops:${raw}@10.0.0.5:9200/logs`, r);
    expect(unparsable).toMatchObject({ url: 'http://10.0.0.5:9200/logs', credentials: { username: 'ops', password: raw } });
    expect(r.redact(`ops:${raw} and ${raw}`)).toBe(`${REDACTED} and ${REDACTED}`);
  });

  it('takes a long token given as the user name, and leaves a short user name alone', () => {
    const r = new Redactor();
    const token = 'ghp_canaryTOKEN0123456789';
    expect(stripUrlCredentials('--es-url', `https://${token}@es.example.com`, r)).toMatchObject({
      url: 'https://es.example.com',
      credentials: { username: token, password: null },
    });
    expect(r.redact(token)).toBe(REDACTED);
    expect(stripUrlCredentials('--es-url', 'https://elastic@es.example.com', r)).toEqual({
      url: 'https://elastic@es.example.com',
      credentials: null,
      notice: null,
    });
    expect(r.redact('elastic')).toBe('elastic');
  });

  it('returns a URL without credentials exactly as given', () => {
    const r = new Redactor();
    for (const url of [
      'http://127.0.0.1:9000',
      'https://ES.example.com:443',
      's3://dingo-clusterdata/prefix',
      'minio.local:9000',
      'https://h/x?part=1&X-Amz-Algorithm=AWS4-HMAC-SHA256',
      's3://bucket/key@v2',
    ]) {
      expect(stripUrlCredentials('--s3-endpoint', url, r)).toEqual({ url, credentials: null, notice: null });
    }
    expect(r.size).toBe(0);
  });

  it('registers with the redactor it is given, and works without a scheme', () => {
    const got = stripUrlCredentials('--s3-endpoint', `minio:${ENCODED}@minio.local:9000`, secrets());
    expect(got.url).toBe('minio.local:9000');
    expect(secrets().redact(`key ${CANARY}`)).toBe(`key ${REDACTED}`);
  });
});
