import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTime } from '../../src/commands/logs/time.js';
import { UsageError } from '../../src/core/errors.js';
import { isoDate, isValidDate } from '../../src/adapters/log-dates.js';
import { findDeletedInstance, findInstance } from '../../src/logs/find.js';
import { parsePayload } from '../../src/adapters/log-payload.js';
import { waleTime } from '../../src/adapters/wale-lines.js';
import { renderCandidates, renderInstance } from '../../src/commands/logs/render.js';
import { parseSyslog } from '../../src/adapters/syslog.js';
import { emptyReport, MAX_PROBLEMS, MAX_SKIPPED, type SkippedInput } from '../../src/core/log-source.js';
import { RAW_CONTROL } from '../support/control-chars.js';
import { runLogs } from '../support/logs-cli.js';
import { openLogSource } from '../../src/systems/log-source.js';
import { Redactor } from '../../src/core/redact.js';

const GUID = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
const OTHER = '11111111-2222-4333-8444-555555555555';
const NODE = 'c8ce128e-7b4c-4fe7-a533-e9379356f906';
const PREFIX = `s3://our-postgresql-backups/backups/${GUID}/wal/`;

function lager(prefixTime: string, ts: string, message: string, data: Record<string, unknown>): string {
  return `${prefixTime} router broker.stdout.log:  {"timestamp":"${ts}","source":"dingo-postgresql-broker","message":"dingo-postgresql-broker.${message}","log_level":1,"data":${JSON.stringify(data)}}`;
}

/** The lines that show GUID named important-db, archived and deleted (2017 broker). */
const GOOD = [
  lager('Jan 10 11:00:00', '1484046000.5', 'provision.lookup-service-name.update-recreation-data.saved', {
    'instance-id': GUID,
    name: 'important-db',
  }),
  `Jan 10 11:30:00 cell docker/cf-${NODE}:  6e101b-patroni> DETAIL: Uploading "pg_xlog/000000010000000000000001" to "${PREFIX}wal_005/000000010000000000000001.lzo".`,
  lager('Jan 10 12:00:00', '1484049600.5', 'deprovision.start', { 'instance-id': GUID }),
];

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'logs-hostile-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function folder(name: string, files: Record<string, string | Buffer>): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  for (const [f, body] of Object.entries(files)) {
    await mkdir(join(dir, f, '..'), { recursive: true });
    await writeFile(join(dir, f), body);
    await utimes(join(dir, f), new Date('2017-01-11T00:00:00Z'), new Date('2017-01-11T00:00:00Z'));
  }
  return dir;
}

function skippedOf(list: SkippedInput[], kind: SkippedInput['kind']): SkippedInput[] {
  return list.filter((s) => s.kind === kind);
}

/** Fails a test that would hang: a search that does not come back in time is a bug here. */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => {
        reject(new Error(`no answer within ${ms} ms`));
      }, ms).unref(),
    ),
  ]);
}

