/**
 * Runs commands on the operator's machine (cf, bosh): no shell, so arguments reach
 * the program exactly as built; extra environment is merged over the process's own.
 */
import { spawn } from 'node:child_process';
import type { CommandRunner, CommandSpec, CommandResult } from '../core/seams.js';
import { feedStdin } from '../core/stdin.js';
import { signalExitCode } from './signals.js';
import { endsWithUs } from './child-processes.js';
import { invocation } from '../core/invocation.js';

export interface LocalRunnerOptions {
  /** Base environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export const TIMED_OUT_EXIT = 124;

export class LocalRunner implements CommandRunner {
  readonly where = 'local';

  constructor(private readonly opts: LocalRunnerOptions = {}) {}

  run(spec: CommandSpec): Promise<CommandResult> {
    const [program, ...args] = spec.argv;
    if (!program) return Promise.reject(new Error('LocalRunner.run: empty argv'));
    const started = Date.now();
    return new Promise((resolve) => {
      // One that may be stopped gently is stopped so when the process exits too.
      const child = endsWithUs(
        spawn(program, args, {
          cwd: this.opts.cwd,
          env: { ...(this.opts.env ?? invocation().env), ...spec.env },
          stdio: ['pipe', 'pipe', 'pipe'],
        }),
        spec.abort !== undefined,
      );
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      let settled = false;
      const timer =
        spec.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              child.kill('SIGKILL');
            }, spec.timeoutMs);
      const stop = (): void => {
        child.kill('SIGTERM');
      };
      if (spec.abort?.aborted) stop();
      else spec.abort?.addEventListener('abort', stop, { once: true });
      const finish = (exitCode: number, extraErr = ''): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        spec.abort?.removeEventListener('abort', stop);
        const stderr = Buffer.concat(err).toString('utf8') + extraErr;
        resolve({
          exitCode: timedOut ? TIMED_OUT_EXIT : exitCode,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr,
          durationMs: Date.now() - started,
          ...(timedOut ? { timedOut: true } : {}),
        });
      };
      // Piped, the program waits while the reader is behind.
      if (spec.stdout) child.stdout.pipe(spec.stdout, { end: false });
      else child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      // A program that does not exist: report it as a shell would (127), not as a crash.
      child.on('error', (e: NodeJS.ErrnoException) => {
        finish(e.code === 'ENOENT' ? 127 : 126, `${program}: ${e.code === 'ENOENT' ? 'command not found' : e.message}\n`);
      });
      child.on('close', (code, signal) => {
        finish(code ?? (signal ? signalExitCode(signal) : 1));
      });
      // The child may exit without reading its input; that must not crash the process.
      child.stdin.on('error', () => {});
      feedStdin(spec.stdin, child.stdin, (e) => {
        child.kill('SIGKILL');
        finish(1, `reading the input failed: ${e.message}\n`);
      });
    });
  }
}
