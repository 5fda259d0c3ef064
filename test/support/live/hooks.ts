/**
 * The hooks of a live test file: the servers every case shares, and a case prepared and run once
 * for the tests of one describe. What they start is there once their beforeAll has run, and is
 * stopped or cleaned up by their afterAll whether or not it all started.
 */
import { afterAll, beforeAll } from 'vitest';
import { runIdOf, type CliResult } from '../cli.js';
import type { LiveCase } from './case-types.js';
import { startLiveServers, type LiveServers } from './servers.js';
import { ONE_RUN_MS } from './shared.js';

function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not there: it is set up by a beforeAll, use it in a test or a later hook`);
  return value;
}

/** The file's live servers: started before its tests (then `ready` runs on them), stopped after them. */
export function useLiveServers(ready?: (s: LiveServers) => Promise<void>): { readonly servers: LiveServers } {
  let servers: LiveServers | undefined;
  beforeAll(async () => {
    servers = await startLiveServers();
    await ready?.(servers);
  });
  afterAll(async () => {
    await servers?.stop();
  });
  return {
    get servers() {
      return started(servers, 'the live servers');
    },
  };
}

export interface CaseRun {
  readonly c: LiveCase;
  /** What `go` ran: one dingo-recover process. */
  readonly run: CliResult;
  /** The run's id, from what it printed. */
  readonly runId: string;
}

/**
 * One case for the tests of the describe this is called in: prepared, and dingo-recover run in it
 * by `go`, before them (within `timeoutMs`); cleaned up after them.
 */
export function useCaseRun(prepare: () => Promise<LiveCase>, go: (c: LiveCase) => Promise<CliResult>, timeoutMs = ONE_RUN_MS): CaseRun {
  let c: LiveCase | undefined;
  let run: CliResult | undefined;
  let runId: string | undefined;
  beforeAll(async () => {
    c = await prepare();
    run = await go(c);
    runId = runIdOf(run.stdout);
  }, timeoutMs);
  afterAll(async () => {
    await c?.cleanup();
  });
  return {
    get c() {
      return started(c, 'the case');
    },
    get run() {
      return started(run, 'the run');
    },
    get runId() {
      return started(runId, 'the run id');
    },
  };
}
