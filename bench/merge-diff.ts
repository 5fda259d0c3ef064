/**
 * The child process of the merge benchmark and of the merge's memory test: compares one table of
 * the database `shop` (the copy) with the same table of the database `live`, both on one scratch
 * server and read as the plan reads a copy (the reader role, each table's rows streamed), and
 * prints, as one JSON line, the difference's counts, the seconds it took, its peak RSS and its RSS
 * before the first row was read.
 * Usage: node --import tsx bench/merge-diff.ts CLIENT_BIN CONN_JSON TABLE
 */
import { performance } from 'node:perf_hooks';
import { diffTables, type MergeSide } from '../src/merge/plan.js';
import { scratchAccount } from '../src/systems/scratch-account.js';
import { lineReader, querier, type Conn } from '../src/volumes/scratch-server.js';

const [clientBin, connJson, table] = process.argv.slice(2);
const conn = JSON.parse(connJson!) as Conn;
const as = scratchAccount();
const side = (db: string): MergeSide => {
  const query = querier(clientBin!, conn, as, '15', true);
  const lines = lineReader(clientBin!, conn, as, '15');
  return { query: (_db, sql) => query(db, sql), lines: (_db, sql) => lines(db, sql) };
};
// What the process holds before it reads a row (Node, the code loaded): the diff's own growth is measured from here.
const startRssKb = Math.round(process.memoryUsage().rss / 1024);
const t0 = performance.now();
const diffs = await diffTables(side('shop'), side('live'), { database: 'shop', tables: [table!] });
const d = diffs.tables[0]!.diff;
process.stdout.write(
  JSON.stringify({
    inserts: d.inserts.length,
    review: d.review.length,
    keptNew: d.keptNew,
    unchanged: d.unchanged,
    seconds: (performance.now() - t0) / 1000,
    maxRssKb: process.resourceUsage().maxRSS,
    startRssKb,
  }) + '\n',
);
