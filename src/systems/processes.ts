/**
 * Child processes for the restore drill: run a program to completion, or chain
 * programs into a pipeline (S3 body → lzop -dc → tar -x) with back-pressure.
 * A spawn may switch to another user (`as`).
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import type { PipeStage, ProcOptions, ProcResult, RunAs } from '../core/seams.js';
import { endsWithUs } from './child-processes.js';

export type { ProcOptions, ProcResult, RunAs };

function spawnOptions(opts: ProcOptions): SpawnOptions {
  const env = { ...(opts.env ?? process.env) };
  if (opts.as) {
    env.HOME = opts.as.home;
    env.USER = opts.as.name;
    env.LOGNAME = opts.as.name;
  }
  return { cwd: opts.cwd, env, uid: opts.as?.uid, gid: opts.as?.gid };
}

/** Run a program to completion, capturing its output. Never throws for a non-zero exit. */
export async function run(argv: string[], opts: ProcOptions = {}): Promise<ProcResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('empty command');
  const child = endsWithUs(spawn(cmd, args, { ...spawnOptions(opts), stdio: ['pipe', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.on('error', () => undefined);
  child.stdin.end(opts.stdin ?? '');
  const [code, signal] = await waitExit(child);
  return { code: code ?? (signal ? 128 : 1), stdout, stderr };
}

/** Like run(), but throws with the program's stderr when it exits non-zero. */
export async function runOk(argv: string[], opts: ProcOptions = {}): Promise<ProcResult> {
  const r = await run(argv, opts);
  if (r.code !== 0) {
    throw new Error(`${argv[0]} exited with ${r.code}: ${(r.stderr || r.stdout).trim().slice(0, 2000)}`);
  }
  return r;
}

function waitExit(child: ReturnType<typeof spawn>): Promise<[number | null, NodeJS.Signals | null]> {
  // 'close' (not 'exit') so the captured output is complete.
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      resolve([code, signal]);
    });
  });
}

/** A program in a pipeline exited non-zero (as opposed to its input or output stream failing). */
export class StageFailed extends Error {
  constructor(
    readonly argv: string[],
    readonly stderr: string,
    message: string,
  ) {
    super(message);
    this.name = 'StageFailed';
  }
}

/**
 * Stream `source` through a chain of programs, the last one's stdout going to `sink`
 * (or discarded). Rejects naming the first program that failed, with its stderr.
 */
export async function pipeThrough(source: Readable, stages: PipeStage[], sink?: Writable): Promise<void> {
  const children = stages.map(({ argv, opts }) => {
    const [cmd, ...args] = argv;
    if (!cmd) throw new Error('empty command');
    const child = endsWithUs(spawn(cmd, args, { ...spawnOptions(opts ?? {}), stdio: ['pipe', 'pipe', 'pipe'] }));
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    return { argv, child, stderr: () => stderr };
  });
  const first: { failure?: { reason: unknown } } = {};
  const stopChain = (reason: unknown): void => {
    // The first failure is the cause; stop the rest so nothing waits on a dead peer.
    if (first.failure) return;
    first.failure = { reason };
    // SIGKILL: the stages are filters with nothing to clean up, and lzop's own SIGTERM handler can
    // deadlock (a lock taken inside the handler), which left a drill waiting for it until its deadline.
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
    source.destroy();
  };
  source.once('error', stopChain);
  const links: Promise<void>[] = [];
  let upstream: Readable = source;
  for (const { child } of children) {
    // pipe(), not pipeline(): a broken pipe into a program (EPIPE) must not be blamed on
    // the upstream stream; it is a consequence, and the program's exit status tells the cause.
    child.stdin.on('error', () => undefined);
    upstream.pipe(child.stdin);
    upstream = child.stdout!;
  }
  links.push(sink ? pipeline(upstream, sink) : drain(upstream));
  const exits = children.map(async ({ argv, child, stderr }) => {
    const [code, signal] = await waitExit(child);
    if (code !== 0) {
      const why = stderr().trim() || (signal ? `killed by ${signal}` : `exit code ${code}`);
      throw new StageFailed(argv, stderr(), `${argv.join(' ')} failed: ${why}`);
    }
  });
  const all = [...exits, ...links];
  for (const p of all) p.catch(stopChain);
  await Promise.allSettled(all);
  if (first.failure) throw first.failure.reason;
}

async function drain(stream: Readable): Promise<void> {
  for await (const _ of stream) {
    // Read and let go: the stage's output is not wanted.
  }
}
