/**
 * What an operator waits for before anything happens: `dingo-recover --help`, `--version`
 * and a bare `dingo-recover` (median of RUNS), and the whole rehearsal of the bundled
 * scenario (`rehearse --yes` in a fresh temporary --state-dir), each beside `node -e 0`, the
 * floor any Node.js CLI starts from, measured in the same run. The load average is printed
 * with the figures: on a shared machine it moves them more than any change does.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const RUNS = 11;
const REHEARSALS = 5;
const STARTUP_TARGET_MS = 150;
const REHEARSAL_TARGET_MS = 1500;
/** bin/dingo-recover.js, from dist/bench/ or bench/. */
const BIN = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  ...(fileURLToPath(import.meta.url).includes('/dist/') ? ['..'] : []),
  'bin',
  'dingo-recover.js',
);

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Wall milliseconds of one run; fails on a non-zero exit. */
function wall(argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve(ms);
      else reject(new Error(`${argv.join(' ')} exited ${code}: ${stderr.slice(0, 2000)}`));
    });
  });
}

/** The machine's load while measuring, and what every node process here pays before our code runs. */
function conditions(): string {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  // Node 20 reads NODE_EXTRA_CA_CERTS at start-up, before any code: node -e 0 pays it too.
  const ca = process.env.NODE_EXTRA_CA_CERTS ? '; NODE_EXTRA_CA_CERTS is set (node -e 0 pays for it too)' : '';
  return `load average ${load} (${availableParallelism()} CPUs)${ca}`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median of `runs` runs of each command, interleaved so that drift hits all alike. */
async function medians(commands: Record<string, string[]>, runs: number): Promise<Record<string, number>> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    for (const [name, argv] of Object.entries(commands)) times[name]!.push(await wall(argv));
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

export async function benchStartup(): Promise<string> {
  const node = process.execPath;
  // One untimed round first: the page cache, not the code, would win the first run.
  await medians({ a: [node, '-e', '0'], b: [node, BIN, '--version'] }, 1);
  const m = await medians(
    {
      'node -e 0': [node, '-e', '0'],
      'dingo-recover --help': [node, BIN, '--help'],
      'dingo-recover --version': [node, BIN, '--version'],
      'dingo-recover (bare)': [node, BIN],
    },
    RUNS,
  );
  const floor = m['node -e 0']!;
  log(`median of ${RUNS} runs each, ${conditions()}:`);
  for (const [k, v] of Object.entries(m)) {
    const beside = k === 'node -e 0' ? 'the floor' : `node -e 0 +${(v - floor).toFixed(0)} ms`;
    log(`  ${k}: ${v.toFixed(0)} ms (${beside}; target under ${STARTUP_TARGET_MS} ms)`);
  }
  const help = m['dingo-recover --help']!;
  const version = m['dingo-recover --version']!;
  const bare = m['dingo-recover (bare)']!;
  return `startup-bench help_ms=${help.toFixed(0)} version_ms=${version.toFixed(0)} bare_ms=${bare.toFixed(0)} node_ms=${floor.toFixed(0)} target_ms=${STARTUP_TARGET_MS}`;
}

export async function benchRehearse(): Promise<string> {
  const node = process.execPath;
  const times: number[] = [];
  const floors: number[] = [];
  for (let i = 0; i < REHEARSALS; i++) {
    const dir = await mkdtemp(join(tmpdir(), 'rehearse-bench-'));
    try {
      floors.push(await wall([node, '-e', '0']));
      times.push(await wall([node, BIN, 'rehearse', '--yes', '--state-dir', dir]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const ms = median(times);
  const floor = median(floors);
  log(
    `dingo-recover rehearse --yes (bundled scenario, fresh --state-dir), ${REHEARSALS} runs: ${times.map((t) => t.toFixed(0)).join(', ')} ms`,
  );
  log(`  median ${ms.toFixed(0)} ms beside node -e 0 ${floor.toFixed(0)} ms (target: under ${REHEARSAL_TARGET_MS} ms), ${conditions()}`);
  return `rehearse-bench wall_ms=${ms.toFixed(0)} node_ms=${floor.toFixed(0)} target_ms=${REHEARSAL_TARGET_MS}`;
}
