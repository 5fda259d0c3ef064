/**
 * The hooks of a live test file: the servers every case shares, and a case prepared and run once
 * for the tests of one describe. What they start is there once their beforeAll has run, and is
 * stopped or cleaned up by their afterAll whether or not it all started.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { runCli, runIdOf, type CliResult } from '../cli.js';
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

export interface SnapshotRun {
  readonly servers: LiveServers;
  readonly c: LiveCase;
  /** Where the snapshot was written: `scenario` in a new temporary folder. */
  readonly out: string;
  readonly snap: CliResult;
}

/**
 * For the tests of the describe this is called in, on live servers of their own (`useLiveServers`):
 * a case `prepare`d (which may change the platform, or note how it stands), then `dingo-recover
 * snapshot` of it, with `args` after the case's answers and platform and the case's environment
 * unless `env` gives one; stopped and cleaned up after them.
 */
export function useSnapshot(
  prepare: (s: LiveServers) => Promise<LiveCase>,
  o: { args?: string[]; env?: (c: LiveCase) => Record<string, string> } = {},
): SnapshotRun {
  const live = useLiveServers();
  let c: LiveCase | undefined;
  let written: { out: string; snap: CliResult } | undefined;
  beforeAll(async () => {
    c = await prepare(live.servers);
    const out = join(mkdtempSync(join(tmpdir(), 'dingo-snapshot-')), 'scenario');
    const snap = await runCli(['snapshot', '--answers', c.answersFile, ...c.platformArgs, ...(o.args ?? []), '--out', out], {
      env: o.env?.(c) ?? c.env,
    });
    written = { out, snap };
  }, ONE_RUN_MS);
  afterAll(async () => {
    await c?.cleanup();
    if (written) rmSync(dirname(written.out), { recursive: true, force: true });
  });
  return {
    get servers() {
      return live.servers;
    },
    get c() {
      return started(c, 'the case');
    },
    get out() {
      return started(written, 'the snapshot').out;
    },
    get snap() {
      return started(written, 'the snapshot').snap;
    },
  };
}

/** `rehearse --scenario DIR --yes`, its state folder beside DIR. */
export async function rehearseScenario(dir: string, timeoutMs?: number): Promise<{ run: CliResult; stateDir: string }> {
  const stateDir = join(dir, '..', 'state');
  const run = await runCli(['rehearse', '--scenario', dir, '--yes', '--state-dir', stateDir], timeoutMs ? { timeoutMs } : {});
  return { run, stateDir };
}
