/** The step context restore-to-time's steps run with in tests: a live run on this machine, its S3 given, what it says kept. */
import { basename } from 'node:path';
import type { ObjectStore } from '../../src/core/seams.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import { DEFAULT_SETTINGS } from '../../src/engine/runbook/index.js';
import { localMachine } from '../../src/commands/run/local-machine.js';
import { testRuntime } from './runtime.js';
import { testChoices, type TestPrompter } from './choices.js';

/** A run in `runDir` (its id the folder's name), answering `choose`; `said` collects its evidence and notes. */
export function pitrContext(
  store: ObjectStore,
  runDir: string,
  choose: Record<string, string> = {},
  prompts: TestPrompter = { interactive: false },
): { ctx: StepContext; said: string[] } {
  const said: string[] = [];
  const say = (t: string) => {
    said.push(t);
  };
  const runtime = testRuntime();
  const ctx = {
    runId: basename(runDir),
    s3: store,
    platform: { mode: 'live', ...localMachine },
    runtime,
    now: () => runtime.clock.now(),
    settings: DEFAULT_SETTINGS,
    answers: { inputs: {}, secrets: {} },
    choices: testChoices(choose, prompts),
    runDir,
    evidence: say,
    note: say,
    progress: () => undefined,
  } as unknown as StepContext;
  return { ctx, said };
}

/** pitr.target's target inputs, none given: a test gives the one it restores to over them. */
/**
 * How long a test that restores a real archive on a scratch server may take (a restore, a dump and its
 * proof, or a paused copy stepped through time; each statement enters the scratch server's sandbox): 30 to
 * 50 s in a .ci/run on a loaded 2-core machine whose fresh memory is slow, near vitest's default minute.
 */
export const RESTORE_TO_TIME_MS = 180_000;

export const NO_TARGET = {
  targetTime: '',
  targetXid: '',
  targetLsn: '',
  targetName: '',
  targetImmediate: false,
  targetExclusive: false,
  targetTimeline: '',
};
