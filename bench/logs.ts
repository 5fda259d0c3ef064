/**
 * The log search against grep on the same files in the same run: at least 1 GiB of generated
 * syslog, half plain (ours vs `grep -F`), half gzipped (ours vs `zcat | grep -F`), with the same
 * literal terms. Our figure is the whole finder (scan, parse, rank) in a child process, timed
 * inside it, so its peak RSS is its own. Ratios are throughputs: ours / reference.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { SCAN_TERMS } from '../src/logs/search-terms.js';
import { generateLogs, type GeneratedLogs } from '../test/support/generate-logs.js';

const HALF = 576 * 1024 * 1024;
const SERVICE = 'important-db';

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function run(argv: string[], opts: { shell?: boolean } = {}): Promise<{ stdout: string; seconds: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = opts.shell
      ? spawn('sh', ['-c', argv[0]!], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      // grep exits 1 when nothing matched; anything above is an error.
      if (code !== 0 && !(code === 1 && stderr === '')) reject(new Error(`${argv.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ stdout, seconds });
    });
  });
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

interface Ours {
  bytes: number;
  seconds: number;
  maxRssKb: number;
  first: string | null;
}

async function ours(files: string[]): Promise<Ours> {
  // Compiled (dist/bench/logs.js) the child is plain JavaScript; from source it runs through tsx.
  const self = fileURLToPath(import.meta.url);
  const compiled = self.endsWith('.js');
  const child = join(dirname(self), compiled ? 'logs-scan.js' : 'logs-scan.ts');
  const r = await run([process.execPath, ...(compiled ? [] : ['--import', 'tsx']), child, SERVICE, ...files]);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Ours;
}

function mbps(bytes: number, seconds: number): number {
  return bytes / 1e6 / seconds;
}

function check(label: string, truth: GeneratedLogs, found: string | null): string {
  const want = truth.expectedFor(SERVICE)?.guid ?? null;
  return `${label}: first candidate ${found ?? 'none'} ${found === want ? '(right: the truth agrees)' : `(WRONG: expected ${want})`}`;
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
    const terms = SCAN_TERMS.map((t) => `-e ${quote(t)}`).join(' ');

    await run(['sh', '-c', `cat ${plain.files.map(quote).join(' ')} ${gz.files.map(quote).join(' ')} > /dev/null`]); // page cache warm for all
    const grep = await run([`grep -F -c ${terms} ${plain.files.map(quote).join(' ')}`], { shell: true });
    const oursPlain = await ours(plain.files);
    const zgrep = await run([`zcat ${gz.files.map(quote).join(' ')} | grep -F -c ${terms}`], { shell: true });
    const oursGz = await ours(gz.files);
    // ripgrep, the other tool an operator would reach for, when it is installed.
    const hasRg = (await run(['command -v rg || true'], { shell: true })).stdout.trim() !== '';
    const rg = hasRg ? await run([`rg -F -c ${terms} ${plain.files.map(quote).join(' ')}`], { shell: true }) : null;
    const zrg = hasRg ? await run([`zcat ${gz.files.map(quote).join(' ')} | rg -F -c ${terms}`], { shell: true }) : null;

    const grepRate = mbps(plain.bytes, grep.seconds);
    const zRate = mbps(gz.bytes, zgrep.seconds);
    const plainRate = mbps(oursPlain.bytes, oursPlain.seconds);
    const gzRate = mbps(oursGz.bytes, oursGz.seconds);
    const rss = Math.max(oursPlain.maxRssKb, oursGz.maxRssKb) / 1024;
    log(`terms: ${SCAN_TERMS.map((t) => JSON.stringify(t)).join(' ')}`);
    log(
      `plain  ${(plain.bytes / 1e6).toFixed(0)} MB: ours ${plainRate.toFixed(0)} MB/s (${oursPlain.seconds.toFixed(2)} s, peak RSS ${(oursPlain.maxRssKb / 1024).toFixed(0)} MB)  grep -F ${grepRate.toFixed(0)} MB/s (${grep.seconds.toFixed(2)} s)`,
    );
    log(
      `gzip   ${(gz.bytes / 1e6).toFixed(0)} MB: ours ${gzRate.toFixed(0)} MB/s (${oursGz.seconds.toFixed(2)} s, peak RSS ${(oursGz.maxRssKb / 1024).toFixed(0)} MB)  zcat | grep -F ${zRate.toFixed(0)} MB/s (${zgrep.seconds.toFixed(2)} s)`,
    );
    if (rg && zrg) {
      log(
        `rg -F: plain ${mbps(plain.bytes, rg.seconds).toFixed(0)} MB/s (${rg.seconds.toFixed(2)} s), zcat | rg -F ${mbps(gz.bytes, zrg.seconds).toFixed(0)} MB/s (${zrg.seconds.toFixed(2)} s)`,
      );
    }
    log(check('plain', plain, oursPlain.first));
    log(check('gzip', gz, oursGz.first));
    log('targets: plain >= 1.00 (grep -F), gzip >= 0.80 (zcat | grep -F), rss_mb < 200; rg -F printed beside, when installed');
    const vsRg =
      rg && zrg
        ? ` plain_rg=${(plainRate / mbps(plain.bytes, rg.seconds)).toFixed(2)} gzip_rg=${(gzRate / mbps(gz.bytes, zrg.seconds)).toFixed(2)}`
        : '';
    const last = `logs-bench plain=${(plainRate / grepRate).toFixed(2)} gzip=${(gzRate / zRate).toFixed(2)} rss_mb=${rss.toFixed(0)}${vsRg}`;
    log(last);
    return last;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
