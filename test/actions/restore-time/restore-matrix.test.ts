/**
 * The drill and restore-to-time on real PostgreSQL 10, 12, 14, 15 and 17 (test/support/pg-majors.ts):
 * per major one real archive, written by that major's server with its labels in CET (log_timezone
 * Europe/Paris), rows committed in three batches about a second apart and a second base backup after
 * the second; and a copy of it without the WAL segment between the older backup and the moment.
 * Each restores exactly the rows committed before a moment between the first two batches, from the
 * older backup, and refuses the copy naming the hole: PostgreSQL before 13 ends recovery silently
 * where WAL runs out, 13 and later refuse, and the tool must say the same on both. The server ran
 * with max_connections 40 and max_locks_per_transaction 70, and was restarted after the third batch
 * with max_connections 60: restore-to-time steps through time on one copy paused as a hot standby
 * (its settings read from the copy's control file) on every major, every S3 object fetched recorded,
 * and past the restart, where a hot standby of 40 connections cannot go, the copy is restored again,
 * promoted at the moment, saying so (PostgreSQL 14+ pause there, earlier majors stop).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreTimeCopyActions } from '../../../src/actions/restore-time/copy.js';
import { restoreTimeDumpActions } from '../../../src/actions/restore-time/dump.js';
import { scratchFolder } from '../../../src/actions/support/restore-copy.js';
import { volumesProofActions } from '../../../src/actions/volumes-proofs.js';
import { StepFailed } from '../../../src/core/errors.js';
import type { LocalProcesses } from '../../../src/core/seams.js';
import type { StepContext } from '../../../src/engine/executor/index.js';
import { localProcesses } from '../../../src/systems/local-processes.js';
import { DRILL_EXIT } from '../../../src/drill/exit-codes.js';
import { captureDrill, drillArgs } from '../../support/drill-fixtures.js';
import { startMoto, type Moto } from '../../support/moto.js';
import { ifStarted } from '../../support/started.js';
import { pitrContext, RESTORE_TO_TIME_MS } from '../../support/pitr-context.js';
import { recordingStore } from '../../support/recording-store.js';
import { MATRIX_MAJORS, pgBinOf, pgBinRoot } from '../../support/pg-majors.js';
import { useMajorsBinaries } from '../../support/pg-majors-env.js';
import {
  archiveKeys,
  DRILL_TABLE,
  generateWaleArchive,
  removeArchive,
  uploadArchive,
  type GeneratedArchive,
} from '../../support/wale-archive.js';

const BUCKET = 'majors-matrix';
const SECRET = 'majors-secret-Q7v2p';

let moto: Moto;
let dir: string;
const runIds: string[] = [];
useMajorsBinaries();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'majors-matrix-'));
  moto = await startMoto();
  await moto.createBucket(BUCKET);
  Object.assign(process.env, moto.env, { AWS_ACCESS_KEY_ID: 'AKIAMAJORSKEY0001', AWS_SECRET_ACCESS_KEY: SECRET });
  // The tool finds each major's server binaries where the suite installed them.
});

afterAll(async () => {
  await Promise.all(runIds.map((id) => rm(scratchFolder(tmpdir(), id), { recursive: true, force: true })));
  await ifStarted(moto)?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const between = (a: Date, b: Date): Date => new Date((a.getTime() + b.getTime()) / 2);

/** "2026-11-25 22:40:01.12345+00" (a commit time in PostgreSQL's log) as ISO 8601 with every digit kept. */
function isoOf(pgTime: string): string {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)(?::?(\d\d))?$/.exec(pgTime);
  if (!m) throw new Error(`not a PostgreSQL timestamptz: ${pgTime}`);
  return `${m[1]}T${m[2]}${m[3]}:${m[4] ?? '00'}`;
}

