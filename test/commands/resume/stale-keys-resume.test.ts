/**
 * A rehearsal killed inside the stop step, after `docker stop` and before the stopped node's keys
 * were deleted, resumes by itself: the step's probe finds the container stopped but its /leader
 * and member key standing, the step runs again without stopping anything twice, deletes them,
 * and the container restores when it is started.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { World, loadScenario } from '../../../src/rehearsal/world.js';
import { readJournal } from '../../../src/engine/journal/index.js';
import { DONE_DRILLED_ON_CELL } from '../../support/cli.js';
import { rehearsal } from '../../support/crash-fork/rehearsal-process.js';
import { tempDirs } from '../../support/temp-dirs.js';

const SCENARIO = loadScenario(resolve(import.meta.dirname, '../../../fixtures/seed-003'));
const NEW_GUID = '78218ded-7d88-4d69-bd44-6f478c300134';
const MEMBER = '52167ceb-bd3d-4bff-8699-a239d21c5379';
const newDir = tempDirs('dingo-stale-keys-');

describe("a crash between the stop and the deletion of the stopped node's keys", () => {
  it('is resumed: the keys are found, deleted once, and the container restores', async () => {
    const state = newDir();
    const tmp = newDir();
    const killed = await rehearsal(['rehearse', '--yes', '--state-dir', state], { failpoints: 'cell.stopped', tmp });
    expect(killed.signal, killed.output).toBe('SIGKILL');
    const runDir = join(state, 'runs', readdirSync(join(state, 'runs'))[0]!);
    const atCrash = World.load(runDir, SCENARIO);
    expect(atCrash.cells['10.58.111.150']!.containers[`cf-${MEMBER}`]!.running).toBe(false);
    expect(atCrash.etcd[`/service/${NEW_GUID}/leader`]).toBe(MEMBER);
    expect(atCrash.etcdExpiry?.[`/service/${NEW_GUID}/leader`]).toBeDefined();

    const resumed = await rehearsal(['resume', '--yes', '--state-dir', state], { tmp });
    expect(resumed.code, resumed.output).toBe(DONE_DRILLED_ON_CELL);
    const events = readJournal(join(runDir, 'journal.ndjson'));
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'step.probed',
        step: 'stop-container',
        result: 'not-done',
        why: `it is stopped, but /service/${NEW_GUID}/leader still names ${MEMBER}: its keys are deleted again`,
      }),
    );
    const stops = events.filter((e) => e.type === 'command' && e.argv.includes('stop') && e.argv.at(-1) === `cf-${MEMBER}`);
    expect(stops).toHaveLength(1);
    // Said on the screen (the step's status line), not only journaled.
    expect(resumed.output).toMatch(/✔ \[15\/29\] Stop the new container — stopped=true staleKeys=deleted its \/leader \(\d+ s left\)/);
    const notes = events.flatMap((e) => (e.type === 'note' && e.step === 'stop-container' ? [e.text] : []));
    expect(notes.some((t) => t.startsWith(`after the stop: deleted /service/${NEW_GUID}/leader = ${MEMBER}`))).toBe(true);
    const world = World.load(runDir, SCENARIO);
    const history = world.history.map((h) => h.what);
    expect(history.filter((h) => h === `deleted /service/${NEW_GUID}/leader`)).toHaveLength(1);
    expect(history.join('\n')).toContain('restores the archive with system identifier');
    expect(history.join('\n')).not.toContain('waits to join the leader');
  }, 120_000);
});
