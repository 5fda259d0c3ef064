/**
 * Child processes for the restore drill: run a program to completion, or chain
 * programs into a pipeline (S3 body → lzop -dc → tar -x) with back-pressure.
 * A spawn may switch to another user (`as`).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { Writable, type Readable } from 'node:stream';
import { createWriteStream } from 'node:fs';
import type { PipeStage, ProcOptions, ProcResult, RunAs } from '../core/seams.js';
import { endsWithUs } from './child-processes.js';
import { invocation } from '../core/invocation.js';

export type { ProcOptions, ProcResult, RunAs };

function spawnOptions(opts: ProcOptions): SpawnOptions {
  const env = { ...(opts.env ?? invocation().env) };
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

/** How long a stage upstream of a failure has to exit on its own before it is killed. */
const UPSTREAM_GRACE_MS = 1000;

/**
 * Stream `source` through a chain of programs, the last one's stdout going to `sink`
 * (or discarded). Rejects naming the program that failed, with its stderr. A sink given as an open
 * file (`{ fd }`) is the last program's own output: what it writes (a 16 MiB WAL segment out of
 * `lzop -dc`) is not copied through this process. The caller closes the file.
 *
 * When several fail, the cause is the most upstream failure that is not a consequence: gpg without
 * the key leaves lzop an empty input, and lzop may exit first, saying its input is not lzop's. A
 * stage killed by a signal (SIGPIPE from a dead reader, or ours) or complaining of a broken pipe
 * is a consequence; when every failure is one, the first to come is named.
 */
export async function pipeThrough(source: Readable, stages: PipeStage[], sink?: Writable | { fd: number }): Promise<void> {
  const file = sink && !(sink instanceof Writable) ? sink.fd : undefined;
  const children = stages.map(({ argv, opts }, i) => {
    const [cmd, ...args] = argv;
    if (!cmd) throw new Error('empty command');
    const stdout = file !== undefined && i === stages.length - 1 ? file : 'pipe';
    const child = endsWithUs(spawn(cmd, args, { ...spawnOptions(opts ?? {}), stdio: ['pipe', stdout, 'pipe'] }));
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    return { argv, child, stderr: () => stderr };
  });
  /** Failures by position: -1 the source, 0..n-1 the stages, n the sink; in the order they came. */
  const failures: { at: number; reason: unknown; genuine: boolean }[] = [];
  const timers: NodeJS.Timeout[] = [];
  const kill = (child: ChildProcess): void => {
    // SIGKILL: the stages are filters with nothing to clean up, and lzop's own SIGTERM handler can
    // deadlock (a lock taken inside the handler), which left a drill waiting for it until its deadline.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const fail = (at: number, reason: unknown, genuine: boolean): void => {
    failures.push({ at, reason, genuine });
    if (failures.length > 1) return;
    source.destroy();
    // Downstream of the failure nothing more will come: stop now. Upstream may be the real cause,
    // failing on its own: it has a moment before it is stopped too, so nothing waits on a dead peer.
    children.forEach(({ child }, i) => {
      if (i > at) kill(child);
      else
        timers.push(
          setTimeout(() => {
            kill(child);
          }, UPSTREAM_GRACE_MS),
        );
    });
  };
  source.once('error', (err) => {
    fail(-1, err, true);
  });
  let upstream: Readable | null = source;
  for (const { child } of children) {
    // pipe(), not pipeline(): a broken pipe into a program (EPIPE) must not be blamed on
    // the upstream stream; it is a consequence, and the program's exit status tells the cause.
    child.stdin!.on('error', () => undefined);
    upstream?.pipe(child.stdin!);
    upstream = child.stdout;
  }
  const out = (upstream ? finish(upstream, sink) : Promise.resolve()).catch((err: unknown) => {
    fail(children.length, err, true);
  });
  const exits = children.map(async ({ argv, child, stderr }, i) => {
    const [code, signal] = await waitExit(child).catch((err: unknown) => {
      fail(i, err, true);
      return [0, null] as const;
    });
    if (code === 0 && signal === null) return;
    const why = stderr().trim() || (signal ? `killed by ${signal}` : `exit code ${code}`);
    fail(i, new StageFailed(argv, stderr(), `${argv.join(' ')} failed: ${why}`), signal === null && !/broken pipe/i.test(stderr()));
  });
  try {
    await Promise.allSettled([...exits, out]);
  } finally {
    for (const t of timers) clearTimeout(t);
  }
  const cause = failures.filter((f) => f.genuine).sort((a, b) => a.at - b.at)[0] ?? failures[0];
  if (cause) throw cause.reason;
}

/** The last output, when it passes through here: into the sink stream, the sink file, or let go. */
function finish(upstream: Readable, sink?: Writable | { fd: number }): Promise<void> {
  if (!sink) return drain(upstream);
  return pipeline(upstream, sink instanceof Writable ? sink : createWriteStream('', { fd: sink.fd, autoClose: false }));
}

async function drain(stream: Readable): Promise<void> {
  for await (const _ of stream) {
    // Read and let go: the stage's output is not wanted.
  }
}
