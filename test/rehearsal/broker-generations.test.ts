/**
 * The simulated Dingo broker of each generation, as a create through the simulated cf meets it: the
 * 2016 broker (seed-003, release 0.7.2) makes one node whatever it is asked and logs the parameters;
 * the broker of v0.9 and later (later-broker, release 0.10.1) makes two nodes on two cells without
 * `node-count`, the count asked with it, and refuses a count that is no number or more than its cells.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORLD_SYSLOG, loadScenario, type World } from '../../src/rehearsal/world.js';
import { tempDirs } from '../support/temp-dirs.js';
import { nodesOf, waitCreated, worldOf } from '../support/world-context.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures');
const SEED = loadScenario(join(FIXTURES, 'seed-003'));
const LATER = loadScenario(join(FIXTURES, 'later-broker'));
const newDir = tempDirs('broker-generations-');

function membersOf(world: World, guid: string): string[] {
  return Object.keys(world.state.etcd).filter((k) => k.startsWith(`/service/${guid}/members/`));
}

describe('the 2016 broker (seed-003, dingo-postgresql/0.7.2)', () => {
  it('makes one node whatever node-count says, and logs the parameters it was given', async () => {
    const dir = newDir();
    const { world, cf } = await worldOf(SEED, dir, 'acme', 'important-space-and-all-databases');
    await cf('create-service', 'dingo-postgresql95', 'solo', 'important-db', '-c', '{"node-count":3}');
    const guid = SEED.initial.cf.nextInstanceGuids[0]!;
    expect(await waitCreated(cf, 'important-db')).toBe('create succeeded');
    expect(nodesOf(world, guid)).toEqual(['cf-52167ceb-bd3d-4bff-8699-a239d21c5379@10.58.111.150']);
    expect(membersOf(world, guid)).toHaveLength(1);
    const broker = readFileSync(join(dir, WORLD_SYSLOG), 'utf8')
      .split('\n')
      .filter((l) => l.includes(' broker.stdout.log:  '));
    expect(broker).toHaveLength(1);
    expect(broker[0]).toMatch(
      /^\w{3} [ \d]\d \d\d:\d\d:\d\d 0\.router-partition-cac94a070a81fd8f3931\.dingo-postgresql-98b09c4b36af74181ee1 broker\.stdout\.log: {2}/,
    );
    const line = JSON.parse(broker[0]!.slice(broker[0]!.indexOf('  {') + 2)) as {
      source: string;
      message: string;
      data: { cluster: Record<string, unknown> };
    };
    expect(line.source).toBe('patroni-broker');
    expect(line.message).toBe('patroni-broker.cluster.provision.running.success');
    expect(line.data.cluster).toMatchObject({ instance_id: guid, parameters: { 'node-count': 3 }, node_count: 1 });
  });
});

describe('the broker of v0.9 and later (later-broker, dingo-postgresql/0.10.1)', () => {
  const guid = LATER.initial.cf.nextInstanceGuids[0]!;
  const placement = LATER.initial.placements[0]!;

  it('makes two nodes on two cells without node-count, whatever the plan, each a member in etcd, and logs its plan', async () => {
    const dir = newDir();
    const { world, cf } = await worldOf(LATER, dir, 'initech', 'billing');
    await cf('create-service', 'dingo-postgresql', 'solo', 'ledger-db');
    expect(await waitCreated(cf, 'ledger-db')).toBe('create succeeded');
    const nodes = nodesOf(world, guid);
    expect(nodes).toHaveLength(2);
    expect(nodes).toContain(`cf-${placement.nodeUuid}@${placement.cellIp}`);
    expect(new Set(nodes.map((n) => n.split('@')[1])).size).toBe(2);
    expect(membersOf(world, guid)).toHaveLength(2);
    const log = readFileSync(join(dir, WORLD_SYSLOG), 'utf8');
    expect(log).toContain('"message":"dingo-postgresql-broker.scheduler.run-cluster"');
    expect(log).toContain('"steps":["AddNode","AddNode","WaitForAllMembers","WaitForLeader"],"features":{"NodeCount":2');
    expect(log.match(/dingo-postgresql-broker\.add-node\.perform\.success/g)).toHaveLength(2);
    expect(log).not.toContain('patroni-broker');
  });

  it('makes the count node-count asks for, and refuses a count that is no number or more than its four cells', async () => {
    const oneDir = newDir();
    const one = await worldOf(LATER, oneDir, 'initech', 'billing');
    await one.cf('create-service', 'dingo-postgresql', 'cluster', 'ledger-db', '-c', '{"node-count":1}');
    expect(await waitCreated(one.cf, 'ledger-db')).toBe('create succeeded');
    expect(nodesOf(one.world, guid)).toEqual([`cf-${placement.nodeUuid}@${placement.cellIp}`]);
    expect(readFileSync(join(oneDir, WORLD_SYSLOG), 'utf8')).toContain('"features":{"NodeCount":1');

    const text = await worldOf(LATER, newDir(), 'initech', 'billing');
    await text.cf('create-service', 'dingo-postgresql', 'solo', 'ledger-db', '-c', '{"node-count":"1"}');
    expect(await waitCreated(text.cf, 'ledger-db')).toBe('create failed');
    expect((await text.cf('service', 'ledger-db')).stdout).toContain("'node-count' expected type 'int', got unconvertible type 'string'");
    expect(nodesOf(text.world, guid)).toEqual([]);

    const many = await worldOf(LATER, newDir(), 'initech', 'billing');
    await many.cf('create-service', 'dingo-postgresql', 'solo', 'ledger-db', '-c', '{"node-count":5}');
    expect(await waitCreated(many.cf, 'ledger-db')).toBe('create failed');
    expect((await many.cf('service', 'ledger-db')).stdout).toContain('Not enough Cell GUIDs for cluster of 5 nodes');
  });
});
