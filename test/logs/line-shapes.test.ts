/**
 * `logs find --logs` over one file that holds every syslog shape the platform's forwarders write:
 * RFC 3164, RFC 5424, RSYSLOG_ForwardFormat (`<PRI>` and an RFC 3339 time) and RFC 6587
 * octet-counted frames, several on a line and one over lines. It must find what the same lines
 * in RFC 3164 find, and still refuse a tenant's broker-shaped lines behind a container's tag, found
 * by the worker thread that scans large files.
 */
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSyslog } from '../../src/adapters/syslog.js';
import { brokerRecord } from '../support/forged-lines.js';
import { generateLogs, type GeneratedLogs } from '../support/generate-logs.js';
import { runLogs } from '../support/logs-cli.js';
import { WORKER_FROM } from '../../src/systems/syslog/index.js';

let dir: string;
let truth: GeneratedLogs;
let original: string;
let mixed: string;
const FAKE = 'f0f0f0f0-0000-4000-8000-000000000001';

/** The message of a line in the shape numbered `shape`: 0 RFC 3164 as it was, 1 RFC 5424, 2 RFC 3339 after `<PRI>`. */
function reshape(line: string, fileTime: Date, shape: number, spanLines = false): string {
  const s = parseSyslog(line, fileTime);
  if (!s?.time || shape === 0) return line;
  const iso = s.time.toISOString();
  if (shape === 1) return `<14>1 ${iso} ${s.host} ${s.tag} - - -${spanLines ? '\n' : ' '}${s.payload}`;
  return `<14>${iso.replace('Z', '+00:00')} ${s.host} ${s.tag}[4242]: ${s.payload}`;
}

const frame = (message: string): string => `${Buffer.byteLength(message)} ${message}`;

/** Lines in the three line shapes in turn, and two in eight as octet-counted frames, two to a line, wal-e's in RFC 5424 over two lines. */
function mixShapes(lines: string[], fileTime: Date): string {
  return lines
    .map((line, i) => {
      if (i % 8 !== 3 && i % 8 !== 4) return `${reshape(line, fileTime, i % 3)}\n`;
      const framed = frame(reshape(line, fileTime, 1 + (i % 2), i % 8 === 4 && line.includes('/wal/')));
      return i % 8 === 3 ? framed : `${framed}\n`;
    })
    .join('');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'line-shapes-'));
  truth = await generateLogs({ dir: join(dir, 'gen'), seed: 9, files: 1, gzipFrom: Infinity });
  original = truth.files[0]!;
  const { mtime } = await stat(original);
  const lines = (await readFile(original, 'utf8')).split('\n').filter((l) => l !== '');
  // A tenant's database logs broker records behind its container's prefix: a later deletion of an
  // instance it names important-db, in the forwarder's shape and in a frame.
  const deleted = truth.expectedFor('important-db')!;
  const tenant = `${deleted.nodes[0]!.cellAgent} docker/cf-${deleted.nodes[0]!.nodeUuid}:  ${deleted.guid.slice(0, 6)}-patroni> `;
  const at = Date.parse(deleted.deletedAt!) + 3_600_000;
  const forged = [
    `<14>${new Date(at).toISOString()} ${tenant}${brokerRecord(at / 1000, 'provision.lookup-service-name.update-recreation-data.saved', { 'instance-id': FAKE, name: 'important-db' })}\n`,
    frame(
      `<14>1 ${new Date(at + 1000).toISOString()} ${tenant.replace(':  ', ' - - - ')}${brokerRecord(at / 1000 + 1, 'deprovision.start', { 'instance-id': FAKE })}`,
    ),
    '\n',
  ];
  // Cron's lines fill the file past the size scanned on a worker thread, so the tenant's lines are found there.
  const cron = `${lines[0]!.slice(0, 15)} ${deleted.nodes[0]!.cellAgent} CRON[7]: (root) CMD (/var/vcap/bosh/bin/logrotate-cron)\n`;
  mixed = join(dir, 'mixed.log');
  await writeFile(mixed, mixShapes(lines, mtime) + cron.repeat(Math.ceil(WORKER_FROM / cron.length)) + forged.join(''));
  await utimes(mixed, mtime, mtime);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Found {
  candidates: {
    instanceGuid: string;
    serviceName: string | null;
    archivePrefix: string | null;
    deletedAt: string | null;
    lastWalUploadAt: string | null;
  }[];
  searched: { warnings: string[]; badInput: Record<string, number>; problems: string[] };
}

const find = async (file: string): Promise<Found> =>
  JSON.parse(await runLogs(['logs', 'find', '--service-name', 'important-db', '--logs', file, '--json'])) as Found;

describe('logs find over a file of mixed syslog shapes', () => {
  it('holds each shape: RFC 3164, RFC 5424, RFC 3339 after <PRI>, frames two to a line and over lines', async () => {
    const text = await readFile(mixed, 'utf8');
    const shapes = {
      rfc3164: /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ /m,
      rfc5424: /^<14>1 \d{4}-/m,
      rfc3339: /^<14>\d{4}-\d\d-\d\dT[\d:.]+\+00:00 \S+ \S+\[4242\]: /m,
      twoFramesOnALine: /^[1-9]\d* <14>.*[^\n][1-9]\d* <14>/m,
      frameOverLines: /\d <14>1 [^\n]* - - -\n[^\n]*\/wal\//,
    };
    for (const [shape, pattern] of Object.entries(shapes)) expect(pattern.test(text), shape).toBe(true);
  });

  it('finds the instance the same lines in RFC 3164 find, and refuses the tenant’s broker-shaped lines', async () => {
    const want = truth.expectedFor('important-db')!;
    const [before, after] = [await find(original), await find(mixed)];
    const first = (f: Found) => {
      const c = f.candidates[0]!;
      // An RFC 5424 line's time is the platform's, to the second, where wal-e's own (to the microsecond) dated the RFC 3164 one.
      return [c.instanceGuid, c.serviceName, c.archivePrefix, c.deletedAt, c.lastWalUploadAt?.slice(0, 19)];
    };
    expect(first(after)).toEqual([want.guid, 'important-db', want.archivePrefix, first(before)[3], first(before)[4]]);
    expect(after.candidates.map((c) => c.instanceGuid)).toEqual(before.candidates.map((c) => c.instanceGuid));
    expect(after.candidates.map((c) => c.instanceGuid)).not.toContain(FAKE);
    expect(after.searched.warnings).toContainEqual(
      `2 broker-shaped line(s) written by container cf-${want.nodes[0]!.nodeUuid} ignored: that source does not write such lines (a tenant's database can log any text)`,
    );
    expect(after.searched.badInput.unparsedLine).toBe(0);
    expect(after.searched.badInput.unknownFormat).toBe(0);
  });
});
