/**
 * The log search against grep on the same files in the same run: at least 1 GiB of generated
 * syslog (LOGS_BENCH_MIB=N for N MiB, to iterate on a smaller set), half plain (ours vs
 * `grep -F`), half gzipped (ours vs `zcat | grep -F`), with the same literal terms; `rg -F` beside.
 * Our figure is the whole finder (scan, parse, rank) in a child process, timed inside it, so its
 * peak RSS is its own. The machine may be shared, so each side runs ROUNDS times, alternating,
 * and the medians of wall time and of CPU time (user + system) are compared, with the load
 * average printed. Ratios are throughputs: ours / reference.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { SCAN_TERMS } from '../src/logs/search-terms.js';
import { termText } from '../src/core/log-source.js';
import { generateLogs, type GeneratedLogs } from '../test/support/generate-logs.js';
import { benchLogsEs } from './logs-es.js';

const HALF = (Number(process.env.LOGS_BENCH_MIB) || 1152) * 2 ** 19;
const ROUNDS = 3;
const SERVICE = 'important-db';

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** One timed run: wall seconds, CPU seconds (user + system, children included) and peak RSS in KiB. */
interface Timed {
  seconds: number;
  cpuSeconds: number;
  maxRssKb: number;
}

function spawnText(argv: string[], esUrl?: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const env = esUrl ? { ...process.env, BENCH_ES_URL: esUrl } : process.env;
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ stdout, stderr, code });
    });
  });
}

