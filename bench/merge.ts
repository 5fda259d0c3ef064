/**
 * The merge's diff of a large table (MERGE_BENCH_ROWS rows, 1,000,000 by default; at least 100,000)
 * beside what a DBA does by hand on the same two databases of the same server: `psql \copy` of each
 * table to a file, `sort` of each (LC_ALL=C) and `comm -3` of the two. Ours is the plan's read and
 * comparison (both sides streamed in key order, a merge join) in a child process. Both run under
 * `/usr/bin/time`: wall seconds, and the peak RSS of the largest process of each (the reference's
 * `sort` holds its input in memory up to its buffer, then spills to files). Then the same in SQL_ASCII
 * databases whose text holds Latin-1, which the merge reads as its bytes' escapes.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { quote } from '../src/core/command-line.js';
import { READER_ROLE } from '../src/systems/pg-reader.js';
import { connArgs } from '../src/systems/postgres/index.js';
import type { ScratchServer } from '../src/volumes/scratch-server.js';
import { bigDiff, startBigTables, type BigEncoding } from '../test/merge/big-table.js';

const ROWS = Math.max(100_000, Number(process.env.MERGE_BENCH_ROWS) || 1_000_000);

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** What the merge's child found and its own peak RSS. */
export interface ChildDiff {
  inserts: number;
  review: number;
  keptNew: number;
  unchanged: number;
  seconds: number;
  maxRssKb: number;
  /** The child's RSS once Node and the code were loaded, before the first row was read. */
  startRssKb: number;
  /** The peak of what V8 allocated with malloc for itself (the compilers' zones and the like), off the JS heap. */
  v8MallocPeakKb: number;
}

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}

function spawnText(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run & { signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ stdout, stderr, code, signal });
    });
  });
}

/** The argv that runs the diff's child on `server`'s table, its V8 heap capped at `heapMb` when given. */
function childArgv(server: ScratchServer, table: string, heapMb?: number): string[] {
  // Compiled (dist/bench/merge.js) the child is plain JavaScript; from source it runs through tsx.
  const self = fileURLToPath(import.meta.url);
  const compiled = self.endsWith('.js');
  const child = join(dirname(self), compiled ? 'merge-diff.js' : 'merge-diff.ts');
  return [
    process.execPath,
    ...(heapMb ? [`--max-old-space-size=${heapMb}`] : []),
    ...(compiled ? [] : ['--import', 'tsx']),
    child,
    JSON.stringify({ into: server.endpoint.sandbox.command([]), bin: server.clientBin, port: server.endpoint.port, user: READER_ROLE }),
    table,
  ];
}

/** The merge's diff of `table` between the databases shop and live of `server`, in a child process of environment `env`. */
export async function diffInChild(server: ScratchServer, table: string, heapMb?: number, env?: NodeJS.ProcessEnv): Promise<ChildDiff> {
  const r = await spawnText(childArgv(server, table, heapMb), env);
  if (r.code !== 0) {
    const how = r.signal ? `was killed by ${r.signal}` : `exited ${r.code}`;
    throw new Error(`merge-diff ${how}: ${r.stderr.trim().split('\n').slice(0, 5).join('\n')}`);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildDiff;
}

/** A command under `/usr/bin/time`: wall seconds and the peak RSS (KiB) of its largest process. */
async function timed(argv: string[]): Promise<{ seconds: number; maxRssKb: number; stdout: string }> {
  const t0 = performance.now();
  const r = await spawnText(['/usr/bin/time', '-f', '%M', ...argv]);
  const seconds = (performance.now() - t0) / 1000;
  const lines = r.stderr.trim().split('\n');
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${lines.join('\n')}`);
  return { seconds, maxRssKb: Number(lines.pop()), stdout: r.stdout };
}

/** By hand, psql in the server's sandbox (the socket is there), its output written here: both tables copied out, sorted, compared. */
function byHand(server: ScratchServer, dir: string): string[] {
  const psql = (db: string, file: string) =>
    `${quote(
      server.endpoint.sandbox.command([
        join(server.clientBin, 'psql'),
        '-X',
        '-q',
        ...connArgs(server.endpoint),
        '-U',
        server.superuser,
        '-d',
        db,
        '-c',
        '\\copy (select * from only public.big) to stdout',
      ]),
    )} > ${file}`;
  const [copy, live] = [join(dir, 'copy.txt'), join(dir, 'live.txt')];
  const script = [
    psql('shop', copy),
    psql('live', live),
    `LC_ALL=C sort -o ${copy}.sorted ${copy}`,
    `LC_ALL=C sort -o ${live}.sorted ${live}`,
    `LC_ALL=C comm -3 ${copy}.sorted ${live}.sorted | wc -l`,
  ].join(' && ');
  return ['sh', '-c', script];
}

export async function benchMerge(): Promise<string> {
  return [await benchOne('UTF8'), await benchOne('SQL_ASCII')].join('\n');
}

/** The merge and its reference on databases in ENCODING: the result line. */
async function benchOne(encoding: BigEncoding): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'merge-bench-'));
  let server: ScratchServer | undefined;
  try {
    await chmod(dir, 0o755);
    log(`making ${ROWS} rows in two ${encoding} databases ...`);
    const t0 = performance.now();
    server = await startBigTables(dir, ROWS, encoding);
    log(
      `made in ${((performance.now() - t0) / 1000).toFixed(1)} s; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    const hand = join(dir, 'by-hand');
    await spawnText(['install', '-d', hand]);
    const ref = await timed(byHand(server, hand));
    const ours = await timed(childArgv(server, 'public.big'));
    const found = JSON.parse(ours.stdout.trim().split('\n').pop()!) as ChildDiff;
    const want = bigDiff(ROWS);
    const right =
      found.inserts === want.inserts &&
      found.review === want.review &&
      found.keptNew === want.keptNew &&
      found.unchanged === want.unchanged;
    log(
      `ours: ${ours.seconds.toFixed(2)} s wall, peak RSS ${(ours.maxRssKb / 1024).toFixed(0)} MB (node alone ${(found.maxRssKb / 1024).toFixed(0)} MB): ${found.inserts} to put back, ${found.review} changed, ${found.keptNew} new, ${found.unchanged} unchanged${right ? '' : ' (WRONG: expected ' + JSON.stringify(want) + ')'}`,
    );
    log(
      `psql \\copy x2 + sort x2 + comm -3: ${ref.seconds.toFixed(2)} s wall, peak RSS ${(ref.maxRssKb / 1024).toFixed(0)} MB, ${ref.stdout.trim()} lines differ (a changed row is two)`,
    );
    return `merge-bench encoding=${encoding} rows=${ROWS} ours_s=${ours.seconds.toFixed(2)} ref_s=${ref.seconds.toFixed(2)} ours_rss_mb=${(ours.maxRssKb / 1024).toFixed(0)} ref_rss_mb=${(ref.maxRssKb / 1024).toFixed(0)}${right ? '' : ' WRONG'}`;
  } finally {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
