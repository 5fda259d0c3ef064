/**
 * The child process of the merge benchmark and of the merge's memory test: compares one table of
 * the database `shop` (the copy) with the same table of the database `live`, both on one scratch
 * server and read as the plan reads a copy (the reader role, each table's rows streamed), and
 * prints, as one JSON line, the difference's counts, the seconds it took, its peak RSS, its RSS
 * before the first row was read and the peak of V8's own malloc.
 * Usage: node --import tsx bench/merge-diff.ts SERVER_JSON TABLE, SERVER_JSON the server's clients
 * (`into`: the command line that runs a program in its sandbox; `bin`, `port`, `user`).
 */
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { PipeStage, ProcResult, ScratchSandbox } from '../src/core/seams.js';
import { diffTables, type MergeSide } from '../src/merge/plan.js';
import { run } from '../src/systems/processes.js';
import { lineReader, querier } from '../src/volumes/scratch-server.js';
import { peakRssKb } from './peak-rss.js';

const [serverJson, table] = process.argv.slice(2);
const server = JSON.parse(serverJson!) as { into: string[]; bin: string; port: number; user: string };
// The server's sandbox, entered as the parent would: only running programs in it is asked of it here.
const inside = (argv: string[]): string[] => [...server.into, ...argv];
const sandbox = {
  command: inside,
  run: (argv: string[], o: { env?: NodeJS.ProcessEnv } = {}): Promise<ProcResult> => run(inside(argv), { env: o.env }),
  stage: (argv: string[], o: { env?: NodeJS.ProcessEnv } = {}): PipeStage => ({ argv: inside(argv), opts: { env: o.env } }),
} as unknown as ScratchSandbox;
const endpoint = { sandbox, bin: server.bin, port: server.port };
const side = (db: string): MergeSide => {
  const query = querier(endpoint, server.user, '15', true);
  const lines = lineReader(endpoint, '15', server.user);
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
    maxRssKb: peakRssKb(),
    startRssKb,
    v8MallocPeakKb: Math.round(getHeapStatistics().peak_malloced_memory / 1024),
  }) + '\n',
);
