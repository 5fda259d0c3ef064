/**
 * `archive mistakes` and the drill's targets other than a moment, on real parts: a real PostgreSQL 15
 * archive (wal-e layout, in moto) whose tenant, after the base backup, deleted most of a table in one
 * transaction, made a restore point, truncated a second table and dropped a third; the scan reads that
 * WAL with the real pg_waldump in the drill's sandbox, and the drill restores to the xids, the restore
 * point, a WAL location and the backup's end it names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMistakesCommand, type MistakesArgs } from '../../src/commands/archive/mistakes.js';
import { DRILL_EXIT } from '../../src/drill/exit-codes.js';
import { captureDrill, drillArgs, setUpDrill, tearDownDrill, type DrillRun } from '../support/drill-fixtures.js';
import type { Moto } from '../support/moto.js';
import type { GeneratedArchive } from '../support/wale-archive.js';
import type { DrillArgs } from '../../src/commands/drill/drill.js';

const BUCKET = 'mistakes-bucket';
const PREFIX = 'backups/mistakes/wal/';
const URL = `s3://${BUCKET}/${PREFIX}`;
const SECRET = 'mistakes-secret-R8pz1';

let moto: Moto;
let archive: GeneratedArchive;
let dir: string;

beforeAll(async () => {
  ({ moto, archive, dir } = await setUpDrill({
    scratch: 'archive-mistakes-',
    bucket: BUCKET,
    archive: {
      rowsBefore: 10,
      rowsAfter: 0,
      batches: { count: 1, rows: 5 },
      tenant: {
        sql: [
          'create table orders (id int primary key, note text)',
          "insert into orders select g, 'order ' || g from generate_series(1, 2000) g",
          'create table audit (id int)',
          'insert into audit select generate_series(1, 50)',
          'create table junk (id int)',
        ],
        autoConf: [],
      },
      mistakes: [
        "update orders set note = 'checked' where id <= 20",
        'delete from orders where id > 100',
        "select pg_catalog.pg_create_restore_point('before-truncate')",
        'truncate audit',
        'drop table junk',
      ],
    },
    prefix: PREFIX,
    env: { AWS_ACCESS_KEY_ID: 'AKIAMISTAKESKEY01', AWS_SECRET_ACCESS_KEY: SECRET },
  }));
});

afterAll(() => tearDownDrill({ moto, archive, dir }));

async function mistakes(extra: Partial<MistakesArgs> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runMistakesCommand(
    { url: URL, s3Endpoint: moto.endpoint, s3PathStyle: true, massRows: 1000, deadline: '2m', ...extra },
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
  );
  expect(stdout + stderr).not.toContain(SECRET);
  return { code, stdout, stderr };
}

const drill = (extra: Partial<DrillArgs>): Promise<DrillRun> =>
  captureDrill(
    drillArgs(URL, moto, {
      query:
        "select (select count(*) from orders), (select count(*) from audit), (select count(*) from pg_catalog.pg_class where relname = 'junk')",
      json: true,
      ...extra,
    }),
    SECRET,
  );

const xidOf = (sql: string): string => archive.mistakes.find((m) => m.sql.startsWith(sql))!.xid;

describe('archive mistakes', () => {
  it('lists the commits with their tables, points out the DELETE, TRUNCATE and DROP by xid, and proposes the stop before the first', async () => {
    const r = await mistakes({ json: true });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const { report } = JSON.parse(r.stdout);
    expect(report.backup).toBe(archive.latest);
    expect(report.suspects.map((s: { xid: string }) => s.xid)).toEqual([xidOf('delete'), xidOf('truncate'), xidOf('drop')]);
    const byXid = (x: string) => report.commits.find((c: { xid: string }) => c.xid === x);
    expect(byXid(xidOf('delete')).relations).toEqual([
      { relation: 'postgres: public.orders', insert: 0, update: 0, hotUpdate: 0, delete: 1900 },
    ]);
    expect(byXid(xidOf('delete')).flags).toEqual(['DELETE 1900 rows of postgres: public.orders']);
    expect(byXid(xidOf('truncate')).truncated).toEqual(['postgres: public.audit']);
    expect(byXid(xidOf('drop')).dropped).toEqual(['postgres: public.junk']);
    // Twenty rows updated: listed, below the threshold, not a suspect.
    const update = byXid(xidOf('update')) as { relations: { relation: string; update: number; hotUpdate: number }[]; flags: string[] };
    expect(update.relations[0]!.relation).toBe('postgres: public.orders');
    expect(update.relations[0]!.update + update.relations[0]!.hotUpdate).toBe(20);
    expect(update.flags).toEqual([]);
    expect(report.restorePoints.map((p: { name: string }) => p.name)).toEqual(['before-truncate']);
    expect(report.proposal).toMatchObject({ xid: xidOf('delete'), exclusive: true });
    expect(report.proposal.command).toContain(`--target-xid ${xidOf('delete')} --target-exclusive`);
  });

  it('lowers the threshold to point out the small UPDATE, and says so on screen', async () => {
    const r = await mistakes({ massRows: 20 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`transaction ${xidOf('update')} .*UPDATE 20 rows of postgres: public\\.orders`));
    expect(r.stdout).toContain(`--target-xid ${xidOf('update')} --target-exclusive`);
  });

  it('leaves out what committed after --until', async () => {
    const r = await mistakes({ until: archive.batches[0]!.committed.toISOString(), json: true });
    expect(r.code, r.stdout).toBe(0);
    const { report } = JSON.parse(r.stdout);
    expect(report.suspects).toEqual([]);
    expect(report.proposal).toBeNull();
  });
});

describe('drill targets', () => {
  it('restores to just before the bad DELETE (--target-xid, exclusive), or just after it (inclusive)', async () => {
    const before = await drill({ targetXid: xidOf('delete'), targetExclusive: true });
    expect(before.code, before.stdout + before.stderr).toBe(DRILL_EXIT.ok);
    const b = JSON.parse(before.stdout).report;
    expect(b.query.rows).toEqual([['2000', '50', '1']]);
    expect(b.stop.stopped).toContain(`before commit of transaction ${xidOf('delete')}`);
    const after = await drill({ targetXid: xidOf('delete') });
    expect(after.code, after.stdout).toBe(DRILL_EXIT.ok);
    expect(JSON.parse(after.stdout).report.query.rows).toEqual([['100', '50', '1']]);
  });

  it('restores to a named restore point and to the end of the base backup', async () => {
    const named = await drill({ targetName: 'before-truncate' });
    expect(named.code, named.stdout).toBe(DRILL_EXIT.ok);
    expect(JSON.parse(named.stdout).report.query.rows).toEqual([['100', '50', '1']]);
    const immediate = await drill({ target: 'immediate', query: 'select count(*) from drill_rows' });
    expect(immediate.code, immediate.stdout).toBe(DRILL_EXIT.ok);
    // The batch was committed after the backup: not in.
    expect(JSON.parse(immediate.stdout).report.query.rows).toEqual([['10']]);
  });

  it("restores to the WAL location of the TRUNCATE's commit, exclusive, and refuses one outside the archive naming its range", async () => {
    const scan = JSON.parse((await mistakes({ json: true })).stdout).report;
    const truncate = scan.commits.find((c: { xid: string }) => c.xid === xidOf('truncate'));
    const at = await drill({ targetLsn: truncate.lsn, targetExclusive: true });
    expect(at.code, at.stdout).toBe(DRILL_EXIT.ok);
    expect(JSON.parse(at.stdout).report.query.rows).toEqual([['100', '50', '1']]);
    for (const [lsn, why] of [
      ['0/100', /is before any base backup ended/],
      ['FF/0', /is after the newest archived WAL/],
    ] as const) {
      const r = await drill({ targetLsn: lsn });
      expect(r.code, r.stdout).toBe(DRILL_EXIT.notRestorable);
      expect(JSON.parse(r.stdout).message).toMatch(why);
      expect(JSON.parse(r.stdout).message).toMatch(
        /reaches from [0-9A-F]+\/[0-9A-F]+ \(the earliest base backup's end\) to [0-9A-F]+\/[0-9A-F]+/,
      );
    }
  });

  it('refuses a transaction or restore point the archived WAL never meets, and bad target flags as usage', async () => {
    const xid = await drill({ targetXid: String(Number(xidOf('drop')) + 1000) });
    expect(xid.code, xid.stdout).toBe(DRILL_EXIT.notRestorable);
    expect(JSON.parse(xid.stdout).message).toMatch(/without meeting transaction \d+/);
    const name = await drill({ targetName: 'never-made' });
    expect(name.code, name.stdout).toBe(DRILL_EXIT.notRestorable);
    expect(JSON.parse(name.stdout).message).toContain('without meeting restore point "never-made"');
    for (const bad of [
      { targetXid: 'abc' },
      { targetXid: '5', targetName: 'x' },
      { targetExclusive: true },
      { target: 'now' },
      { targetLsn: '12' },
    ]) {
      const r = await drill({ ...bad, json: false });
      expect(r.code, JSON.stringify(bad)).toBe(DRILL_EXIT.badUsage);
    }
  });
});
