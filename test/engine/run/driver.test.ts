/** Starting a rehearsal: the scenario is read once, by the command or else by the driver. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, ROOT } from '../../support/cli.js';
import { drive, type Platforms } from '../../../src/engine/run/index.js';
import { platforms } from '../../../src/commands/run/platforms.js';
import { actionRegistry } from '../../../src/actions/index.js';
import { loadScenario, type Scenario } from '../../../src/rehearsal/scenario.js';
import { processRuntime } from '../../../src/core/runtime.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const SCENARIO = resolve(ROOT, 'fixtures/seed-003');

async function rehearse(scenario?: Scenario): Promise<{ exitCode: number; reads: number }> {
  const state = mkdtempSync(join(tmpdir(), 'dr-driver-'));
  dirs.push(state);
  let reads = 0;
  const counting: Platforms<Scenario> = {
    scenario: (dir) => {
      reads += 1;
      return platforms.scenario(dir);
    },
    open: (run) => platforms.open(run),
  };
  const r = await drive({
    runtime: processRuntime(),
    platforms: counting,
    stateDir: state,
    out: new Writable({
      write: (_c, _e, done) => {
        done();
      },
    }),
    start: { mode: 'rehearsal', runbookFile: resolve(ROOT, 'runbooks/recover-deleted-service.yaml'), scenarioDir: SCENARIO, settings: {} },
    scenario,
    yes: true,
    actions: actionRegistry(),
  });
  return { exitCode: r.exitCode, reads };
}

describe('a rehearsal started from the command line', () => {
  it('opens its world from the scenario the command read, without reading scenario.yaml again', async () => {
    expect(await rehearse(loadScenario(SCENARIO))).toEqual({ exitCode: DONE_DRILLED_ON_CELL, reads: 0 });
  });

  it('reads the scenario itself, once, when it was not given one', async () => {
    expect(await rehearse()).toEqual({ exitCode: DONE_DRILLED_ON_CELL, reads: 1 });
  });
});
