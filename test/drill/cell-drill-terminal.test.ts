/**
 * A cell whose Docker refuses one of the drill container's hardening options, at a real terminal
 * (script(1)): the recovery's drill on the cell, against the rehearsal's simulated cell, whose
 * kernel lacks the pids cgroup (Docker 1.11 then runs the container without the limit and its
 * client warns: daemon/daemon_unix.go verifyPlatformContainerSettings).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/core/errors.js';
import { World, loadScenario } from '../../src/rehearsal/world.js';
import { DONE_DRILLED_ON_CELL, runCli, runIdOf } from '../support/cli.js';
import { scenarioKernelLacking } from '../support/kernel-lacks.js';
import { runOnTerminal } from '../support/terminal.js';

const CELL = '10.58.111.150';
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A state folder, and the bundled scenario in it with its cells' kernels without the pids cgroup. */
function withoutPidsCgroup(): { state: string; scenario: string } {
  const state = mkdtempSync(join(tmpdir(), 'dr-refused-'));
  dirs.push(state);
  return { state, scenario: scenarioKernelLacking(state, ['pids']) };
}

/** What of the drill's is on the simulated cell: its containers and its folders under the store. */
function leftOnCell(state: string, runId: string, scenario: string): string[] {
  const cell = World.load(join(state, 'runs', runId), loadScenario(scenario)).cells[CELL]! as unknown as {
    drills?: Record<string, unknown>;
    files: Record<string, string[]>;
  };
  return [...Object.keys(cell.drills ?? {}), ...Object.keys(cell.files).filter((f) => f.includes('dingo-recover-drill-'))];
}

const QUESTION = `Drill on ${CELL} without --pids-limit?`;
const DOWN = '\x1b[B';

describe("the recovery's drill on a cell whose Docker refuses a hardening option, at a terminal", () => {
  it('asks naming the option; stop ends the run resumable with nothing of the drill left, and a resume that goes on without it says so', async () => {
    const { state, scenario } = withoutPidsCgroup();
    // Unattended up to the drill (rehearse --yes waits there), then the operator at a terminal.
    const first = await runCli(['rehearse', '--scenario', scenario, '--yes', '--state-dir', state]);
    expect(first.code, first.stdout + first.stderr).toBe(EXIT.needsOperator);
    const runId = runIdOf(first.stdout);

    const stopped = await runOnTerminal(['resume', runId, '--yes', '--state-dir', state], [{ when: QUESTION, type: `${DOWN}${DOWN}` }]);
    expect(stopped.code, stopped.screen.slice(-3000)).toBe(EXIT.needsOperator);
    expect(stopped.screen).toContain(
      `the Docker on cell ${CELL} refused the hardening option --pids-limit: WARNING: Your kernel does not support pids limit capabilities, pids limit discarded. ${QUESTION}`,
    );
    // The report's lines wrap at the terminal's width, indented (the terminal's text joins its lines).
    const said = stopped.screen.replace(/\s+/g, ' ');
    expect(said).toContain('pids limit discarded: the recovery stopped before anything was changed, as you chose');
    expect(said).toContain(`what to do: nothing of the drill is left on ${CELL}, and the new container still runs`);
    expect(stopped.screen).not.toContain('Stop the new container —');
    expect(leftOnCell(state, runId, scenario)).toEqual([]);

    const again = await runOnTerminal(['resume', runId, '--yes', '--verbose', '--state-dir', state], [{ when: QUESTION, type: '' }]);
    expect(again.code, again.screen.slice(-3000)).toBe(DONE_DRILLED_ON_CELL);
    const probes = again.screen.split(/(?=\$ )/).filter((l) => / run --rm --label dingo-recover\.cell-drill=/.test(l));
    expect(probes).toHaveLength(2);
    expect(probes[0]).toContain('--pids-limit 256');
    expect(probes[1]).not.toContain('--pids-limit');
    expect(probes[1]).toContain('--net none --cap-drop ALL --security-opt no-new-privileges --read-only');
    // The step's line says where the drill ran and what it went without.
    // The drill ran without the option, as chosen: the evidence says so, and the step's outputs and the report name where it ran.
    const said2 = again.screen.replace(/\s+/g, ' ');
    expect(said2).toContain(
      'evidence: the drill container ran without --pids-limit, as the operator chose ✔ drilled=true drilledIn=cfcommunity/postgresql-patroni:9.5 on 10.58.111.150 without --pids-limit',
    );
    expect(readFileSync(join(state, 'runs', runId, 'report.md'), 'utf8')).toContain(
      'restored and replayed in cfcommunity/postgresql-patroni:9.5 on 10.58.111.150 without --pids-limit: databases postgres',
    );
    expect(leftOnCell(state, runId, scenario)).toEqual([]);
  }, 120_000);
});
