/**
 * `volumes find`, `look`, the dump and the restore check on real clusters of PostgreSQL 10, 12, 14,
 * 15 and 17 (test/support/pg-majors.ts), each in a folder of Docker volumes beside the fresh empty
 * cluster a later `up` makes of the same major and a Redis dump: the user's cluster ranked first
 * and left unchanged, its rows read, dumped and the dump restored. The newest local client here is
 * Debian's 15: a 17 cluster is found and ranked, and its look refused naming the client to install.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyTree } from '../../src/volumes/copy.js';
import { findVolumes } from '../../src/volumes/find.js';
import { dumpDatabases, lookInside } from '../../src/volumes/look.js';
import { verifyDumps } from '../../src/volumes/restore-check.js';
import { MATRIX_MAJORS, pgBinOf } from '../support/pg-majors.js';
import { useMajorsBinaries, useMajorsScratch } from '../support/pg-majors-env.js';
import { makeCluster, manifest } from '../support/pg-volumes.js';

useMajorsBinaries();
const scratch = useMajorsScratch('majors-volumes-');

const owner = () => ({
  uid: Number(execFileSync('id', ['-u', 'postgres']).toString()),
  gid: Number(execFileSync('id', ['-g', 'postgres']).toString()),
});

describe.each(MATRIX_MAJORS)('PostgreSQL %s volumes', (major) => {
  let root: string;
  const wanted = `app${major}_pgdata`;
  const fresh = `app${major}_fresh`;

  beforeAll(async () => {
    root = join(scratch, `volumes-${major}`);
    mkdirSync(root);
    await makeCluster(
      join(root, wanted, '_data'),
      'shop',
      `CREATE TABLE orders(id serial primary key, placed_at timestamptz not null);
       INSERT INTO orders(placed_at) SELECT timestamptz '2024-01-01' + g * interval '1 minute' FROM generate_series(1, 2500) g;`,
      'stop',
      undefined,
      pgBinOf(major),
    );
    // The next `up` on a new volume: initdb and an empty database, its checkpoint newer than the user's.
    execFileSync('sleep', ['1.1']);
    await makeCluster(join(root, fresh, '_data'), 'app', 'SELECT 1;', 'stop', undefined, pgBinOf(major));
    mkdirSync(join(root, 'cache', '_data'), { recursive: true });
    writeFileSync(join(root, 'cache', '_data', 'dump.rdb'), Buffer.concat([Buffer.from('REDIS0009'), Buffer.alloc(64, 0xfa)]));
  }, 120_000);

  it('find ranks the cluster holding tables first, reads its major and changes nothing', async () => {
    const before = manifest(root);
    const r = await findVolumes({ volumesRoot: root });
    expect(r.candidates.map((c) => c.name)).toEqual([wanted, fresh]);
    expect(r.candidates[0]!.postgres).toMatchObject({ major, binaries: { bin: pgBinOf(major) } });
    expect(r.candidates[0]!.postgres!.versionProblem).toBeUndefined();
    expect(r.candidates[0]!.postgres!.control?.crcOk).toBe(true);
    expect(r.candidates[0]!.postgres!.userData.relations).toBeGreaterThan(0);
    expect(r.passedOver).toEqual([{ kind: 'redis', count: 1 }]);
    expect(manifest(root)).toEqual(before);
  });

  it(
    major === '17'
      ? 'look refuses a 17 cluster, no local client being new enough'
      : 'look reads its rows, the dump holds them and restores',
    async () => {
      const copy = join(scratch, `copy-${major}`);
      await copyTree(join(root, wanted, '_data'), copy, { owner: owner() });
      const work = mkdtempSync(join(scratch, `work-${major}-`));
      if (major === '17') {
        await expect(lookInside({ dataDir: copy, major, workDir: work })).rejects.toThrow(
          "the newest local pg_dump is PostgreSQL 15, older than the volume's 17",
        );
        return;
      }
      const look = await lookInside({ dataDir: copy, major, workDir: work });
      expect(look.server).toContain(`local PostgreSQL ${major}`);
      const shop = look.databases.find((d) => d.name === 'shop')!;
      expect(shop.largestTables[0]).toMatchObject({ schema: 'public', table: 'orders', rows: 2500, rowsExact: true });
      const dumps = await dumpDatabases({
        dataDir: copy,
        major,
        workDir: work,
        databases: ['shop'],
        outDir: join(scratch, `dumps-${major}`),
      });
      expect(dumps[0]).toMatchObject({ database: 'shop', rowCounts: { 'public.orders': 2500 } });
      expect(await verifyDumps(dumps, { work: { in: tmpdir() } })).toEqual([
        { database: 'shop', file: dumps[0]!.file, restored: true, differences: [], tables: 1 },
      ]);
    },
    120_000,
  );
});
