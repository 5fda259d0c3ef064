/**
 * Arbitrary folders of hostile platform logs for the finder's property tests: lines of the
 * families the finder reads with random and impossible times, truncated JSON, NUL bytes and
 * terminal escapes, random bytes, plain/gzip/truncated/corrupt files, huge lines, symlink
 * loops, dangling and self links, FIFOs and unreadable files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';

const GUIDS = ['6e101b27-ee1b-4f4d-a032-4401a3709ec3', '11111111-2222-4333-8444-555555555555', 'c8ce128e-7b4c-4fe7-a533-e9379356f906'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Dec', 'Foo'];
const HOSTILE = ['\u001b]0;owned\u0007', '\u001b[2J', '\u0000', '\r', '\u009b31m', '\u202e', '\ufeff', '\ud800'];
const MESSAGES = [
  'deprovision.start',
  'remove-random-node.perform',
  'cluster.remove-node.perform',
  'provision.start',
  'provision.lookup-service-name.update-recreation-data.saved',
  'callbacks.restore.done',
  'add-node.perform',
];

const guid = fc.constantFrom(...GUIDS);
const hostileText = fc.oneof(fc.constantFrom('important-db', 'other-db', ''), fc.constantFrom(...HOSTILE), fc.string({ maxLength: 12 }));

/** Times as logs write them, and as they should never be written. */
const epochText = fc.oneof(
  fc.integer({ min: 1_400_000_000, max: 1_600_000_000 }).map((s) => `${s}.5`),
  fc.constantFrom('8640000000000.1', '8640000000000', '99999999999999999999999999', '0', '1e400', '-1', '', 'NaN'),
  fc.constantFrom(
    '2017-13-01T00:00:00Z',
    '2016-02-30T06:10:17Z',
    '2017-01-10T06:10:17.123456789Z',
    '+275760-09-13T00:00:00.001Z',
    'yesterday',
  ),
);
const isoText = fc.oneof(
  fc.date({ min: new Date('2015-01-01'), max: new Date('2018-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(
    '2016-02-30T06:10:17Z',
    '2016-03-17T24:00:00Z',
    '2016-03-17T23:59:60Z',
    '-',
    '+999999-01-01T00:00:00Z',
    '2016-03-17T06:10:17+99:99',
    'garbage',
  ),
);
const syslogPrefix = fc.oneof(
  fc
    .tuple(fc.constantFrom(...MONTHS), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }))
    .map(([m, d, h, mi]) => `${m} ${String(d).padStart(2, ' ')} ${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:17 router`),
  isoText.map((t) => `<14>1 ${t} router`),
);

const lagerLine = fc
  .tuple(syslogPrefix, epochText, fc.constantFrom(...MESSAGES), guid, hostileText, fc.boolean(), fc.option(fc.nat(300)))
  .map(([prefix, ts, message, id, name, asNumber, cut]) => {
    const data = { 'instance-id': id, name, 'node-uuid': GUIDS[2], clusterData: { instance_id: id, service_instance_name: name } };
    const stamp = asNumber && /^[\d.e-]+$/.test(ts) && ts !== '' ? ts : JSON.stringify(ts);
    const json = `{"timestamp":${stamp},"source":"dingo-postgresql-broker","message":"dingo-postgresql-broker.${message}","log_level":1,"data":${JSON.stringify(data)}}`;
    const body = prefix.startsWith('<') ? `${prefix} broker.stdout.log - - - ${json}` : `${prefix} broker.stdout.log:  ${json}`;
    return cut === null ? body : body.slice(0, cut);
  });

const waleLine = fc
  .tuple(syslogPrefix, guid, isoText, fc.constantFrom('begin', 'complete'), hostileText)
  .map(
    ([prefix, id, t, state, junk]) =>
      `${prefix.startsWith('<') ? `${prefix} docker/cf-${GUIDS[2]} - - -` : `${prefix} docker/cf-${GUIDS[2]}:`}  patroni>         STRUCTURED: time=${t.replace(/Z$/, '-00')} pid=1 action=push-wal key=s3://b/backups/${id}/wal/wal_005/1.lzo prefix=backups/${id}/wal/ seg=1 state=${state} ${junk}`,
  );
const confdLine = fc
  .tuple(syslogPrefix, isoText)
  .map(([prefix, t]) => `${prefix} confd:  ${t} router confd[1]: INFO Target config /etc/haproxy/haproxy.cfg has been updated`);
const containerLine = fc
  .tuple(syslogPrefix, guid, hostileText)
  .map(([prefix, id, junk]) => `${prefix} docker/cf-${id}:  startup> public address 10.0.0.1:5432 ${junk} PATRONI_SCOPE=${id}`);

