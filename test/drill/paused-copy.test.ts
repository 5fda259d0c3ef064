/**
 * The drill's paused copy on real parts: a real PostgreSQL 15 archive (rows committed in three
 * batches about a second apart, then WAL switched three times), moto for S3, every object fetched
 * recorded. Restored with `pause`, the copy is a hot standby paused at the moment, its standby
 * settings those of the copy's control file; with `from`, a later moment is reached from it
 * fetching no base backup and only the WAL archived since; without `pause`, it is promoted there.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableReadout } from '../../src/volumes/table-readout.js';
import { runDrill, type DrillReport } from '../../src/drill/drill.js';
import { standbySettings, standbySettingsOf } from '../../src/drill/standby-settings.js';
import { DrillFailed } from '../../src/drill/exit-codes.js';
import type { PgControl } from '../../src/systems/pg-control.js';
import { parseTargetTime } from '../../src/drill/target-time.js';
import type { RecoveryTarget } from '../../src/drill/recovery-target.js';
import type { Moto } from '../support/moto.js';
import { recordingStore } from '../support/recording-store.js';
import { DRILL_TABLE, type GeneratedArchive } from '../support/wale-archive.js';
import { pausedRows, setUpDrill, tearDownDrill, drillHere } from '../support/drill-fixtures.js';

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
    const reads: Record<string, TableReadout> = {};
    const look = (name: string) => async (copy: Parameters<NonNullable<Parameters<typeof runDrill>[0]['look']>>[0]) => {
      reads[name] = await pausedRows(copy);
    };
    let first: DrillReport | undefined;
    try {
      first = await drillHere({
        url: URL,
        store,
        keep: true,
        pause: true,
        target: at(between(b1!.committed, b2!.before)),
        look: look('t1'),
      });
      expect(first.paused).toBe(true);
      expect(reads.t1).toEqual({ rows: b1!.lastId, counted: true, newest: null, note: null });
      expect(first.restore.baseBackupBytes).toBeGreaterThan(0);
      const conf = await readFile(join(first.workdir!, 'data', 'postgresql.conf'), 'utf8');
      expect(conf).toMatch(/^hot_standby = on$/m);
      expect(conf).toMatch(/^max_connections = \d+$/m);
      expect(conf).toMatch(/^max_locks_per_transaction = \d+$/m);
      expect(await readFile(join(first.workdir!, 'data', 'postgresql.auto.conf'), 'utf8')).toContain("recovery_target_action = 'pause'");

      for (const h of held) await moto.store.put({ bucket: BUCKET, key: h.key }, h.body);
      const before = fetched.length;
      const from = { workdir: first.workdir!, backup: first.backup.name };
      const second = await drillHere({
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
      expect(reads.t2).toEqual({ rows: b2!.lastId, counted: true, newest: null, note: null });
      // The step's own record: no base backup, only the WAL not local yet, which is what it asked S3 for.
      expect(second.restore).toMatchObject({ baseBackupBytes: 0 });
      const stepFetched = fetched.slice(before);
      expect(stepFetched.filter((k) => k.includes('/tar_partitions/'))).toEqual([]);
      expect(stepFetched.filter((k) => /\/wal_005\/[0-9A-F]{24}\.lzo$/.test(k)).sort()).toEqual(held.map((h) => h.key).sort());
      expect(second.restore.walBytes).toBe(held.reduce((n, h) => n + h.body.length, 0));

      const promoted = await drillHere({
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

describe('the settings of a hot standby, from the control file', () => {
  const control = (walLevel: string, o: { crcOk?: boolean; maxWalSenders?: number | null } = {}): PgControl => ({
    layout: '13',
    pgControlVersion: 1300,
    catalogVersion: 202209061,
    systemIdentifier: '7300000000000000001',
    state: 'shut down',
    cleanShutdown: true,
    modifiedAt: '2026-11-26T10:00:00.000Z',
    checkpointLocation: '0/3000028',
    redoLocation: '0/3000028',
    walSegmentBytes: 16 * 1024 * 1024,
    checkpointAt: '2026-11-26T10:00:00.000Z',
    timeline: 1,
    settings: {
      walLevel,
      maxConnections: 250,
      maxWorkerProcesses: 8,
      maxWalSenders: o.maxWalSenders === undefined ? 10 : o.maxWalSenders,
      maxPreparedXacts: 5,
      maxLocksPerXact: 128,
    },
    crcOk: o.crcOk ?? true,
  });

  it("are the primary's, hot_standby on, for a primary that wrote WAL enough for one", () => {
    expect(standbySettingsOf(control('replica'))).toEqual([
      ['hot_standby', 'on'],
      ['max_connections', '250'],
      ['max_worker_processes', '8'],
      ['max_wal_senders', '10'],
      ['max_prepared_transactions', '5'],
      ['max_locks_per_transaction', '128'],
    ]);
    // Before 9.6 the level is named hot_standby; before 12 the control file holds no max_wal_senders.
    expect(standbySettingsOf(control('hot_standby', { maxWalSenders: null }))).toEqual([
      ['hot_standby', 'on'],
      ['max_connections', '250'],
      ['max_worker_processes', '8'],
      ['max_prepared_transactions', '5'],
      ['max_locks_per_transaction', '128'],
    ]);
    expect(standbySettingsOf(control('logical'))?.[0]).toEqual(['hot_standby', 'on']);
  });

  it('are none for a primary whose wal_level allows no hot standby, or a control file whose CRC matches no known layout', () => {
    expect(standbySettingsOf(control('minimal'))).toBeNull();
    expect(standbySettingsOf(control('archive'))).toBeNull();
    expect(standbySettingsOf(control('replica', { crcOk: false }))).toBeNull();
  });

  it('refuse a copy whose control file is missing or not a regular file of its own, never following a link', async () => {
    const data = await mkdtemp(join(tmpdir(), 'standby-control-'));
    try {
      await mkdir(join(data, 'global'));
      const missing = await standbySettings(data, '15').catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(DrillFailed);
      expect(missing).toMatchObject({ outcome: 'not-restorable' });
      expect((missing as Error).message).toMatch(/^the restored copy's global\/pg_control cannot be read: .*ENOENT/);
      // A link put in its place, to a file that would parse: not opened.
      const elsewhere = join(data, 'elsewhere');
      await writeFile(elsewhere, Buffer.alloc(8192));
      await symlink(elsewhere, join(data, 'global', 'pg_control'));
      const linked = await standbySettings(data, '15').catch((e: unknown) => e);
      expect(linked).toBeInstanceOf(DrillFailed);
      expect((linked as Error).message).toContain('a symbolic link');
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });
});
