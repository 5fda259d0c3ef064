/**
 * The drill's paused copy on real parts: a real PostgreSQL 15 archive (rows committed in three
 * batches about a second apart, then WAL switched three times), moto for S3, every object fetched
 * recorded. Restored with `pause`, the copy is a hot standby paused at the moment, its standby
 * settings those of the archive's control file; with `from`, a later moment is reached from it
 * fetching no base backup and only the WAL archived since; without `pause`, it is promoted there.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDrill, type DrillReport } from '../../src/drill/drill.js';
import { parseStandbySettings } from '../../src/drill/standby-settings.js';
import { parseTargetTime } from '../../src/drill/target-time.js';
import type { RecoveryTarget } from '../../src/drill/recovery-target.js';
import type { Moto } from '../support/moto.js';
import { recordingStore } from '../support/recording-store.js';
import { DRILL_TABLE, type GeneratedArchive } from '../support/wale-archive.js';
import { setUpDrill, tearDownDrill } from '../support/drill-fixtures.js';

const BUCKET = 'paused-copy';
const PREFIX = 'backups/paused/wal/';
const URL = `s3://${BUCKET}/${PREFIX}`;

let moto: Moto;
let archive: GeneratedArchive;
let dir: string;

beforeAll(async () => {
  ({ moto, archive, dir } = await setUpDrill({
    scratch: 'drill-paused-',
    bucket: BUCKET,
    archive: { rowsBefore: 100, rowsAfter: 6, extraWalSwitches: 2, batches: { count: 3, rows: 10 } },
    prefix: PREFIX,
    env: {},
  }));
});

afterAll(() => tearDownDrill({ moto, archive, dir }));

const between = (a: Date, b: Date): Date => new Date((a.getTime() + b.getTime()) / 2);
const at = (moment: Date): RecoveryTarget => ({
  stop: { kind: 'time', time: parseTargetTime(moment.toISOString(), 'the moment') },
  exclusive: false,
  timeline: 'latest',
});
const walKey = (segment: string) => `${PREFIX}wal_005/${segment}.lzo`;

describe('a drill that pauses its copy and moves it forward', () => {
  it('pauses at T1 as a hot standby, goes on to T2 fetching only the WAL archived since, and promotes there', async () => {
    const [b1, b2, b3] = archive.batches;
    const { store, fetched } = recordingStore(moto.store);
    // The newest segments are not archived yet when the copy is first restored: the instance is still writing.
    const later = archive.segments.slice(-2);
    const held = await Promise.all(
      later.map(async (s) => ({ key: walKey(s), body: await moto.store.get({ bucket: BUCKET, key: walKey(s) }) })),
    );
    await moto.store.deleteMany(
      BUCKET,
      held.map((h) => h.key),
    );
    const reads: Record<string, string[][]> = {};
    const look = (name: string) => async (copy: Parameters<NonNullable<Parameters<typeof runDrill>[0]['look']>>[0]) => {
      reads[name] = await copy.read('postgres', `select count(*), max(id) from only public.${DRILL_TABLE}`);
    };
    let first: DrillReport | undefined;
    try {
      first = await runDrill({
        url: URL,
        store,
        keep: true,
        pause: true,
        target: at(between(b1!.committed, b2!.before)),
        look: look('t1'),
      });
      expect(first.paused).toBe(true);
      expect(reads.t1).toEqual([['110', String(b1!.lastId)]]);
      expect(first.restore.baseBackupBytes).toBeGreaterThan(0);
      const conf = await readFile(join(first.workdir!, 'data', 'postgresql.conf'), 'utf8');
      expect(conf).toMatch(/^hot_standby = on$/m);
      expect(conf).toMatch(/^max_connections = \d+$/m);
      expect(conf).toMatch(/^max_locks_per_transaction = \d+$/m);
      expect(await readFile(join(first.workdir!, 'data', 'postgresql.auto.conf'), 'utf8')).toContain("recovery_target_action = 'pause'");

      for (const h of held) await moto.store.put({ bucket: BUCKET, key: h.key }, h.body);
      const before = fetched.length;
      const from = { workdir: first.workdir!, backup: first.backup.name };
      const second = await runDrill({
        url: URL,
        store,
        keep: true,
        pause: true,
        from,
        target: at(between(b2!.committed, b3!.before)),
        look: look('t2'),
      });
      expect(second.paused).toBe(true);
      expect(second.workdir).toBe(first.workdir);
      expect(reads.t2).toEqual([['120', String(b2!.lastId)]]);
      // The step's own record: no base backup, only the WAL not local yet, which is what it asked S3 for.
      expect(second.restore).toMatchObject({ baseBackupBytes: 0 });
      const stepFetched = fetched.slice(before);
      expect(stepFetched.filter((k) => k.includes('/tar_partitions/'))).toEqual([]);
      expect(stepFetched.filter((k) => /\/wal_005\/[0-9A-F]{24}\.lzo$/.test(k)).sort()).toEqual(held.map((h) => h.key).sort());
      expect(second.restore.walBytes).toBe(held.reduce((n, h) => n + h.body.length, 0));

      const promoted = await runDrill({
        url: URL,
        store,
        keep: true,
        from,
        target: at(between(b2!.committed, b3!.before)),
        query: `select count(*), max(id) from ${DRILL_TABLE}`,
      });
      expect(promoted.paused).toBe(false);
      expect(promoted.query.rows).toEqual([['120', String(b2!.lastId)]]);
      expect(promoted.restore.baseBackupBytes).toBe(0);
    } finally {
      if (first?.workdir) await rm(first.workdir, { recursive: true, force: true });
    }
  }, 240_000);
});

describe('the settings of a hot standby, from pg_controldata', () => {
  const control = (walLevel: string) =>
    [
      `wal_level setting:                    ${walLevel}`,
      'max_connections setting:              250',
      'max_worker_processes setting:         8',
      'max_wal_senders setting:              10',
      'max_prepared_xacts setting:           5',
      'max_locks_per_xact setting:           128',
      'track_commit_timestamp setting:       off',
    ].join('\n');

  it("are the primary's, hot_standby on, for a primary that wrote WAL enough for one", () => {
    expect(parseStandbySettings(control('replica'))).toEqual([
      ['hot_standby', 'on'],
      ['max_connections', '250'],
      ['max_worker_processes', '8'],
      ['max_wal_senders', '10'],
      ['max_prepared_transactions', '5'],
      ['max_locks_per_transaction', '128'],
    ]);
    // Before 10 each line starts "Current" and the level is named hot_standby; an absent line is left out.
    const old = control('hot_standby')
      .replace(/^max_wal_senders.*\n/m, '')
      .replace(/^(\w+ setting:)/gm, 'Current $1');
    expect(parseStandbySettings(old)).toEqual([
      ['hot_standby', 'on'],
      ['max_connections', '250'],
      ['max_worker_processes', '8'],
      ['max_prepared_transactions', '5'],
      ['max_locks_per_transaction', '128'],
    ]);
  });

  it('are none for a primary whose wal_level allows no hot standby', () => {
    expect(parseStandbySettings(control('minimal'))).toBeNull();
    expect(parseStandbySettings(control('archive'))).toBeNull();
  });
});
