/**
 * Running one command over an SSH connection: its output, its exit status (or the signal that
 * killed it), a timeout, and a connection that goes away under it.
 */
import type { Writable } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { StepFailed, messageOf } from '../../core/errors.js';
import type { Redactor } from '../../core/redact.js';
import type { CommandResult, StdinData } from '../../core/seams.js';
import { feedStdin, isStdinStream } from '../../core/stdin.js';
import { TIMED_OUT_EXIT } from '../local-runner.js';
import { signalExitCode } from '../signals.js';

/** The connection went away: whether the command ran is unknown. */
export class ConnectionLost extends Error {}

/** What a command has produced so far, and how it ended. */
interface Outcome {
  exitCode?: number;
  signal?: string;
  timedOut: boolean;
  out: Buffer[];
  err: Buffer[];
}

/** Runs `command`; with `stdout`, its output is written there as it comes (the channel waits while it is full), not returned. */
export function execOn(
  client: Client,
  command: string,
  stdin: StdinData,
  redactor: Redactor,
  timeoutMs?: number,
  stdout?: Writable,
): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const o: Outcome = { timedOut: false, out: [], err: [] };
    let channel: ClientChannel | undefined;
    let settled = false;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            o.timedOut = true;
            // Asked to end first (an SSH server from OpenSSH 7.9 passes it on), then given up.
            channel?.signal('KILL');
            channel?.close();
            finish();
          }, timeoutMs);
    const onClientGone = (): void => {
      lost('connection closed');
    };
    client.once('close', onClientGone);
    client.once('end', onClientGone);

    function settle(fn: () => void): void {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      // A command that ended without reading all its input leaves the rest unread: close the file behind it.
      if (isStdinStream(stdin)) stdin.destroy();
      client.removeListener('close', onClientGone);
      client.removeListener('end', onClientGone);
      fn();
    }
    function finish(): void {
      settle(() => {
        resolve(resultOf(o, started));
      });
    }
    function lost(why: string): void {
      settle(() => {
        reject(new ConnectionLost(why));
      });
    }
    function inputFailed(err: Error): void {
      channel?.close();
      settle(() => {
        reject(
          new StepFailed(`reading the input of \`${command.slice(0, 80)}\` failed: ${redactor.redact(err.message)}`, {
            hint: 'the command saw a cut input: check the file it was fed is readable, then run the step again',
          }),
        );
      });
    }

    try {
      client.exec(command, (e, ch) => {
        if (e) {
          settle(() => {
            reject(execFailed(e, redactor));
          });
          return;
        }
        channel = ch;
        collect(ch, o, stdin, stdout, finish, lost, inputFailed);
      });
    } catch (e) {
      lost(messageOf(e));
    }
  });
}

function execFailed(e: Error, redactor: Redactor): Error {
  return /not connected|no response|closed/i.test(e.message)
    ? new ConnectionLost(e.message)
    : new StepFailed(`ssh exec failed: ${redactor.redact(e.message)}`);
}

/** Gathers the channel's output (or writes it to `stdout`) and exit status into `o`, and feeds it `stdin` (bytes as they are). */
function collect(
  ch: ClientChannel,
  o: Outcome,
  stdin: StdinData,
  stdout: Writable | undefined,
  finish: () => void,
  lost: (why: string) => void,
  inputFailed: (err: Error) => void,
): void {
  // Piped, the channel pauses while the reader is behind: its window stays shut, the far end waits, nothing piles up here.
  if (stdout) ch.pipe(stdout, { end: false });
  else ch.on('data', (b: Buffer) => o.out.push(b));
  ch.stderr.on('data', (b: Buffer) => o.err.push(b));
  ch.on('exit', (code: number | null, sig?: string) => {
    if (typeof code === 'number') o.exitCode = code;
    else if (sig) o.signal = sig;
  });
  ch.on('close', () => {
    if (o.exitCode === undefined && o.signal === undefined && !o.timedOut) {
      // No exit status: the connection went away under the command. Give the
      // client's own close event a moment to say so.
      setImmediate(() => {
        lost('channel closed without an exit status');
      });
      return;
    }
    finish();
  });
  ch.on('error', () => {});
  feedStdin(stdin, ch, inputFailed);
}

function resultOf(o: Outcome, started: number): CommandResult {
  return {
    exitCode: o.timedOut ? TIMED_OUT_EXIT : (o.exitCode ?? (o.signal ? signalExitCode(o.signal) : 255)),
    stdout: Buffer.concat(o.out).toString('utf8'),
    stderr: Buffer.concat(o.err).toString('utf8'),
    durationMs: Date.now() - started,
    ...(o.timedOut ? { timedOut: true } : {}),
  };
}
