/**
 * The drill and restore-to-time on real PostgreSQL 10, 12, 14, 15 and 17 (test/support/pg-majors.ts):
 * per major one real archive, written by that major's server with its labels in CET (log_timezone
 * Europe/Paris), rows committed in three batches about a second apart and a second base backup after
 * the second; and a copy of it without the WAL segment between the older backup and the moment.
 * Each restores exactly the rows committed before a moment between the first two batches, from the
 * older backup, and refuses the copy naming the hole: PostgreSQL before 13 ends recovery silently
 * where WAL runs out, 13 and later refuse, and the tool must say the same on both.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreTimeCopyActions } from '../../src/actions/restore-time-copy.js';
import { restoreTimeDumpActions } from '../../src/actions/restore-time-dump.js';
import { scratchFolder } from '../../src/actions/support/restore-copy.js';
import { volumesActions } from '../../src/actions/volumes.js';
import { StepFailed } from '../../src/core/errors.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import { DRILL_EXIT } from '../../src/drill/exit-codes.js';
import { captureDrill, drillArgs } from '../support/drill-fixtures.js';
import { startMoto, type Moto } from '../support/moto.js';
import { ifStarted } from '../support/started.js';
import { pitrContext } from '../support/pitr-context.js';
import { MATRIX_MAJORS, pgBinOf, pgBinRoot } from '../support/pg-majors.js';
import {
  archiveKeys,
  DRILL_TABLE,
  generateWaleArchive,
  removeArchive,
  uploadArchive,
  type GeneratedArchive,
} from '../support/wale-archive.js';

const BUCKET = 'majors-matrix';
const SECRET = 'majors-secret-Q7v2p';

let moto: Moto;
let dir: string;
const runIds: string[] = [];
const savedRoot = process.env.DINGO_RECOVER_PG_ROOT;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'majors-matrix-'));
  moto = await startMoto();
  await moto.createBucket(BUCKET);
  Object.assign(process.env, moto.env, { AWS_ACCESS_KEY_ID: 'AKIAMAJORSKEY0001', AWS_SECRET_ACCESS_KEY: SECRET });
  // The tool finds each major's server binaries where the suite installed them.
  process.env.DINGO_RECOVER_PG_ROOT = pgBinRoot();
});

afterAll(async () => {
  if (savedRoot === undefined) delete process.env.DINGO_RECOVER_PG_ROOT;
  else process.env.DINGO_RECOVER_PG_ROOT = savedRoot;
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

const action = (name: string) => [...restoreTimeCopyActions, ...restoreTimeDumpActions, ...volumesActions].find((a) => a.name === name)!;

function context(runDir: string): { ctx: StepContext; said: string[] } {
  runIds.push(basename(runDir));
  return pitrContext(moto.store, runDir);
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
      batches: { count: 3, rows: 10, backupAfter: 2 },
      partitions: 2,
      logTimezone: 'Europe/Paris',
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
    expect(report.query.rows).toEqual([['130', String(archive.batches[2]!.lastId)]]);
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

  it("restore-to-time's restore keeps the moment's microseconds (a commit at the moment in, one a microsecond after it out), dumps the copy and proves the dump restores; the copy with a hole is refused naming it", async () => {
    const [first, second] = archive.batches;
    const moment = between(first!.committed, second!.before);
    const commit = secondCommit;
    expect(commit).not.toBe('');
    const params = (time: string, at = url) => ({ url: at, target: ['--target-time', time], instance: 'orders', copyName: 'orders-at-x' });
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
  });
});
