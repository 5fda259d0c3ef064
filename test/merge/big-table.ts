/**
 * A large table on both sides of a merge, for the memory test and the benchmark: the copy is the
 * database `shop` of a cluster, the live side the database `live` of the same cluster, holding the
 * same rows but for 5 deleted, 5 changed and 5 new ones. The scratch server is started on it. In
 * SQL_ASCII databases, each name holds a byte of Latin-1 (é), which the merge reads and compares as
 * its escapes.
 */
import { join } from 'node:path';
import { startScratchServer, type ScratchServer } from '../../src/volumes/scratch-server.js';
import { makeCluster } from '../support/pg-volumes.js';

export type BigEncoding = 'UTF8' | 'SQL_ASCII';

const table = (
  rows: number,
  encoding: BigEncoding,
): string => `CREATE TABLE big (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2), at timestamptz);
INSERT INTO big SELECT g, ${encoding === 'SQL_ASCII' ? String.raw`E'caf\xe9 '` : "'customer '"} || g, g * 1.25, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 minute'
  FROM generate_series(1, ${rows}) g;`;

const CHANGES = `DELETE FROM big WHERE id IN (1, 2, 10, 1000, 99999);
UPDATE big SET amount = 0 WHERE id IN (3, 4, 11, 1001, 99998);
INSERT INTO big SELECT g, 'new ' || g, 1, now() FROM generate_series(-5, -1) g;`;

/** What the merge finds between the two: counts. */
export const bigDiff = (rows: number) => ({ inserts: 5, review: 5, keptNew: 5, unchanged: rows - 10 });

/** The cluster in `dir`/data, `rows` rows on both sides, its databases in ENCODING, and its scratch server (stop it). */
export async function startBigTables(dir: string, rows: number, encoding: BigEncoding = 'UTF8'): Promise<ScratchServer> {
  const data = join(dir, 'data');
  if (encoding === 'UTF8') await makeCluster(data, 'shop', table(rows, encoding), 'stop', 'CREATE DATABASE live;');
  else {
    const create = (db: string) => `CREATE DATABASE ${db} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;`;
    await makeCluster(data, 'unused', 'SELECT 1;', 'stop', `${create('shop')} ${create('live')}`);
  }
  const server = await startScratchServer({ dataDir: data, major: '15', workDir: dir });
  try {
    // The scratch server's sessions search pg_catalog only.
    if (encoding === 'SQL_ASCII') await server.query('shop', `SET search_path = public;\n${table(rows, encoding)}`);
    await server.query('live', `SET search_path = public;\n${table(rows, encoding)}\n${CHANGES}`);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
