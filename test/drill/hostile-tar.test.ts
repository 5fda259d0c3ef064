/**
 * A real PostgreSQL 15 archive whose base backup carries one more partition a tenant wrote: a regular
 * file, then a member aimed outside the scratch folder (links, absolute and climbing names, a hard
 * link to /etc/passwd, a device, a FIFO, set-id bits, a tablespace link). The drill, running as root,
 * refuses each naming the member and the partition, and nothing outside its scratch folder is
 * created, changed or chowned. A pg_wal link to a root-owned folder becomes an empty folder of ours,
 * and the drill passes without touching that folder.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRILL_EXIT } from '../../src/drill/exit-codes.js';
import { captureDrill, drillArgs, setUpDrill, tearDownDrill, type DrillFixtures } from '../support/drill-fixtures.js';
import { BEFORE, hostileShapes, link, lzoTarOf, sentinelFolder, snapshot, type MemberSpec } from '../support/hostile-tar.js';
import { DRILL_TABLE, uploadArchive } from '../support/wale-archive.js';

const BUCKET = 'hostile-tar-bucket';
const PREFIX = 'backups/hostile-tar/wal/';
const URL = `s3://${BUCKET}/${PREFIX}`;
const SECRET = 'hostile-tar-secret-Z4q';

let f: DrillFixtures;
let sentinel: string;
let scratch: string;

beforeAll(async () => {
  f = await setUpDrill({
    scratch: 'drill-hostile-tar-',
    bucket: BUCKET,
    archive: { rowsBefore: 300, rowsAfter: 100, partitions: 2 },
    prefix: PREFIX,
    env: { AWS_ACCESS_KEY_ID: 'AKIAHOSTILETAR01', AWS_SECRET_ACCESS_KEY: SECRET },
  });
  sentinel = await sentinelFolder(f.dir);
  scratch = join(f.dir, 'scratch');
}, 180_000);

afterAll(() => tearDownDrill(f));

/** The archive's base backup with one more partition holding these members. */
async function withPartition(members: MemberSpec[]): Promise<void> {
  const key = `${PREFIX}basebackups_005/${f.archive.latest}/tar_partitions/part_00000002.tar.lzo`;
  await f.moto.store.put({ bucket: BUCKET, key }, lzoTarOf(members));
}

/** What lies outside the scratch folder that a member could reach. */
const outside = (): Promise<Record<string, string>> => snapshot(sentinel, ['/etc/passwd']);

describe('a drill of a base backup holding members aimed outside the scratch folder', () => {
  it.each(hostileShapes('/placeholder').map((s) => s.label))('refuses %s, naming it, and writes nothing outside', async (label) => {
    const shape = hostileShapes(sentinel).find((s) => s.label === label)!;
    await withPartition([BEFORE, shape.member]);
    const before = await outside();
    const r = await captureDrill(drillArgs(URL, f.moto, { json: true, workdir: scratch }), SECRET);
    expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.notRestorable);
    const out = JSON.parse(r.stdout) as { outcome: string; message: string };
    expect(out.outcome).toBe('not-restorable');
    expect(out.message).toContain('part_00000002.tar.lzo');
    expect(out.message).toContain(JSON.stringify(shape.member.path));
    expect(out.message).toMatch(shape.says);
    expect(await outside()).toEqual(before);
    // The scratch folder went with the failed drill, with what the partition extracted before the member.
    expect(await readdir(scratch)).toEqual([]);
  });

  it('makes a pg_wal link to a root-owned folder outside an empty folder of ours, and the drill passes', async () => {
    await withPartition([BEFORE, link('pg_wal', join(sentinel, 'root-owned-wal'))]);
    const before = await outside();
    const r = await captureDrill(
      drillArgs(URL, f.moto, { json: true, workdir: scratch, query: `select id from ${DRILL_TABLE}`, keep: true }),
      SECRET,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const { report } = JSON.parse(r.stdout) as { report: { query: { rowCount: number }; workdir: string } };
    expect(report.query.rowCount).toBe(f.archive.rowsAfter);
    expect(await outside()).toEqual(before);
    expect(await readFile(join(report.workdir, 'data', 'global', 'written-before'), 'utf8')).toBe(BEFORE.body);
    // WAL went into the real folder in the scratch folder, none into the folder the link named.
    expect((await readdir(join(report.workdir, 'data', 'pg_wal'))).length).toBeGreaterThan(0);
  }, 120_000);

  it('restores the archive as PostgreSQL made it (the regular partitions alone)', async () => {
    await uploadArchive(f.moto.store, f.archive.root, BUCKET, PREFIX);
    await f.moto.store.deleteMany(BUCKET, [`${PREFIX}basebackups_005/${f.archive.latest}/tar_partitions/part_00000002.tar.lzo`]);
    const r = await captureDrill(drillArgs(URL, f.moto, { json: true, workdir: scratch }), SECRET);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }, 120_000);
});