/** Microseconds since 1970 of an ISO 8601 time with its zone. */
function micros(iso: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?([+-]\d\d:\d\d|Z)$/.exec(iso)!;
  return BigInt(Date.parse(`${m[1]}${m[3]}`)) * 1000n + BigInt((m[2] ?? '').padEnd(6, '0'));
}

/** The moment one microsecond before an ISO 8601 time with its zone, in UTC. */
function microsecondBefore(iso: string): string {
  const before = micros(iso) - 1n;
  const seconds = new Date(Number(before / 1_000_000n) * 1000).toISOString().slice(0, 19);
  return `${seconds}.${String(before % 1_000_000n).padStart(6, '0')}Z`;
}

const action = (name: string) =>
  [...restoreTimeCopyActions, ...restoreTimeDumpActions, ...volumesProofActions].find((a) => a.name === name)!;

function context(runDir: string): { ctx: StepContext; said: string[] } {
  runIds.push(basename(runDir));
  return pitrContext(moto.store, runDir);
}

/** What the scratch server was when a table of the copy was read: its data folder, in recovery, replay paused, and two of its settings. */
interface ServerState {
  /** The socket folder its sandbox was given (on this machine; inside, every server's is SANDBOX_SOCKET_DIR). */
  socketDir: string;
  dataDirectory: string;
  inRecovery: string;
  paused: string;
  maxConnections: string;
  maxLocks: string;
}

/**
 * The machine's programs, asking the scratch server itself what it is whenever a table of the copy is
 * read (psql's READ ONLY `COPY … TO STDOUT`, streamed through its sandbox as a pipeline stage), before
 * the read begins: in the server's sandbox, with the same psql and socket, as our superuser.
 */
function watchingReads(major: string, states: ServerState[]): LocalProcesses {
  // Asked only in recovery: both functions refuse once recovery has ended.
  const paused = Number(major) >= 14 ? "pg_catalog.pg_get_wal_replay_pause_state() = 'paused'" : 'pg_catalog.pg_is_wal_replay_paused()';
  const settings = ['data_directory', 'max_connections', 'max_locks_per_transaction'].map((s) => `pg_catalog.current_setting('${s}')`);
  const sql = `select pg_catalog.pg_is_in_recovery(), case when pg_catalog.pg_is_in_recovery() then ${paused} else false end, ${settings.join(', ')}`;
  return {
    ...localProcesses,
    scratchSandbox: async (spec) => {
      const sandbox = await localProcesses.scratchSandbox(spec);
      return {
        ...sandbox,
        stage: (argv, opts) => {
          const copying = /^copy\b[\s\S]*\bto stdout\b/i.test(argv[argv.indexOf('-c') + 1] ?? '');
          if (basename(argv[0] ?? '') === 'psql' && copying && opts?.env?.PGOPTIONS?.includes('default_transaction_read_only=on')) {
            const database = argv[argv.indexOf('-d') + 1]!;
            const ask = [...argv.slice(0, argv.indexOf('-U')), '-F', '\x1f', '-U', 'postgres', '-d', database, '-c', sql];
            // Synchronously, so the answer is the server's as the read finds it.
            const probe = sandbox.stage(ask, { env: opts.env });
            const asked = execFileSync(probe.argv[0]!, probe.argv.slice(1), { env: probe.opts?.env, timeout: 30_000 }).toString();
            const [inRecovery, isPaused, dataDirectory, maxConnections, maxLocks] = asked.trim().split('\x1f');
            states.push({
              socketDir: spec.socketDir!,
              dataDirectory: dataDirectory!,
              inRecovery: inRecovery!,
              paused: isPaused!,
              maxConnections: maxConnections!,
              maxLocks: maxLocks!,
            });
          }
          return sandbox.stage(argv, opts);
        },
      };
    },
  };
}