describe('dates the parsers cannot represent', () => {
  it('a lager timestamp out of range is a skipped line, with its file and line, and the search still answers', async () => {
    const bad = lager('Jan 10 12:05:00', '8640000000000.1', 'deprovision.start', { 'instance-id': OTHER });
    const dir = await folder('lager-range', { 'broker.log': [GOOD[0], bad, ...GOOD.slice(1)].join('\n') + '\n' });
    const r = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [dir] }),
      serviceName: 'important-db',
    });
    expect(r.candidates.map((c) => c.instanceGuid)).toEqual([GUID]);
    const [entry] = skippedOf(r.searched.skipped, 'badDate');
    expect(entry).toMatchObject({ path: join(dir, 'broker.log'), line: 2, kind: 'badDate' });
    expect(entry!.why).toMatch(/broker \(lager\) timestamp is not a date.*the line was not used/);
    expect(r.searched.badInput.badDate).toBe(1);
    expect(r.searched.problems).toContain(`badDate: ${join(dir, 'broker.log')}:2: ${entry!.why}`);
    const facts = await findInstance({ redactor: new Redactor(), sources: openLogSource({ paths: [dir] }), instanceGuid: OTHER });
    expect(facts.searched.skipped.map((s) => [s.kind, s.line])).toEqual([['badDate', 2]]);
  });

  it('impossible calendar dates in RFC 3164, RFC 5424 and payload times are skipped lines, not rolled over', async () => {
    const lines = [
      GOOD[0],
      lager('Feb 30 12:00:00', '1484049600.5', 'deprovision.start', { 'instance-id': OTHER }),
      lager('Jan 10 25:00:00', '1484049600.5', 'deprovision.start', { 'instance-id': OTHER }),
      `<14>1 2017-02-30T06:10:17Z router broker.stdout.log - - - {"timestamp":"1484049600.5","source":"dingo-postgresql-broker","message":"dingo-postgresql-broker.deprovision.start","log_level":1,"data":{"instance-id":"${OTHER}"}}`,
      `<14>1 2017-01-10T06:10:17Z router broker.stdout.log - - - {"timestamp":"2017-13-01T00:00:00Z","source":"dingo-postgresql-broker","message":"dingo-postgresql-broker.deprovision.start","log_level":1,"data":{"instance-id":"${OTHER}"}}`,
      `Jan 10 11:31:00 cell docker/cf-${NODE}:  patroni>         STRUCTURED: time=2017-01-10T99:11:48.811154-00 pid=231 action=push-wal key=${PREFIX}wal_005/000000010000000000000002.lzo prefix=backups/${GUID}/wal/ seg=000000010000000000000002 state=begin`,
      ...GOOD.slice(1),
    ];
    const dir = await folder('odd-dates', { 'broker.log.1.gz': gzipSync(lines.join('\n') + '\n') });
    const r = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [dir] }),
      serviceName: 'important-db',
    });
    expect(r.candidates.map((c) => c.instanceGuid)).toEqual([GUID]);
    expect(skippedOf(r.searched.skipped, 'badDate').map((s) => s.line)).toEqual([2, 3, 4, 5, 6]);
    expect(r.searched.skipped.find((s) => s.line === 2)!.why).toMatch(/syslog time "Feb 30 12:00:00" is not a date/);
  });

  it('parsers tell an unreadable time from a missing one', () => {
    expect(parseSyslog('Feb 29 10:00:00 h t: x', new Date('2017-03-10T00:00:00Z'))!.time!.toISOString()).toBe('2016-02-29T10:00:00.000Z');
    expect(parseSyslog('Feb 30 10:00:00 h t: x', new Date('2017-03-10T00:00:00Z'))).toMatchObject({
      time: null,
      badTime: 'Feb 30 10:00:00',
    });
    expect(parseSyslog('<14>1 - h app - - - x', new Date())).toMatchObject({ time: null });
    expect(parseSyslog('<14>1 - h app - - - x', new Date())!.badTime).toBeUndefined();
    expect(isValidDate(isoDate('2016-02-29T23:59:59.999+02:00'))).toBe(true);
    expect(isoDate('2016-03-17T06:10:17+02:00')!.toISOString()).toBe('2016-03-17T04:10:17.000Z');
    for (const bad of [
      '2015-02-29T00:00:00Z',
      '2016-04-31T00:00:00Z',
      '2016-03-17T24:00:00Z',
      '2016-03-17T23:59:60Z',
      '+999999-01-01T00:00:00Z',
      'tomorrow',
    ]) {
      expect(isValidDate(isoDate(bad)), bad).toBe(false);
    }
    expect(isValidDate(waleTime('2016-03-17T02:61:48.811154-00'))).toBe(false);
    const event = parsePayload('{"timestamp":"8640000000000.1","source":"s","message":"s.deprovision.start","data":{}}');
    expect(event).toMatchObject({ kind: 'broker' });
    expect(isValidDate((event as { time: Date | null }).time)).toBe(false);
  });

  it('--since and --until past the range of an age are usage errors naming the flag and the range', async () => {
    expect(() => parseTime('since', '99999999999d')).toThrow(UsageError);
    expect(() => parseTime('since', '99999999999d')).toThrow(
      /--since 99999999999d: an age goes back at most 100 years \(0 to 36500d, 876000h or 52560000m\)/,
    );
    expect(() => parseTime('until', '900000h')).toThrow(/--until 900000h/);
    expect(parseTime('since', '36500d', Date.UTC(2017, 0, 4))!.getUTCFullYear()).toBe(1917);
    const dir = await folder('since', { 'broker.log': GOOD.join('\n') });
    const err = await runLogs(['logs', 'find', '--service-name', 'important-db', '--logs', dir, '--since', '99999999999d']).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).hint).toMatch(/smaller age/);
  });
});

