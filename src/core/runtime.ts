/**
 * What a run takes from the process it runs in, made once by the command layer and carried to every
 * step (`ctx.runtime`): the clock, the environment, the redactor every writer passes its text through,
 * and the account the run is driven from. A test gives its own clock, environment and redactor.
 */
import { hostname, tmpdir, userInfo } from 'node:os';
import { Redactor } from './redact.js';

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

/** The account a run is driven from, named in every journal event as user@host. */
export interface OperatorIdentity {
  user: string;
  host: string;
}

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
}

/** user@host: how the journal and the lock name who wrote them. */
export function operatorText(o: OperatorIdentity): string {
  return `${o.user}@${o.host}`;
}

/** The login this process runs as (USER when the account has no entry in the password database). */
export function processOperator(env: Readonly<Record<string, string | undefined>> = process.env): OperatorIdentity {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = env.USER ?? 'unknown';
  }
  return { user, host: hostname() };
}

/**
 * This process's runtime: the system clock, its environment and login, and the run's own redactor (a
 * new one unless given: the command layer gives a copy of what the command line registered).
 */
export function processRuntime(redactor: Redactor = new Redactor()): Runtime {
  return { clock: systemClock, env: process.env, redactor, operator: processOperator(), scratch: systemScratch() };
}
