/**
 * cell.drill-archive on the simulated platform of the bundled incident: the old archive is drilled in
 * the new container's image on its cell, and what the restored cluster holds is shown; a cluster that
 * holds no table of the tenant's is a warning beside the result, which stays a passed drill.
 */
import { describe, expect, it } from 'vitest';
import { restoreWorld, CELL, CONTAINER, OLD_GUID } from '../support/restore-world.js';

const PARAMS = { cellIp: CELL, container: CONTAINER, url: `s3://our-postgresql-backups/backups/${OLD_GUID}/wal/`, drilledHere: false };
/** The deleted instance's system, as its archive's sysids/sysid and WAL name it (fixtures/seed-003). */
const OLD_SYSID = '6262209914512345093';

describe('the drill of the old archive on the new container’s cell', () => {
  it('shows the tables and rows the restored cluster holds, and warns of nothing', async () => {
    const w = restoreWorld();
    const out = await w.action('cell.drill-archive').run(w.ctx, PARAMS, {});
    expect(out).toMatchObject({ drilled: true, databases: ['postgres'] });
    expect(out.line).toMatch(/: consistent, 4 tables, 18,230 rows, replayed to /);
    expect(w.shown.warnings).toEqual([]);
  });

  it('warns when the restored cluster holds no table of the tenant’s, and still passes the drill', async () => {
    const w = restoreWorld();
    delete w.world.state.databases[OLD_SYSID]!.holds;
    const out = await w.action('cell.drill-archive').run(w.ctx, PARAMS, {});
    expect(out).toMatchObject({ drilled: true, databases: ['postgres'] });
    expect(out.line).toMatch(/: consistent, 0 tables, 0 rows, replayed to /);
    expect(w.shown.warnings).toEqual([
      expect.stringMatching(
        /^the restored cluster holds no table outside PostgreSQL's own schemas \(databases: postgres\): an instance its user kept data in would have some\. Check that this archive is the deleted instance's/,
      ),
    ]);
  });

  it('says the WAL replay could not reach, after a segment that does not decompress, and still passes the drill of the best copy there is', async () => {
    const w = restoreWorld();
    const key = `backups/${OLD_GUID}/wal/wal_005/000000010000000000000004.lzo`;
    await w.ctx.s3.put({ bucket: 'our-postgresql-backups', key }, 'not lzop at all');
    const out = await w.action('cell.drill-archive').run(w.ctx, PARAMS, {});
    expect(out).toMatchObject({ drilled: true, databases: ['postgres'] });
    expect(out.line).toMatch(
      /: consistent, 4 tables, 18,230 rows, replayed to [0-9A-F]+\/[0-9A-F]+, short of the newest archived WAL \(000000010000000000000004 \.\. 000000010000000000000005 not replayed\)$/,
    );
    expect(w.shown.evidence).toContain(
      'WAL 000000010000000000000004 .. 000000010000000000000005 was not replayed: what it holds will not come back',
    );
    expect(w.shown.warnings).toEqual([
      'archived WAL 000000010000000000000004 did not decompress: replay cannot go past it.',
      'replay stopped before the newest archived WAL: 000000010000000000000004 .. 000000010000000000000005 was not replayed.',
    ]);
  });
});
