/**
 * Growing the recovered instance to the user's plan, in rehearsal: the update the broker refuses
 * stops the run resumably and changes nothing; a resume asks again and the new nodes stream the
 * restored database; an explicit node count is honoured; a single-node plan is left alone. The seed's
 * deleted instance ran one node, so each growth is asked for with a node count.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DONE_DRILLED_ON_CELL, runCli, runIdOf } from '../../support/cli.js';
import { EXIT } from '../../../src/core/errors.js';
import { World, loadScenario, type WorldState } from '../../../src/rehearsal/world.js';

const SEED = resolve(import.meta.dirname, '../../../fixtures/seed-003');
const NEW = '78218ded-7d88-4d69-bd44-6f478c300134';
const CONTAINER = 'cf-52167ceb-bd3d-4bff-8699-a239d21c5379';
const CELL = '10.58.111.150';
const RESTORED_SYSID = '6262209914512345093';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dr-grow-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A copy of the seed scenario, its world and answers changed by the callbacks. */
function scenario(world: (w: Record<string, unknown>) => void, answers: (a: Record<string, Record<string, unknown>>) => void): string {
  const dir = join(tempDir(), 'scenario');
  cpSync(SEED, dir, { recursive: true });
  const doc = parse(readFileSync(join(dir, 'scenario.yaml'), 'utf8')) as { world: Record<string, unknown> };
  world(doc.world);
  writeFileSync(join(dir, 'scenario.yaml'), stringify(doc));
  const a = parse(readFileSync(join(dir, 'answers.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
  answers(a);
  writeFileSync(join(dir, 'answers.yaml'), stringify(a));
  return dir;
}

function worldOf(scenarioDir: string, state: string, runId: string): WorldState {
  return World.load(join(state, 'runs', runId), loadScenario(scenarioDir));
}

function leader(w: WorldState) {
  return w.cells[CELL]!.containers[CONTAINER]!;
}

describe('growing the recovered instance to its plan', () => {
  it('stops resumably when the broker refuses the update, and grows on resume', async () => {
    const dir = scenario(
      (w) => ((w.cf as Record<string, unknown>).failNextUpdate = 'no cell has room for another node'),
      (a) => (a.inputs!.nodeCount = '2'),
    );
    const state = tempDir();
    const first = await runCli(['rehearse', '--yes', '--scenario', dir, '--state-dir', state]);
    const out = first.stdout + first.stderr;
    expect(first.code, out).toBe(1);
    expect(out).toMatch(/Service\s+broker error: no cell has room for another node/);
    expect(out).toMatch(/nothing changed; the instance keeps serving as it is/);
    const runId = runIdOf(first.stdout);
    let w = worldOf(dir, state, runId);
    // Refused: the restored instance serves alone, untouched.
    expect(leader(w).running).toBe(true);
    expect(leader(w).pg.replicas ?? []).toEqual([]);
    expect(w.cf.instances.find((i) => i.guid === NEW)!.lastOperation.type).toBe('create');

    const resumed = await runCli(['resume', runId, '--yes', '--state-dir', state]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(DONE_DRILLED_ON_CELL);
    w = worldOf(dir, state, runId);
    expect(leader(w).pg.replicas?.map((r) => r.state)).toEqual(['streaming']);
    expect(w.cf.instances.find((i) => i.guid === NEW)!.parameters).toEqual({ 'node-count': 2 });
    expect(readFileSync(join(state, 'runs', runId, 'report.md'), 'utf8')).toContain(`(system identifier ${RESTORED_SYSID})`);
  });

  it('waits for the nodes to stream when the broker ends the update failed on its own 300 s wait, the nodes still cloning', async () => {
    const dir = scenario(
      (w) => ((w.cf as Record<string, unknown>).cloneOutlastsBrokerWait = true),
      (a) => (a.inputs!.nodeCount = '2'),
    );
    const state = tempDir();
    const r = await runCli(['rehearse', '--yes', '--scenario', dir, '--state-dir', state]);
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(EXIT.doneWithWarnings);
    expect(out.replace(/\n\s+/g, ' ')).toContain(
      `the broker ended the update "failed": Timed out waiting for cluster %!d(structs.ClusterID=${NEW}) members to achieve state 'running'. It adds the nodes first and then waits only 300 s`,
    );
    const w = worldOf(dir, state, runIdOf(r.stdout));
    expect(w.cf.instances.find((i) => i.guid === NEW)!.lastOperation).toMatchObject({ type: 'update', state: 'failed' });
    expect(leader(w).pg.replicas?.map((x) => x.state)).toEqual(['streaming']);
    expect(readFileSync(join(state, 'runs', runIdOf(r.stdout), 'report.md'), 'utf8')).toContain(`(system identifier ${RESTORED_SYSID})`);
  });

  it('grows to an explicit node count, each new node cloned from the restored archive', async () => {
    const dir = scenario(
      () => undefined,
      (a) => (a.inputs!.nodeCount = '3'),
    );
    const state = tempDir();
    const r = await runCli(['rehearse', '--yes', '--verbose', '--scenario', dir, '--state-dir', state]);
    expect(r.code, r.stdout + r.stderr).toBe(DONE_DRILLED_ON_CELL);
    expect(r.stdout).toContain(`$ cf update-service important-db -c '{"node-count":3}'`);
    expect(readFileSync(join(state, 'runs', runIdOf(r.stdout), 'report.md'), 'utf8')).toMatch(
      /- Grown to 3 nodes: .* stream from the restored leader/,
    );
    const w = worldOf(dir, state, runIdOf(r.stdout));
    expect(leader(w).pg.replicas?.map((x) => x.state)).toEqual(['streaming', 'streaming']);
    const clones = Object.values(w.cells)
      .flatMap((c) => Object.values(c.containers))
      .filter((c) => c.env.includes(`PATRONI_SCOPE=${NEW}`) && c.name !== CONTAINER);
    expect(clones).toHaveLength(2);
    for (const c of clones) expect(w.serving[c.name]).toBe(RESTORED_SYSID);
  });

  it('leaves an instance of the single-node plan as it is', async () => {
    const dir = scenario(
      () => undefined,
      (a) => (a.inputs!.plan = 'solo'),
    );
    const state = tempDir();
    const r = await runCli(['rehearse', '--yes', '--verbose', '--scenario', dir, '--state-dir', state]);
    expect(r.code, r.stdout + r.stderr).toBe(DONE_DRILLED_ON_CELL);
    expect(r.stdout).not.toContain('$ cf update-service');
    expect(r.stdout).toContain('1 node(s): the broker recorded 1 for the deleted instance');
    const w = worldOf(dir, state, runIdOf(r.stdout));
    expect(leader(w).pg.replicas ?? []).toEqual([]);
  });
});
