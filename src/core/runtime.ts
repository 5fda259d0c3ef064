/**
 * What a run takes from the process it runs in, made once by the command layer and carried to every
 * step (`ctx.runtime`): the clock, the environment, the redactor every writer passes its text through,
 * the account the run is driven from, and the stop signals and the exit of the process. A test gives
 * its own clock, environment and redactor, and a process control that neither listens nor exits.
 */
import { tmpdir } from 'node:os';
import { processOperator, type OperatorIdentity } from './operator-identity.js';
import { Redactor } from './redact.js';
import { CommandLineExit, invocation, type CrashListener } from './invocation.js';

/** What time it is, for every time a run records or compares. */
export interface Clock {
  now(): Date;
}

/** The system's clock: a run's unless a test gives another; what code outside a run (a command, a test) defaults to. */
export const systemClock: Clock = { now: () => new Date() };

/** This machine's temp folder: a run's scratch folder, and what code outside a run (a command, a test) defaults to. */
export function systemScratch(): string {
  return tmpdir();
}

/** What a run asks of the process it runs in: to hear the signals that stop it, and to end. */
export interface ProcessControl {
  /** Calls `stop` once, on the first SIGINT, SIGTERM or SIGHUP; returns what stops listening. */
  onStop(stop: (signal: NodeJS.Signals) => void): () => void;
  /** Calls `crashed` once, should an error nothing caught end the process; returns what stops listening. */
  onCrash(crashed: CrashListener): () => void;
  /** Ends the process now with `code`, after `lastWords` (when given) on standard error. */
  exit(code: number, lastWords?: string): never;
}

/**
 * The signals and the exit of the command line running here: the process's own, or, for one run inside
 * another program, none heard and an exit that ends that command line alone (core/invocation.ts).
 */
const processControl: ProcessControl = {
  onStop(stop) {
    return invocation().onStop(stop);
  },
  onCrash(crashed) {
    return invocation().onCrash(crashed);
  },
  exit(code, lastWords) {
    const own = invocation();
    if (lastWords !== undefined) own.stderr.write(`${lastWords}\n`);
    if (own.ownsProcess) process.exit(code);
    throw new CommandLineExit(code);
  },
};

export interface Runtime {
  readonly clock: Clock;
  /**
   * The environment, for what is never journaled and read again on resume: credentials
   * (ES_API_KEY, DINGO_OLD_SUPERUSER_PASSWORD) and the cf CLI's settings. Steps read it here, never from process.env.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The secrets registered so far, and the one redaction every writer applies. */
  readonly redactor: Redactor;
  readonly operator: OperatorIdentity;
  /** The folder a run puts its temporary copies in (restore copies, scratch servers' folders, a replay's journal). */
  readonly scratch: string;
  /** The stop signals a run listens to, and the exit it ends the process with after one. */
  readonly process: ProcessControl;
}

/**
 * This process's runtime: the system clock, its environment and login, and the run's own redactor (a
 * new one unless given: the command layer gives a copy of what the command line registered).
 */
export function processRuntime(redactor: Redactor = new Redactor()): Runtime {
  return {
    clock: systemClock,
    env: invocation().env,
    redactor,
    operator: processOperator(),
    scratch: systemScratch(),
    process: processControl,
  };
}