describe('folders that loop and files that are not files', () => {
  it('walks each folder once however the symlinks loop, and says which links it did not follow', async () => {
    const dir = await folder('loops', { 'broker.log': GOOD.join('\n') + '\n', 'deeper/notes.txt': 'nothing\n' });
    await symlink('.', join(dir, 'loop'));
    await symlink('..', join(dir, 'deeper', 'up'));
    await symlink('self', join(dir, 'self'));
    await symlink('nowhere.log', join(dir, 'dangling.log'));
    const r = await within(
      20_000,
      findDeletedInstance({ redactor: new Redactor(), sources: openLogSource({ paths: [dir] }), serviceName: 'important-db' }),
    );
    expect(r.candidates.map((c) => c.instanceGuid)).toEqual([GUID]);
    expect(r.searched.files.map((f) => f.path)).toEqual([join(dir, 'broker.log'), join(dir, 'deeper', 'notes.txt')]);
    expect(
      skippedOf(r.searched.skipped, 'loop')
        .map((s) => s.path)
        .sort(),
    ).toEqual([join(dir, 'deeper', 'up'), join(dir, 'loop')]);
    expect(skippedOf(r.searched.skipped, 'loop')[0]!.why).toMatch(new RegExp(`the folder ${dir} again \\(a symlink loop`));
    const unreadable = skippedOf(r.searched.skipped, 'unreadable');
    expect(unreadable.find((s) => s.path === join(dir, 'self'))!.why).toMatch(/ELOOP.*a symlink loop/);
    expect(unreadable.find((s) => s.path === join(dir, 'dangling.log'))!.why).toMatch(/ENOENT.*a symlink whose target does not exist/);
    const facts = await within(
      20_000,
      findInstance({ redactor: new Redactor(), sources: openLogSource({ paths: [dir] }), instanceGuid: GUID }),
    );
    expect(facts.archivePrefix).toBe(PREFIX);
    expect(facts.searched.badInput.loop).toBe(2);
  });

  it('never opens a FIFO, a socket or a device, given or found in a folder, and reads a linked file once', async () => {
    const dir = await folder('special', { 'broker.log': GOOD.join('\n') + '\n' });
    const fifo = join(dir, 'pipe.log');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const sock = join(dir, 'daemon.log');
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    await symlink('broker.log', join(dir, 'current.log'));
    try {
      const r = await within(
        20_000,
        findDeletedInstance({
          redactor: new Redactor(),
          sources: openLogSource({ paths: [dir, fifo, '/dev/null'] }),
          serviceName: 'important-db',
        }),
      );
      expect(r.candidates.map((c) => c.instanceGuid)).toEqual([GUID]);
      expect(r.searched.files.map((f) => f.path)).toEqual([join(dir, 'broker.log')]);
      const special = skippedOf(r.searched.skipped, 'notAFile');
      expect(special.map((s) => s.path)).toEqual([sock, fifo, fifo, '/dev/null']);
      expect(special[1]!.why).toBe('a FIFO (named pipe): not opened, reading it would wait for a writer');
      expect(special[2]!.why).toMatch(/FIFO.*; give regular files or folders, or - to read standard input$/);
      expect(special[0]!.why).toMatch(/^a socket/);
      expect(special[3]!.why).toMatch(/^a device/);
      expect(skippedOf(r.searched.skipped, 'sameFile')).toEqual([
        expect.objectContaining({
          path: join(dir, 'current.log'),
          why: `the same file as ${join(dir, 'broker.log')} (a symlink or a hard link to it): read once`,
        }),
      ]);
    } finally {
      server.close();
    }
  });
});