/** A run at a terminal whose answers come in turn, the fetches and the server's states recorded at each question. */
function steppingContext(runDir: string, major: string, answers: string[]) {
  runIds.push(basename(runDir));
  const { store, fetched } = recordingStore(moto.store);
  const states: ServerState[] = [];
  const marks: { fetched: number; states: number }[] = [];
  const { ctx, said } = pitrContext(
    store,
    runDir,
    {},
    {
      interactive: true,
      input: () => {
        marks.push({ fetched: fetched.length, states: states.length });
        return Promise.resolve(answers.shift() ?? '');
      },
    },
  );
  (ctx.platform as { processes: LocalProcesses }).processes = watchingReads(major, states);
  return { ctx, said, fetched, states, marks };
}

describe.each(MATRIX_MAJORS)('PostgreSQL %s', (major) => {
  const prefix = `backups/pg${major}/wal/`;
  const holed = `backups/pg${major}-hole/wal/`;
  const url = `s3://${BUCKET}/${prefix}`;
  let archive: GeneratedArchive;
  let missing: string;
  let secondCommit = '';

  beforeAll(async () => {
    archive = await generateWaleArchive({
      dir,
      bin: pgBinOf(major),
      rowsBefore: 100,
      rowsAfter: 0,
      batches: { count: 4, rows: 10, backupAfter: 2 },
      partitions: 2,
      logTimezone: 'Europe/Paris',
      settings: ['max_connections = 40', 'max_locks_per_transaction = 70'],
      restart: { afterBatch: 3, settings: ['max_connections = 60'] },
    });
    await uploadArchive(moto.store, archive.root, BUCKET, prefix);
    // The copy with a hole: the segment after the older backup's stop, which holds the first batches.
    missing = archive.segments.find((s) => s > archive.backups[0]!.stopSegment)!;
    for (const key of await archiveKeys(archive.root)) {
      if (key !== `wal_005/${missing}.lzo`)
        await moto.store.put({ bucket: BUCKET, key: holed + key }, await readFile(join(archive.root, key)));
    }
  });

  afterAll(async () => {
    const made = ifStarted(archive);
    if (made) await removeArchive(made);
  });

  const drill = (extra: Parameters<typeof drillArgs>[2] & { url?: string }) =>
    captureDrill(
      drillArgs(extra.url ?? url, moto, { query: `select count(*), max(id) from ${DRILL_TABLE}`, json: true, ...extra }),
      SECRET,
    );

  it('is an archive of that major, its labels written in CET and its WAL folder pg_wal', async () => {
    expect(archive.major).toBe(major);
    expect(archive.version).toMatch(new RegExp(`^PostgreSQL ${major}\\.`));
    expect(archive.backups[0]!.label).toMatch(/^STOP TIME: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T$/m);
    // The hole lies between the older backup and the newer one, where the first batches were written.
    expect(missing < archive.backups[1]!.startSegment).toBe(true);
    // Its base backup holds the WAL folder of its era, empty: pg_wal from 10 on, never pg_xlog.
    const parts = join(archive.root, 'basebackups_005', archive.latest, 'tar_partitions');
    const entries = (await readdir(parts)).flatMap((p) =>
      execFileSync('sh', ['-c', 'lzop -dc "$1" | tar -t', 'sh', join(parts, p)])
        .toString()
        .split('\n'),
    );
    expect(entries.filter((e) => /^(\.\/)?pg_wal\//.test(e))).toEqual(['pg_wal/']);
    expect(entries.some((e) => e.includes('pg_xlog'))).toBe(false);
  });

  it('drill restores LATEST and all its WAL', async () => {
    const r = await drill({});
    expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.ok);
    const { report } = JSON.parse(r.stdout);
    expect(report.postgres).toMatchObject({ archiveMajor: major });
    expect(report.postgres.bin).toBe(join(pgBinRoot(), major, 'bin'));
    expect(report.backup).toMatchObject({ name: archive.latest, finishedAtSource: 'backup label' });
    expect(report.query.rows).toEqual([['140', String(archive.batches[3]!.lastId)]]);
  });

  it('drill --target-time restores exactly the rows committed before a moment between two batches, from the older backup chosen by its label in CET', async () => {
    const [first, second] = archive.batches;
    const moment = between(first!.committed, second!.before);
    const r = await drill({ targetTime: moment.toISOString() });
    expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.ok);
    const { report } = JSON.parse(r.stdout);
    expect(report.query.rows).toEqual([['110', String(first!.lastId)]]);
    expect(report.backup).toMatchObject({ name: archive.backups[0]!.name, finishedAtSource: 'backup label' });
    expect(report.target).toMatchObject({ archiveEndedFirst: false });
    // The second batch's commit, to the microsecond, as the server's log names it.
    secondCommit = isoOf(report.target.stoppedBefore.at);
    expect(micros(secondCommit)).toBeGreaterThanOrEqual(BigInt(second!.before.getTime()) * 1000n);
    expect(micros(secondCommit)).toBeLessThanOrEqual(BigInt(second!.committed.getTime()) * 1000n);
  });

  it('drill --target-time refuses (exit 4) when the WAL between the older backup and the moment is missing, naming it', async () => {
    const [first, second] = archive.batches;
    const moment = between(first!.committed, second!.before);
    const r = await drill({ url: `s3://${BUCKET}/${holed}`, targetTime: moment.toISOString() });
    expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.notRestorable);
    const failure = JSON.parse(r.stdout);
    expect(failure.message).toContain('was not replayed');
    expect(failure.message).toContain(`PostgreSQL ${major} ended recovery`);
    expect(failure.message).not.toContain('nothing committed after');
    expect(failure.lost.from).toBe(missing);
  });

  it(
    "restore-to-time's restore keeps the moment's microseconds (a commit at the moment in, one a microsecond after it out), dumps the copy and proves the dump restores; the copy with a hole is refused naming it",
    async () => {
      const [first, second] = archive.batches;
      const moment = between(first!.committed, second!.before);
      const commit = secondCommit;
      expect(commit).not.toBe('');
      const params = (time: string, at = url) => ({
        url: at,
        target: ['--target-time', time],
        instance: 'orders',
        copyName: 'orders-at-x',
      });
      if (major === '17') {
        // Restored and looked into by the drill's own server; dumped with the newest local client: Debian's 15 here, which cannot read 17.
        const { ctx, said } = context(await mkdtemp(join(dir, 'run-')));
        const looked = await action('pitr.restore').run(ctx, params(commit), {});
        expect(said.join('\n')).toMatch(new RegExp(`public\\.${DRILL_TABLE}: 120 rows`));
        const err = await action('pitr.dump')
          .run(
            ctx,
            {
              restored: true,
              dataDir: looked.dataDir,
              url,
              target: looked.target,
              major,
              databases: ['postgres'],
              found: looked.databases,
              copyName: 'x',
            },
            {},
          )
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StepFailed);
        expect((err as Error).message).toContain("older than the volume's 17");
        return;
      }
      const atCommit = context(await mkdtemp(join(dir, 'run-')));
      const restored = await action('pitr.restore').run(atCommit.ctx, params(commit), {});
      expect(restored).toMatchObject({ restored: true, major, backup: expect.stringContaining(archive.backups[0]!.name) });
      // The moment as the journal keeps it: in UTC, every digit of the commit's microseconds kept.
      expect(restored.time).toMatch(/Z$/);
      expect(micros(restored.time as string)).toBe(micros(commit));
      expect(atCommit.said.join('\n')).toMatch(new RegExp(`public\\.${DRILL_TABLE}: 120 rows`));
      const dumped = await action('pitr.dump').run(
        atCommit.ctx,
        {
          restored: true,
          dataDir: restored.dataDir,
          url,
          target: restored.target,
          major,
          databases: ['postgres'],
          found: restored.databases,
          copyName: restored.copyName,
        },
        {},
      );
      const file = (dumped.dumps as { file: string }[])[0]!.file;
      expect(await action('volumes.verify-dumps').run(atCommit.ctx, { dumps: dumped.dumps }, {})).toEqual({ verified: [file] });
      await action('pitr.remove-scratch').run(atCommit.ctx, {}, {});

      const justBefore = context(await mkdtemp(join(dir, 'run-')));
      const earlier = await action('pitr.restore').run(justBefore.ctx, params(microsecondBefore(commit)), {});
      expect(earlier).toMatchObject({ restored: true, time: microsecondBefore(commit) });
      expect(justBefore.said.join('\n')).toMatch(new RegExp(`public\\.${DRILL_TABLE}: 110 rows`));
      await action('pitr.remove-scratch').run(justBefore.ctx, {}, {});

      const hole = context(await mkdtemp(join(dir, 'run-')));
      const err = await action('pitr.restore')
        .run(hole.ctx, params(moment.toISOString(), `s3://${BUCKET}/${holed}`), {})
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StepFailed);
      expect((err as Error).message).toContain(`WAL ${missing}`);
      expect(hole.said.join('\n')).not.toContain('no transaction after the moment was archived');
    },
    RESTORE_TO_TIME_MS,
  );

  const isBase = (k: string) => k.startsWith(`${prefix}basebackups_005/`) && k.includes('/tar_partitions/');
  const isWal = (k: string) => /\/wal_005\/[0-9A-F]{24}\.lzo$/.test(k);
  const pausedAt = (maxConnections: string) => ({ inRecovery: 't', paused: 't', maxConnections, maxLocks: '70' });
  const promoted = { inRecovery: 'f', paused: 'f' };
  const stepParams = (time: Date) => ({ url, target: ['--target-time', time.toISOString()], instance: 'orders', copyName: 'orders-step' });

  it(
    "restore-to-time steps from T1 to T2 on one copy paused as a hot standby, its settings the control file's, fetching no base backup again",
    async () => {
      const [b1, b2, b3] = archive.batches;
      const t1 = between(b1!.committed, b2!.before);
      const t2 = between(b2!.committed, b3!.before);
      const run = steppingContext(await mkdtemp(join(dir, 'run-')), major, [t2.toISOString(), '']);
      const restored = await action('pitr.restore').run(run.ctx, stepParams(t1), {});
      expect(run.marks).toHaveLength(2);
      const [atT1, atT2] = run.marks;
      expect(run.said.filter((t) => t.includes(`public.${DRILL_TABLE}:`))).toEqual([
        expect.stringContaining(`public.${DRILL_TABLE}: 110 rows`),
        expect.stringContaining(`public.${DRILL_TABLE}: 120 rows`),
      ]);
      // The server itself, asked as each table of the copy was read: in recovery, replay paused, run with the primary's settings.
      const first = run.states.slice(0, atT1!.states);
      const second = run.states.slice(atT1!.states, atT2!.states);
      expect(first.length).toBeGreaterThan(0);
      expect(second.length).toBeGreaterThan(0);
      for (const state of [...first, ...second]) expect(state).toMatchObject(pausedAt('40'));
      // The same copy, moved forward: the server ran on the data folder T1 was read from, through the same socket folder.
      expect(new Set([...first, ...second].map((st) => st.dataDirectory)).size).toBe(1);
      expect(new Set([...first, ...second].map((st) => st.socketDir)).size).toBe(1);
      expect(first[0]!.dataDirectory).toBe(restored.dataDir);
      // T1 fetched the older base backup; T2 no part of a base backup and no WAL segment twice.
      const fetchedT1 = run.fetched.slice(0, atT1!.fetched);
      const fetchedT2 = run.fetched.slice(atT1!.fetched, atT2!.fetched);
      expect(fetchedT1.filter(isBase).length).toBeGreaterThan(0);
      expect(fetchedT1.filter(isBase).every((k) => k.includes(`/${archive.backups[0]!.name}/`))).toBe(true);
      expect(fetchedT2.filter(isBase)).toEqual([]);
      expect(fetchedT2.filter((k) => isWal(k) && fetchedT1.includes(k))).toEqual([]);
      expect(run.said).toContain(
        `moving the copy paused as it was at ${t1.toISOString()} forward: replay goes on from there, no base backup is fetched again`,
      );
      // Kept at T2: promoted from the copy, no base backup fetched for it.
      expect(run.fetched.slice(atT2!.fetched).filter(isBase)).toEqual([]);
      expect(run.said).toContain(`promoted the copy as it was at ${t2.toISOString()}: its recovery ended there`);
      expect(restored).toMatchObject({ restored: true, time: t2.toISOString(), major });
      await action('pitr.remove-scratch').run(run.ctx, {}, {});
    },
    RESTORE_TO_TIME_MS,
  );

  it.runIf(major === '12' || major === '15')(
    'restore-to-time past the restart that raised max_connections restores the copy again, promoted at the moment, saying why, and a later moment promoted at once',
    async () => {
      const [, b2, b3, b4] = archive.batches;
      const t2 = between(b2!.committed, b3!.before);
      // After the restart (done before the pause that precedes the fourth batch), before the fourth batch.
      const t3 = new Date(b4!.before.getTime() - 100);
      const t4 = new Date(b4!.committed.getTime() + 100);
      const run = steppingContext(await mkdtemp(join(dir, 'run-')), major, [t3.toISOString(), t4.toISOString(), '']);
      const restored = await action('pitr.restore').run(run.ctx, stepParams(t2), {});
      expect(run.marks).toHaveLength(3);
      const [atT2, atT3, atT4] = run.marks;
      expect(run.states.slice(0, atT2!.states).length).toBeGreaterThan(0);
      for (const state of run.states.slice(0, atT2!.states)) expect(state).toMatchObject(pausedAt('40'));
      // Moved forward, the paused copy met the WAL of 60 connections: PostgreSQL would not go on as a hot standby of 40.
      const refused = run.said.find((t) => t.startsWith('the copy cannot be read as a hot standby ('));
      expect(refused, run.said.join('\n')).toBeDefined();
      expect(refused).toMatch(/max_connections|insufficient parameter settings/);
      expect(refused).toContain('restoring it again, promoted at the target');
      // Restored again from the base backup, promoted there: its tables read with recovery over, never paused, and T3's rows shown.
      const atT3States = run.states.slice(atT2!.states, atT3!.states);
      expect(atT3States.length).toBeGreaterThan(0);
      for (const state of atT3States) expect(state).toMatchObject(promoted);
      expect(run.fetched.slice(atT2!.fetched, atT3!.fetched).filter(isBase).length).toBeGreaterThan(0);
      expect(run.said.filter((t) => t.includes(`public.${DRILL_TABLE}:`))).toEqual([
        expect.stringContaining(`public.${DRILL_TABLE}: 120 rows`),
        expect.stringContaining(`public.${DRILL_TABLE}: 130 rows`),
        expect.stringContaining(`public.${DRILL_TABLE}: 140 rows`),
      ]);
      expect(run.said).not.toContain(`promoted the copy as it was at ${t3.toISOString()}: its recovery ended there`);
      // T4 lies past the same restart: restored once, promoted, never tried as a hot standby again.
      expect(run.said.filter((t) => t.startsWith('the copy cannot be read as a hot standby ('))).toHaveLength(1);
      const atT4States = run.states.slice(atT3!.states, atT4!.states);
      expect(atT4States.length).toBeGreaterThan(0);
      for (const state of atT4States) expect(state).toMatchObject(promoted);
      expect(run.fetched.slice(atT3!.fetched, atT4!.fetched).filter(isBase).length).toBeGreaterThan(0);
      expect(restored).toMatchObject({ restored: true, time: t4.toISOString(), major });
      await action('pitr.remove-scratch').run(run.ctx, {}, {});
    },
    RESTORE_TO_TIME_MS,
  );
});
