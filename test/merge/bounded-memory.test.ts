/**
 * The merge's memory is bounded by the rows that differ, not by the table: a table of 300,000 rows
 * on both sides (real PostgreSQL 15, both read as the plan reads a copy, streamed) is compared in a
 * child process whose V8 heap is capped far below what the table's rows take once read into memory,
 * with the malloc an operator's process has (not the suite's, which keeps freed memory).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchServer } from '../../src/volumes/scratch-server.js';
import { diffInChild } from '../../bench/merge.js';
import { withoutSuiteMalloc } from '../support/suite-malloc.js';
import { bigDiff, startBigTables } from './big-table.js';

const ROWS = 300_000;
/** The child's old-generation heap: the table's 600,000 rows as parsed objects take several times this. */
const HEAP_MB = 32;
/**
 * What the process may grow by while it compares: V8's young generation filling up between
 * collections, and the buffers in flight. Node 20 grows by about 40 MB here, Node 24 by about 80 MB,
 * because Node 24's V8 sizes the young generation larger (on 24, --max-semi-space-size=8, 16 and 32
 * give about 22, 42 and 70 MB): what grows is the garbage of rows already compared, not rows held.
 * The heap cap above is what refuses rows held whole; this bound refuses them held off it.
 */
const GROWTH_MB = 200;
/** What the test's own process holds while the child runs: more than GROWTH_MB above the child's start. */
const BALLAST_MB = 400;

let work: string;
let server: ScratchServer | undefined;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'merge-memory-'));
  chmodSync(work, 0o755);
  server = await startBigTables(work, ROWS);
}, 180_000);

afterAll(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the merge of a large table', () => {
  it(`compares ${ROWS} rows a side with a heap of ${HEAP_MB} MB, its counts exact`, async () => {
    // The child's figure is its own: a parent of BALLAST_MB must not count in it, as Linux's ru_maxrss
    // would count the forked image of the parent the child was before exec (bench/peak-rss.ts).
    const ballast = Buffer.alloc(BALLAST_MB << 20, 1);
    expect(process.memoryUsage().rss).toBeGreaterThan(BALLAST_MB << 20);
    const capped = await diffInChild(server!, 'public.big', HEAP_MB, withoutSuiteMalloc(process.env));
    ballast.fill(0); // held until the child has run
    expect(capped).toMatchObject(bigDiff(ROWS));
    // The rows in flight, on the heap and off it (buffers): what the process grew by while it compared,
    // from its RSS once Node and the code were loaded, which differs by Node release.
    process.stdout.write(
      `merge of ${ROWS} rows a side: RSS ${capped.startRssKb} KiB at start, ${capped.maxRssKb} KiB at peak; V8's own malloc ${capped.v8MallocPeakKb} KiB at peak\n`,
    );
    expect(capped.maxRssKb - capped.startRssKb).toBeLessThan(GROWTH_MB * 1024);
  }, 300_000);
});
