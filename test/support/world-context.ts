/**
 * A scenario's simulated platform for tests of single steps: its world opened in a folder of the
 * test's, cf targeted, and the context a step runs with against it (the platform's seams unrecorded,
 * what the step says kept in `notes`).
 */
import type { Platform } from '../../src/core/seams.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import { DEFAULT_SETTINGS, type Settings } from '../../src/engine/runbook/index.js';
import { World, type Scenario } from '../../src/rehearsal/world.js';
import { openLogSource } from '../../src/systems/log-source.js';
import { localMachine } from '../../src/commands/run/local-machine.js';
import { envOf } from '../../src/rehearsal/cell-world.js';
import { UnattendedPrompter } from '../../src/engine/operator/index.js';
import { testRuntime } from './runtime.js';

type CfRun = (...argv: string[]) => Promise<{ stdout: string; exitCode: number }>;

/** A world of the scenario in `dir`, cf targeted at the org and space given. */
export async function worldOf(scenario: Scenario, dir: string, org: string, space: string) {
  const world = World.open(dir, scenario);
  const platform = world.platform(scenario, openLogSource, localMachine);
  const cf: CfRun = (...argv) => platform.cf.run({ argv: ['cf', ...argv], writes: true });
  await cf('target', '-o', org, '-s', space);
  return { world, platform, cf };
}

/** Polls `cf service NAME` until the create ends, as the wait step does; its last status. */
export async function waitCreated(cf: CfRun, name: string): Promise<string> {
  for (let i = 0; i < 10; i++) {
    const status = /status:\s*(.*)$/im.exec((await cf('service', name)).stdout)?.[1]?.trim() ?? '';
    if (!status.endsWith('in progress')) return status;
  }
  return 'still in progress';
}

/** The containers of the world that serve `guid`, as `name@cell`. */
export function nodesOf(world: World, guid: string): string[] {
  return Object.entries(world.state.cells).flatMap(([ip, cell]) =>
    Object.values(cell.containers)
      .filter((c) => envOf(c).PATRONI_SCOPE === guid)
      .map((c) => `${c.name}@${ip}`),
  );
}

/** The context a step runs with against the platform; `notes` keeps its evidence, notes and warnings. */
export function stepContext(platform: Platform, notes: string[], settings: Partial<Settings> = {}): StepContext {
  return {
    platform,
    runId: 'r-world-context',
    stepId: 'step',
    settings: { ...DEFAULT_SETTINGS, ...settings },
    runtime: testRuntime(),
    answers: { inputs: {}, confirm: {}, choose: {}, secrets: {} },
    prompts: new UnattendedPrompter(undefined),
    adoptable: [],
    cf: platform.cf,
    bosh: platform.bosh,
    s3: platform.s3,
    cell: (ip: string) => platform.cells.open(ip),
    evidence: (t: string) => notes.push(t),
    note: (t: string) => notes.push(t),
    warn: (t: string) => notes.push(t),
    progress: () => undefined,
    sleep: () => Promise.resolve(),
    now: () => new Date(),
  } as unknown as StepContext;
}