describe('what the search skipped, for the runbook to show', () => {
  it('findDeletedInstance and findInstance list a truncated gzip and a missing syslog/ folder', async () => {
    const gz = gzipSync(Buffer.from(`${GOOD.join('\n')}\n`.repeat(50)));
    const dir = await folder('skips', {
      'router/broker.log.1.gz': gz.subarray(0, gz.length - 30),
      'router/broker.log': GOOD.join('\n') + '\n',
    });
    const sources = openLogSource({ paths: [join(dir, 'router'), join(dir, 'syslog')] });
    const deleted = await findDeletedInstance({ redactor: new Redactor(), sources, serviceName: 'important-db' });
    const instance = await findInstance({ redactor: new Redactor(), sources, instanceGuid: GUID });
    for (const searched of [deleted.searched, instance.searched]) {
      expect(searched.skipped).toStrictEqual([
        { path: join(dir, 'syslog'), kind: 'unreadable', why: expect.stringMatching(/^ENOENT no such file or directory/) },
        {
          path: join(dir, 'router', 'broker.log.1.gz'),
          kind: 'truncatedGzip',
          why: expect.stringMatching(/^truncated gzip after \d+ uncompressed bytes; the lines before it were searched$/),
        },
      ]);
      expect(searched.skippedTotal).toBe(2);
    }
    expect(deleted.candidates[0]!.instanceGuid).toBe(GUID);
  });

  it('gives the line number of binary and overlong lines, in plain and gzip files', async () => {
    const body = ['first', 'second needle', 'third \u0000 needle', 'fourth'].join('\n') + '\n';
    const long = `a\nb\n${'x'.repeat(1_100_000)}\nlast /wal/\n`;
    const dir = await folder('numbers', { 'a.log.2.gz': gzipSync(body), 'b.log': body, 'c.log': long });
    const r = await findInstance({ redactor: new Redactor(), sources: openLogSource({ paths: [dir] }), instanceGuid: GUID });
    const lines = r.searched.skipped.filter((s) => s.kind === 'binary' || s.kind === 'longLine');
    expect(lines.map((s) => [s.path.slice(dir.length + 1), s.kind, s.line])).toEqual([
      ['a.log.2.gz', 'binary', 3],
      ['b.log', 'binary', 3],
      ['c.log', 'longLine', 3],
    ]);
    expect(lines[2]).toStrictEqual({
      path: join(dir, 'c.log'),
      line: 3,
      offset: 4,
      kind: 'longLine',
      why: 'a 1100000-byte line (over 1 MiB) was not searched',
    });
    expect(r.searched.problems).toContain(`longLine: ${join(dir, 'c.log')}:3: a 1100000-byte line (over 1 MiB) was not searched`);
  });

  it('lists at most MAX_SKIPPED entries and counts the rest', async () => {
    const bad = Array.from({ length: MAX_SKIPPED + 50 }, (_, i) =>
      lager('Feb 30 12:00:00', `${1484049600 + i}.5`, 'deprovision.start', { 'instance-id': OTHER }),
    );
    const dir = await folder('many', { 'broker.log': [...bad, ...GOOD].join('\n') + '\n' });
    const r = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [dir] }),
      serviceName: 'important-db',
    });
    expect(r.searched.skipped).toHaveLength(MAX_SKIPPED);
    expect(r.searched.skippedTotal).toBe(MAX_SKIPPED + 50);
    expect(r.searched.badInput.badDate).toBe(MAX_SKIPPED + 50);
    expect(r.searched.skipped.at(-1)!.line).toBe(MAX_SKIPPED);
    expect(r.searched.problems).toHaveLength(MAX_PROBLEMS);
    expect(renderCandidates(r.candidates, r.searched)).toContain(
      `problem: … and ${MAX_SKIPPED + 50 - MAX_PROBLEMS} more (--json lists the first ${MAX_SKIPPED})`,
    );
  });
});

