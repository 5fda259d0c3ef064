/**
 * `drill --target-time` on real parts: a real PostgreSQL 15 archive whose rows were committed in
 * batches about a second apart (each batch's commit bracketed by clock readings) and a second base
 * backup after the second batch, moto for S3, a throwaway PostgreSQL 15 replaying up to the moment.
 */
import { renderDrillReport } from '../../src/commands/drill/render.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillArgs } from '../../src/commands/drill/drill.js';
import { DRILL_EXIT } from '../../src/drill/exit-codes.js';
import type { Moto } from '../support/moto.js';
import { archiveKeys, DRILL_TABLE, type GeneratedArchive } from '../support/wale-archive.js';
import { captureDrill, drillArgs, setUpDrill, tearDownDrill, type DrillRun } from '../support/drill-fixtures.js';

const BUCKET = 'pitr-bucket';
const PREFIX = 'backups/pitr/wal/';
const URL = `s3://${BUCKET}/${PREFIX}`;
const SECRET = 'pitr-secret-W3kq8';

let moto: Moto;
let archive: GeneratedArchive;
let dir: string;

beforeAll(async () => {
  ({ moto, archive, dir } = await setUpDrill({
    scratch: 'drill-pitr-',
    bucket: BUCKET,
    archive: { rowsBefore: 100, rowsAfter: 0, batches: { count: 3, rows: 10, backupAfter: 2 }, partitions: 2 },
    prefix: PREFIX,
    env: { AWS_ACCESS_KEY_ID: 'AKIAPITRKEY00001', AWS_SECRET_ACCESS_KEY: SECRET },
  }));
});

afterAll(() => tearDownDrill({ moto, archive, dir }));

const drill = (extra: Partial<DrillArgs>): Promise<DrillRun> =>
  captureDrill(drillArgs(URL, moto, { query: `select count(*), max(id) from ${DRILL_TABLE}`, ...extra }), SECRET);

