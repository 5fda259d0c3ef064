/**
 * The bundled later-broker scenario, rehearsed to its end: a deleted service on Dingo 0.10.1, whose
 * broker makes two nodes unless asked for one, logs as dingo-postgresql-broker, and whose offering
 * is named dingo-postgresql. The run takes the offering from cf marketplace, asks for one node and
 * gets one (the other cells untouched until the growth), proves it before the stop, restores the
 * deleted instance's database into it and grows it to its plan's two nodes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DONE_UNDRILLED, runCli, runIdOf, type CliResult } from '../../support/cli.js';
import { World, loadScenario, type WorldState } from '../../../src/rehearsal/world.js';
import { envOf } from '../../../src/rehearsal/cell-world.js';

const SCENARIO = loadScenario(resolve(import.meta.dirname, '../../../fixtures/later-broker'));
const OLD = 'a7d3c9e1-5b2f-4e8a-9c6d-0f1e2d3c4b5a';
const OLD_SYSID = '6389146221234567810';
const NEW = SCENARIO.initial.cf.nextInstanceGuids[0]!;
const placement = SCENARIO.initial.placements[0]!;

describe('rehearse --scenario later-broker', () => {
  let state: string;
  let r: CliResult;
  let world: WorldState;
  beforeAll(async () => {
    state = mkdtempSync(join(tmpdir(), 'dr-later-'));
    r = await runCli(['rehearse', '--scenario', 'later-broker', '--yes', '--verbose', '--state-dir', state]);
    world = World.load(join(state, 'runs', runIdOf(r.stdout)), SCENARIO);
  }, 300_000);
  afterAll(() => {
    rmSync(state, { recursive: true, force: true });
  });

  it('runs to its end, the deleted instance settled by the evidence alone', () => {
    expect(r.code, r.stdout + r.stderr).toBe(DONE_UNDRILLED);
    expect(r.stdout).toContain(`instanceGuid=${OLD}`);
    expect(r.stdout).toContain('name: ledger-db: proven by a name line in the logs');
    expect(r.stdout).toContain('chosen by: the evidence');
  });

  it('creates the service from the offering cf marketplace lists, asking for one node, and proves one node before the stop', () => {
    expect(r.stdout).toContain('$ cf marketplace');
    expect(r.stdout).toContain(`$ cf create-service dingo-postgresql solo ledger-db -c '{"node-count":1}'`);
    expect(r.stdout).toContain(`one node: etcd lists one member, at ${placement.cellIp}, the cell of cf-${placement.nodeUuid}`);
    expect(r.stdout.indexOf('one node: etcd lists one member')).toBeLessThan(r.stdout.indexOf('Stop the new container'));
  });

  it('restores the deleted database into the new node, then grows it to the two nodes the broker recorded for the deleted instance', () => {
    expect(r.stdout).toContain('the broker planned this cluster with 2 node(s) (scheduler.run-cluster)');
    expect(r.stdout).toContain('2 node(s): the broker recorded 2 for the deleted instance');
    const scoped = Object.entries(world.cells).flatMap(([ip, cell]) =>
      Object.values(cell.containers)
        .filter((c) => envOf(c).PATRONI_SCOPE === NEW)
        .map((c) => ({ ip, name: c.name, sysid: c.pg.sysid, inRecovery: c.pg.inRecovery })),
    );
    expect(scoped).toHaveLength(2);
    const leader = scoped.find((c) => c.name === `cf-${placement.nodeUuid}`)!;
    expect(leader).toMatchObject({ ip: placement.cellIp, sysid: OLD_SYSID, inRecovery: false });
    expect(scoped.find((c) => c !== leader)).toMatchObject({ sysid: OLD_SYSID, inRecovery: true });
    expect(world.cf.instances.find((i) => i.guid === NEW)!.parameters).toEqual({ 'node-count': 2 });
    const app = world.cf.orgs[0]!.spaces[0]!.apps[0]!;
    expect(app).toMatchObject({ name: 'invoicer', boundServiceGuids: [NEW] });
  });

  it("leaves the other tenant's node and archive as they were", () => {
    const decoy = world.cells['10.58.112.150']!.containers['cf-6d7e8f90-a1b2-4c3d-9e4f-5a6b7c8d9e0f']!;
    expect(decoy.running).toBe(true);
    const before = Object.keys(SCENARIO.initial.s3['initech-dingo-wal']!).filter((k) => k.includes('f0e1d2c3'));
    const after = Object.keys(world.s3['initech-dingo-wal']!).filter((k) => k.includes('f0e1d2c3'));
    expect(after).toEqual(before);
  });
});