describe('remote bytes on the terminal', () => {
  const HOSTILE = '\u001b]0;owned\u0007\u001b[2J\u0000\rX\n\u009b31m\u202e';

  it('the readable output of both finders escapes escape sequences, NUL and newlines from the logs', () => {
    const evidence = {
      line: `host ${HOSTILE} line`,
      source: `f${HOSTILE}.log @ byte 0`,
      why: `the broker saved the service name "${HOSTILE}"`,
    };
    const searched = emptyReport([]);
    searched.notes.push(`note ${HOSTILE}`);
    const text = renderCandidates(
      [
        {
          instanceGuid: GUID,
          serviceName: HOSTILE,
          nameFrom: 'logs',
          spaceGuid: null,
          orgGuid: null,
          spaceFrom: null,
          inGivenSpace: false,
          createdAt: null,
          deletedAt: null,
          archivePrefix: null,
          archivePrefixes: [`s3://b${HOSTILE}/`, `s3://c${HOSTILE}/`],
          lastWalUploadAt: null,
          lastWalPushAt: null,
          nodes: [{ nodeUuid: NODE, cell: HOSTILE }],
          size: { seen: 1, recorded: null, removedAtDeletion: 0 },
          confidence: 'high',
          evidence: [evidence],
        },
      ],
      searched,
    );
    const instance = renderInstance({
      instanceGuid: GUID,
      archivePrefix: HOSTILE,
      archivePrefixes: [HOSTILE],
      lastWalUploadAt: null,
      lastWalPushAt: null,
      nodes: [],
      size: { seen: 0, recorded: null, removedAtDeletion: 0 },
      createdAt: null,
      evidence: [evidence],
      searched,
    });
    for (const out of [text, instance]) {
      expect(out).not.toMatch(RAW_CONTROL);
      expect(out).toContain('\\x1b]0;owned\\x07\\x1b[2J\\0\\rX\\n\\x9b31m\\u202e');
      expect(out.split('\n').some((l) => l.startsWith('31m'))).toBe(false);
    }
  });

  it('`logs find` prints them escaped, and `--json` keeps them as JSON escapes', async () => {
    // eslint-disable-next-line no-control-regex -- the NUL is taken out of a host name on purpose
    const wal = `Jan 10 11:30:00 cell${HOSTILE.replace(/[\u0000\r\n]/g, '')} docker/cf-${NODE}:  6e101b-patroni> DETAIL: Uploading "pg_xlog/000000010000000000000001" to "${PREFIX}wal_005/000000010000000000000001.lzo". \u001b[2J\u001b]0;x\u0007`;
    const dir = await folder('escapes', { 'broker.log': [GOOD[0], wal, GOOD[2]].join('\n') + '\n' });
    const text = await runLogs(['logs', 'find', '--service-name', 'important-db', '--logs', dir]);
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).toContain('.lzo". \\x1b[2J\\x1b]0;x\\x07');
    const json = await runLogs(['logs', 'find', '--service-name', 'important-db', '--logs', dir, '--json']);
    expect(json).not.toMatch(RAW_CONTROL);
    const lines = (JSON.parse(json) as { candidates: { evidence: { line: string }[] }[] }).candidates[0]!.evidence.map((e) => e.line);
    expect(lines).toContain(wal);
  });
});
