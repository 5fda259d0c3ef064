/**
 * What one run of the command line takes from the process it runs in: the environment, the standard
 * streams, the secrets it has learned (one redactor per command line), the stop signals, and what it
 * keeps for its own output (its exit code, the state folder its printed commands name, who hears its
 * waits). A command line that is its process (bin/dingo-recover.js) has the process's own. One run
 * inside another program (`runInProcess`, cli.ts) has its own, kept across its awaits by
 * AsyncLocalStorage: two at once never share secrets, output or exit codes, and neither listens to
 * the process's signals, exits it, or reads its environment.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Readable, Writable } from 'node:stream';
import { Redactor } from './redact.js';
import { STOP_SIGNALS } from './signals.js';

/** An output stream, and whether it is a terminal (a stream that is none may lack `isTTY`). */
type Output = Writable & { isTTY?: boolean; columns?: number };
/** An input stream, and whether it is a terminal. */
type Input = Readable & { isTTY?: boolean };

export interface Invocation {
  /** The environment the command line reads and its children inherit; changes stay its own. */
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: Input;
  readonly stdout: Output;
  readonly stderr: Output;
  /** The secrets this command line registered: every writer of its output redacts with them. */
  readonly secrets: Redactor;
  /** True for the command line that is the process: its signals, its exit and a closed output are the command line's. */
  readonly ownsProcess: boolean;
  /** Calls `stop` once on the first stop signal (SIGINT, SIGTERM, SIGHUP); returns what stops listening. */
  onStop(stop: (signal: NodeJS.Signals) => void): () => void;
  /**
   * Calls `crashed` when an error nothing caught ends the command line (the process's own; one run
   * inside another program never hears of it); returns what stops listening.
   */
  onCrash(crashed: CrashListener): () => void;
  /** The exit code the command's handler set (commands/exit-code.ts). */
  exitCode: number;
  /** The global options every command printed for pasting must repeat (`--state-dir DIR`), core/command-line.ts. */
  stateDirArgs: string[];
  /** Who hears that a request waits, the latest first (core/waits.ts). */
  readonly waitListeners: ((text: string) => void)[];
}

/** What a command line keeps of its own, empty at its start. */
function ownState(): Pick<Invocation, 'secrets' | 'exitCode' | 'stateDirArgs' | 'waitListeners'> {
  return { secrets: new Redactor(), exitCode: 0, stateDirArgs: [], waitListeners: [] };
}

/**
 * Told of an error nothing caught, before the process ends: true when it showed the error to the
 * operator itself (a run does, redacted with the secrets it registered).
 */
export type CrashListener = (err: unknown) => boolean;

const crashListeners = new Set<CrashListener>();

/** The process's own ending on an error nothing caught. */
function processCrashes(crashed: CrashListener): () => void {
  crashListeners.add(crashed);
  return () => {
    crashListeners.delete(crashed);
  };
}

/**
 * Tells whoever listens that an error nothing caught ends the process, each once, the latest first
 * (a listener that fails does not keep the others from hearing); true when one showed the error.
 */
export function tellCrash(err: unknown): boolean {
  let shown = false;
  for (const crashed of [...crashListeners].reverse()) {
    crashListeners.delete(crashed);
    try {
      shown = crashed(err) || shown;
    } catch {
      // What it could not do (its journal's disk is full) the next session sees as a crash: resume copes.
    }
  }
  return shown;
}

/** The process's own signals. */
function processSignals(stop: (signal: NodeJS.Signals) => void): () => void {
  for (const s of STOP_SIGNALS) process.once(s, stop);
  return () => {
    for (const s of STOP_SIGNALS) process.off(s, stop);
  };
}

/** The command line that is the process: its environment and streams, read when first used (process.stdin opens a handle). */
function processInvocation(): Invocation {
  return {
    env: process.env,
    get stdin() {
      return process.stdin;
    },
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    ownsProcess: true,
    onStop: processSignals,
    onCrash: processCrashes,
    ...ownState(),
  };
}

const current = new AsyncLocalStorage<Invocation>();
let processOwn: Invocation | undefined;

/** The command line running here: the one `withInvocation` started, else the process's own. */
export function invocation(): Invocation {
  return current.getStore() ?? (processOwn ??= processInvocation());
}

/** The redactor of the command line running here. */
export function secrets(): Redactor {
  return invocation().secrets;
}

/** A command line run inside another program ended by itself with `code`, where one that is its process would exit. */
export class CommandLineExit extends Error {
  constructor(readonly code: number) {
    super(`the command line ended with exit code ${String(code)}`);
  }
}

/** What a command line run inside another program is given; the rest starts empty. */
export interface EmbeddedIo {
  env: NodeJS.ProcessEnv;
  stdin: Input;
  stdout: Output;
  stderr: Output;
}

/** Runs `fn` as a command line of its own inside this process: it never hears the process's signals. */
export function withInvocation<T>(io: EmbeddedIo, fn: () => Promise<T>): Promise<T> {
  const own: Invocation = {
    ...io,
    ownsProcess: false,
    onStop: () => () => undefined,
    onCrash: () => () => undefined,
    ...ownState(),
  };
  return current.run(own, fn);
}