export const line = fc.oneof(
  { weight: 4, arbitrary: lagerLine },
  { weight: 2, arbitrary: waleLine },
  { weight: 1, arbitrary: confdLine },
  { weight: 1, arbitrary: containerLine },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...HOSTILE).map((h) => `Jan 10 12:00:00 router broker.stdout.log:  {"timestamp"${h} /wal/ Target`),
  },
);

const fileName = fc.constantFrom(
  'broker.log',
  'syslog',
  'messages.1',
  'daemon.log.2.gz',
  'notes.bin',
  'x.txt',
  'cell.log.1',
  '\u001b[2J.log',
);

export type Entry =
  | {
      kind: 'lines';
      name: string;
      lines: string[];
      gzip: boolean;
      cutGzip: number | null;
      flip: number | null;
      mtimeSeconds: number | null;
    }
  | { kind: 'bytes'; name: string; bytes: Uint8Array }
  | { kind: 'huge'; name: string }
  | { kind: 'loop'; target: '.' | '..' }
  | { kind: 'dangling' | 'self' | 'fifo' | 'unreadable' | 'linkToFirst' }
  | { kind: 'dir'; name: string; entries: Entry[] };

const leaf: fc.Arbitrary<Entry> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('lines' as const),
      name: fileName,
      lines: fc.array(line, { maxLength: 40 }),
      gzip: fc.boolean(),
      cutGzip: fc.option(fc.nat(400)),
      flip: fc.option(fc.nat(400)),
      mtimeSeconds: fc.option(fc.constantFrom(0, -1, 1e13, 4102444800)),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('bytes' as const), name: fileName, bytes: fc.uint8Array({ maxLength: 3000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('huge' as const), name: fileName }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('loop' as const), target: fc.constantFrom('.' as const, '..' as const) }) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom('dangling' as const, 'self' as const, 'fifo' as const, 'unreadable' as const, 'linkToFirst' as const)
      .map((kind) => ({ kind })),
  },
);

export const folderSpec: fc.Arbitrary<Entry[]> = fc.array(
  fc.oneof(
    { weight: 5, arbitrary: leaf },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('dir' as const),
        name: fc.constantFrom('sub', 'syslog.d'),
        entries: fc.array(leaf, { maxLength: 4 }),
      }),
    },
  ),
  { minLength: 1, maxLength: 7 },
);

const isRoot = process.getuid?.() === 0;

/** Writes the folder; returns the paths of its top-level entries. */
export async function materialize(dir: string, entries: Entry[], written: string[] = []): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  let n = 0;
  const top: string[] = [];
  for (const e of entries) {
    const at = (name: string) => {
      const path = join(dir, `${n++}-${name}`);
      top.push(path);
      return path;
    };
    switch (e.kind) {
      case 'lines': {
        const text = Buffer.from(e.lines.join('\n') + '\n');
        let body = e.gzip ? gzipSync(text) : text;
        if (e.gzip && e.cutGzip !== null) body = body.subarray(0, Math.max(2, body.length - e.cutGzip));
        if (e.flip !== null && body.length > 0) {
          body = Buffer.from(body);
          body[e.flip % body.length]! ^= 0x5a;
        }
        const path = at(e.name);
        await writeFile(path, body);
        if (e.mtimeSeconds !== null) await utimes(path, 0, e.mtimeSeconds).catch(() => undefined);
        written.push(path);
        break;
      }
      case 'bytes': {
        const path = at(e.name);
        await writeFile(path, e.bytes);
        written.push(path);
        break;
      }
      case 'huge': {
        const path = at(e.name);
        await writeFile(
          path,
          `Jan 10 12:00:00 router broker.stdout.log:  {"timestamp" ${'x'.repeat(1_100_000)} /wal/\nJan 10 12:00:01 router broker.stdout.log:  Target\n`,
        );
        written.push(path);
        break;
      }
      case 'loop':
        await symlink(e.target, at('loop'));
        break;
      case 'dangling':
        await symlink('nowhere.log', at('dangling.log'));
        break;
      case 'self': {
        const path = at('self.log');
        await symlink(path, path);
        break;
      }
      case 'fifo':
        spawnSync('mkfifo', [at('pipe.log')]);
        break;
      case 'unreadable': {
        // Root reads any file: its own /proc/self/mem fails to read at offset 0 instead.
        if (isRoot && existsSync('/proc/self/mem')) await symlink('/proc/self/mem', at('mem.log'));
        else {
          const path = at('locked.log');
          await writeFile(path, 'Jan 10 12:00:00 router broker.stdout.log:  Target\n');
          await chmod(path, 0o000);
        }
        break;
      }
      case 'linkToFirst':
        if (written.length) await symlink(written[0]!, at('current.log'));
        break;
      case 'dir':
        await materialize(at(e.name), e.entries, written);
        break;
    }
  }
  return top;
}