const between = (a: Date, b: Date): Date => new Date((a.getTime() + b.getTime()) / 2);
const ms = (pgTime: string): number => new Date(pgTime.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')).getTime();

describe('drill --target-time', () => {
  it('restores exactly the rows committed before a moment between two batches, from the base backup before it', async () => {
    const [first, second] = archive.batches;
    const moment = between(first!.committed, second!.before);
    const r = await drill({ targetTime: moment.toISOString(), json: true });
    expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.ok);
    const { report } = JSON.parse(r.stdout);
    expect(report.query.rows).toEqual([['110', String(first!.lastId)]]);
    // LATEST ended after the moment: the older backup is restored, and WAL replayed past LATEST's start.
    expect(report.backup.name).toBe(archive.backups[0]!.name);
    expect(report.backup.name).not.toBe(archive.backups[1]!.name);
    expect(report.target).toMatchObject({ time: moment.toISOString(), inclusive: true, archiveEndedFirst: false });
    // The first transaction left out is the second batch's; the newest kept is the first's.
    const stopped = ms(report.target.stoppedBefore.at);
    expect(stopped).toBeGreaterThanOrEqual(second!.before.getTime());
    expect(stopped).toBeLessThanOrEqual(second!.committed.getTime());
    const kept = ms(report.target.lastTransactionAt);
    expect(kept).toBeGreaterThanOrEqual(first!.before.getTime());
    expect(kept).toBeLessThanOrEqual(first!.committed.getTime());
  });

  it('takes the moment in any zone, restores the newest base backup that ended before it, and prints where replay stopped', async () => {
    const [, second, third] = archive.batches;
    // A second after the second backup ended: it is the one restored.
    const moment = new Date(third!.before.getTime() - 1);
    // The same moment written in UTC+02:00.
    const local = new Date(moment.getTime() + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    const r = await drill({ targetTime: local });
    expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.ok);
    expect(r.stdout).toContain(`| 120 | ${second!.lastId}`);
    expect(r.stdout).toMatch(new RegExp(`backup +${archive.backups[1]!.name} `));
    expect(r.stdout).toMatch(new RegExp(`restored to +${moment.toISOString()} \\(a transaction committed exactly then is included\\)`));
    expect(r.stdout).toMatch(/replay stopped +before transaction \d+, committed /);
  });

  it('restores everything archived for a moment after the last commit but before the newest archived WAL', async () => {
    const last = archive.batches[archive.batches.length - 1]!;
    const moment = new Date(last.committed.getTime() + 1);
    const r = await drill({ targetTime: moment.toISOString(), json: true });
    expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.ok);
    const { report } = JSON.parse(r.stdout);
    expect(report.query.rows).toEqual([['130', String(last.lastId)]]);
    expect(report.target).toMatchObject({ archiveEndedFirst: true, stoppedBefore: null });
    expect(report.replay.lost).toBeNull();
    // Never "the database at the moment": a commit after the newest archived one may be in WAL never archived.
    const said = renderDrillReport(report);
    expect(said).toContain(
      `replay stopped     at the end of the archived WAL, before the moment: nothing committed after ${report.target.lastTransactionAt} was archived.`,
    );
    expect(said).toContain(`and are not in the copy: it is the database as archived at ${report.target.lastTransactionAt}`);
  });

  it('refuses (exit 4) when WAL between the older backup and the moment is missing, naming it, rather than restore too little', async () => {
    const [first, second] = archive.batches;
    const older = archive.backups[0]!;
    // The segment after the older backup's stop: the first batches are in it, before the newer backup started.
    const missing = archive.segments.find((s) => s > older.stopSegment)!;
    expect(missing < archive.backups[1]!.startSegment).toBe(true);
    const prefix = 'backups/pitr-gap/wal/';
    for (const key of await archiveKeys(archive.root)) {
      if (key !== `wal_005/${missing}.lzo`)
        await moto.store.put({ bucket: BUCKET, key: prefix + key }, await readFile(join(archive.root, key)));
    }
    const moment = between(first!.committed, second!.before);
    const r = await drill({ url: `s3://${BUCKET}/${prefix}`, targetTime: moment.toISOString(), json: true });
    expect(r.code, r.stdout).toBe(DRILL_EXIT.notRestorable);
    const failure = JSON.parse(r.stdout);
    expect(failure.message).toContain('was not replayed');
    expect(failure.lost.from).toBe(missing);
  });

  it('refuses a moment before the base backup ended, or after the newest archived WAL, naming the range (exit 4)', async () => {
    const early = new Date(archive.batches[0]!.before.getTime() - 3600_000);
    const late = new Date(Date.now() + 3600_000);
    for (const [moment, why] of [
      [early, /is before any base backup ended/],
      [late, /is after the newest archived WAL/],
    ] as const) {
      const r = await drill({ targetTime: moment.toISOString(), json: true, workdir: join(dir, 'never-created') });
      expect(r.code, r.stdout).toBe(DRILL_EXIT.notRestorable);
      const failure = JSON.parse(r.stdout);
      expect(failure.message).toMatch(why);
      const range = /reaches from (\S+) \(the earliest base backup ended\) to (\S+) \(WAL [0-9A-F]{24} was archived\)/.exec(
        failure.message,
      );
      expect(range, failure.message).not.toBeNull();
      const [from, to] = [new Date(range![1]!).getTime(), new Date(range![2]!).getTime()];
      // Label times keep whole seconds: the earliest moment is the end of the second the first backup ended in.
      expect(from).toBeLessThanOrEqual(archive.backups[0]!.ended.getTime() + 1000);
      expect(from).toBeGreaterThan(early.getTime());
      expect(to).toBeGreaterThanOrEqual(archive.batches[2]!.committed.getTime());
      expect(failure.reachable).toEqual({ earliest: range![1], latest: range![2] });
    }
  });

  it('refuses a moment without a zone as bad usage (exit 2), before touching the archive', async () => {
    const r = await drill({ targetTime: '2016-11-21T14:01:30', workdir: join(dir, 'never-created') });
    expect(r.code).toBe(DRILL_EXIT.badUsage);
    expect(r.stderr).toContain('has no time zone');
    const both = await drill({ targetTime: '2016-11-21T14:01:30Z', maxAge: '24h' });
    expect(both.code).toBe(DRILL_EXIT.badUsage);
    expect(both.stderr).toContain('give one of them');
  });
});