/** A shell command under `/usr/bin/time`, whose last stderr line gives its CPU and RSS. */
async function timed(command: string): Promise<Timed> {
  const t0 = performance.now();
  const r = await spawnText(['/usr/bin/time', '-f', '%U %S %M', 'sh', '-c', command]);
  const seconds = (performance.now() - t0) / 1000;
  const lines = r.stderr.trim().split('\n');
  const [user, sys, rss] = lines.pop()!.split(' ').map(Number);
  // grep exits 1 when nothing matched; anything above is an error.
  if (r.code !== 0 && !(r.code === 1 && lines.length === 0)) throw new Error(`${command} exited ${r.code}: ${lines.join('\n')}`);
  return { seconds, cpuSeconds: user! + sys!, maxRssKb: rss! };
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

interface Ours extends Timed {
  bytes: number;
  first: string | null;
  /** Threads a large plain file's ranges are shared among. */
  threads: number;
}

async function ours(files: string[], esUrl?: string): Promise<Ours> {
  // Compiled (dist/bench/logs.js) the child is plain JavaScript; from source it runs through tsx.
  const self = fileURLToPath(import.meta.url);
  const compiled = self.endsWith('.js');
  const child = join(dirname(self), compiled ? 'logs-scan.js' : 'logs-scan.ts');
  const r = await spawnText([process.execPath, ...(compiled ? [] : ['--import', 'tsx']), child, SERVICE, ...files], esUrl);
  if (r.code !== 0) throw new Error(`logs-scan exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Ours;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Each side ROUNDS times, alternating, so a burst of load from elsewhere hits both alike. */
async function rounds<T extends Timed>(sides: (() => Promise<T>)[]): Promise<{ wall: number; cpu: number; runs: T[] }[]> {
  const runs: T[][] = sides.map(() => []);
  for (let i = 0; i < ROUNDS; i++) for (const [k, side] of sides.entries()) runs[k]!.push(await side());
  return runs.map((r) => ({ wall: median(r.map((x) => x.seconds)), cpu: median(r.map((x) => x.cpuSeconds)), runs: r }));
}

function check(label: string, truth: GeneratedLogs, found: string | null): string {
  const want = truth.expectedFor(SERVICE)?.guid ?? null;
  return `${label}: first candidate ${found ?? 'none'} ${found === want ? '(right: the truth agrees)' : `(WRONG: expected ${want})`}`;
}

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function side(name: string, bytes: number, m: { wall: number; cpu: number }): string {
  return `${name} ${(bytes / 1e6 / m.wall).toFixed(0)} MB/s (${m.wall.toFixed(2)} s wall, ${m.cpu.toFixed(2)} s CPU)`;
}

export async function benchLogs(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'logs-bench-'));
  try {
    log(`generating ${(2 * HALF) / 2 ** 30} GiB of syslog in ${dir} ...`);
    const t0 = performance.now();
    const plain = await generateLogs({ dir: join(dir, 'plain'), seed: 11, days: 14, files: 4, gzipFrom: Infinity, targetBytes: HALF });
    const gz = await generateLogs({ dir: join(dir, 'gz'), seed: 12, days: 14, files: 4, gzipFrom: 0, targetBytes: HALF });
    log(
      `generated in ${((performance.now() - t0) / 1000).toFixed(1)} s: plain ${(plain.bytes / 2 ** 20).toFixed(0)} MiB in ${plain.files.length} files, gzip ${(gz.bytes / 2 ** 20).toFixed(0)} MiB (uncompressed) in ${gz.files.length} files`,
    );
    // The reference greps for the same literals; a term of ours that also wants a word on its line
    // narrows what we decode and parse, never what either side reads.
    const terms = SCAN_TERMS.map((t) => `-e ${quote(termText(t))}`).join(' ');
    const plainFiles = plain.files.map(quote).join(' ');
    const gzFiles = gz.files.map(quote).join(' ');
    await timed(`cat ${plainFiles} ${gzFiles} > /dev/null`); // page cache warm for all
    const hasRg = (await spawnText(['sh', '-c', 'command -v rg || true'])).stdout.trim() !== '';
    const loadBefore = load();

    const [oursPlain, grep, rg] = await rounds<Timed & Partial<Ours>>([
      () => ours(plain.files),
      () => timed(`grep -F -c ${terms} ${plainFiles}`),
      ...(hasRg ? [() => timed(`rg -F -c ${terms} ${plainFiles}`)] : []),
    ]);
    const [oursGz, zgrep, zrg] = await rounds<Timed & Partial<Ours>>([
      () => ours(gz.files),
      () => timed(`zcat ${gzFiles} | grep -F -c ${terms}`),
      ...(hasRg ? [() => timed(`zcat ${gzFiles} | rg -F -c ${terms}`)] : []),
    ]);
    const rssMb = (r: { runs: Timed[] }): number => Math.max(...r.runs.map((x) => x.maxRssKb)) / 1024;
    const rss = Math.max(rssMb(oursPlain!), rssMb(oursGz!));

    log(
      `terms: ${SCAN_TERMS.map((t) => (typeof t === 'string' ? JSON.stringify(t) : `${JSON.stringify(t.term)} (ours: on lines with one of ${t.onlyWith.join(', ')})`)).join(' ')}`,
    );
    log(`medians of ${ROUNDS} alternating runs; load average (1, 5, 15 min) ${loadBefore} before, ${load()} after`);
    log(
      `plain  ${(plain.bytes / 1e6).toFixed(0)} MB: ${side('ours', plain.bytes, oursPlain!)}, peak RSS ${rssMb(oursPlain!).toFixed(0)} MB, each file's ranges shared among up to ${oursPlain!.runs[0]!.threads} threads`,
    );
    log(`       ${side('grep -F', plain.bytes, grep!)}${rg ? `; ${side('rg -F', plain.bytes, rg)}` : ''}`);
    if (!hasRg) log('       rg -F: not measured, ripgrep is not installed (apt-get install ripgrep; .ci/run installs it)');
    log(`gzip   ${(gz.bytes / 1e6).toFixed(0)} MB: ${side('ours', gz.bytes, oursGz!)}, peak RSS ${rssMb(oursGz!).toFixed(0)} MB`);
    log(`       ${side('zcat | grep -F', gz.bytes, zgrep!)}${zrg ? `; ${side('zcat | rg -F', gz.bytes, zrg)}` : ''}`);
    log(check('plain', plain, oursPlain!.runs[0]!.first ?? null));
    log(check('gzip', gz, oursGz!.runs[0]!.first ?? null));
    log('targets: plain >= 1.20 (grep -F), gzip >= 1.50 (zcat | grep -F), rss_mb < 200; rg -F printed beside, when installed');
    const ratio = (o: { wall: number }, ref: { wall: number }): string => (ref.wall / o.wall).toFixed(2);
    const cpuRatio = (o: { cpu: number }, ref: { cpu: number }): string => (ref.cpu / o.cpu).toFixed(2);
    const vsRg = rg && zrg ? ` plain_rg=${ratio(oursPlain!, rg)} gzip_rg=${ratio(oursGz!, zrg)}` : '';
    log(`CPU-time ratios (less noisy on a shared machine): plain=${cpuRatio(oursPlain!, grep!)} gzip=${cpuRatio(oursGz!, zgrep!)}`);
    const last = `logs-bench plain=${ratio(oursPlain!, grep!)} gzip=${ratio(oursGz!, zgrep!)} rss_mb=${rss.toFixed(0)}${vsRg}`;
    log(last);
    // The scale-out path: the same finder through Elasticsearch, beside --logs on the same lines.
    const es = await benchLogsEs(ours, (logs) => logs.expectedFor(SERVICE)?.guid ?? null);
    for (const line of es) log(line);
    return `${last}\n${es.at(-1)!}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
