/**
 * Typed errors, mapped to exit codes in one place (see README "Exit codes").
 * Every message says what was wrong and what to do about it.
 */
export const EXIT = {
  done: 0,
  /** Done, but a step could not do all its work (it ended "done, with a warning"): the report says which and why. */
  doneWithWarnings: 8,
  stepFailed: 1,
  badInput: 2,
  needsOperator: 3,
  /** Another process drives the run (sysexits EX_TEMPFAIL: try again later, or --steal-lock). */
  locked: 75,
  interrupted: 130,
  /** The screen's reader went away (`| head`, a pager quit): 128 + SIGPIPE, as a shell reports a program it killed. */
  outputClosed: 141,
} as const;

/** Whether a write failed because the reader of the output went away (EPIPE), not for a fault of this program. */
export function isClosedOutput(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

export class DingoError extends Error {
  readonly exitCode: number = EXIT.stepFailed;
  /** What the operator can do next, printed under the message. */
  readonly hint?: string;
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

/** Bad usage, a bad runbook, a bad answers file, a malformed URL... (exit 2). */
export class UsageError extends DingoError {
  override readonly exitCode = EXIT.badInput;
}

/** A step (or a command) failed; the run stays resumable (exit 1). */
export class StepFailed extends DingoError {
  override readonly exitCode = EXIT.stepFailed;
}

/** Non-interactive and an answer or confirmation is missing (exit 3). */
export class NeedsOperator extends DingoError {
  override readonly exitCode = EXIT.needsOperator;
}

/** The run is locked by another driver (exit 75); the message names --steal-lock. */
export class RunLocked extends DingoError {
  override readonly exitCode = EXIT.locked;
}

/** The operator answered "no" where a destructive step asked to be confirmed: the run stops before it, resumable (exit 130). */
export class Declined extends DingoError {
  override readonly exitCode = EXIT.interrupted;
}

/** Ctrl-C, SIGTERM or a hang-up (exit 130). */
export class Interrupted extends DingoError {
  override readonly exitCode = EXIT.interrupted;
}

export function exitCodeOf(err: unknown): number {
  return err instanceof DingoError ? err.exitCode : EXIT.stepFailed;
}

/** The `code` of an operating-system error (ENOENT, EACCES…), if it has one. */
export function errnoCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** The message of anything thrown: an Error's message, else its text. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * An error nothing caught, as the operator reads it (to redact before it is shown): its stack alone,
 * never the fields Node's own report would print (a library's error may carry its connection's settings).
 */
export function uncaughtReport(err: unknown): string {
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return `stopped on an error dingo-recover did not handle (a fault of the tool's, to report with what follows): ${stack}`;
}
