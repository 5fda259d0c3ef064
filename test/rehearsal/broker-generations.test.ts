/**
 * The simulated Dingo broker of each generation, as a create through the simulated cf meets it: the
 * 2016 broker (seed-003, release 0.7.2) makes one node whatever it is asked and logs the parameters;
 * the broker of v0.9 and later (later-broker, release 0.10.1) makes two nodes on two cells without
 * `node-count`, the count asked with it, and refuses a count that is no number or more than its cells.
 * Then the recovery's one-node check against those worlds: it passes one node, and stops on two,
 * naming each node and its cell, with how to go on; a member record etcd should never hold stops it
 * with the value shown escaped; with no member in etcd the deployment's cells decide.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORLD_SYSLOG, loadScenario, type World } from '../../src/rehearsal/world.js';
import { proveOneNode } from '../../src/actions/support/one-node.js';
import { tempDirs } from '../support/temp-dirs.js';
import { nodesOf, stepContext, waitCreated, worldOf } from '../support/world-context.js';

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

describe("the preflight's one-node check", () => {
  const guid = LATER.initial.cf.nextInstanceGuids[0]!;
  const placement = LATER.initial.placements[0]!;
  const params = {
    cellIp: placement.cellIp,
    container: `cf-${placement.nodeUuid}`,
    instanceGuid: guid,
    etcdHostPort: placement.env.ETCD_HOST_PORT,
    serviceName: 'ledger-db',
    deployment: 'dingo-postgresql-7c1e9a3b5d2f4e6a8b01',
  };

  it('passes the one node node-count asked for, proven by its one member in etcd', async () => {
    const { platform, cf } = await worldOf(LATER, newDir(), 'initech', 'billing');
    await cf('create-service', 'dingo-postgresql', 'solo', 'ledger-db', '-c', '{"node-count":1}');
    await waitCreated(cf, 'ledger-db');
    const notes: string[] = [];
    const out = await proveOneNode(stepContext(platform, notes), params);
    expect(out).toBe(`etcd lists one member, at ${placement.cellIp}, the cell of cf-${placement.nodeUuid}`);
    expect(notes).toContain(`the logs show cf-${placement.nodeUuid} on ${placement.cellIp}`);
  });

  it('stops on the two nodes a create without node-count gets, naming each node and its cell, and says how to go on', async () => {
    const { world, platform, cf } = await worldOf(LATER, newDir(), 'initech', 'billing');
    await cf('create-service', 'dingo-postgresql', 'solo', 'ledger-db');
    await waitCreated(cf, 'ledger-db');
    const other = nodesOf(world, guid).find((n) => !n.startsWith(`cf-${placement.nodeUuid}`))!;
    const [otherName, otherCell] = other.split('@') as [string, string];
    const err = (await proveOneNode(stepContext(platform, []), params).catch((e: unknown) => e)) as Error & { hint: string };
    expect(err.message).toMatch(new RegExp(`^the new instance ledger-db \\(${guid}\\) has more than one node`));
    expect(err.message).toContain(
      `Patroni member ${placement.nodeUuid} at ${placement.cellIp}:${placement.hostPort} (master, etcd) [the one found]`,
    );
    expect(err.message).toContain(`Patroni member ${otherName.slice(3)} at ${otherCell}:5432 (replica, etcd)`);
    expect(err.hint).toMatch(/^nothing was changed/);
    expect(err.hint).toContain('cf update-service ledger-db -c \'{"node-count":1}\'');
    expect(err.hint).toContain('cf delete-service ledger-db -f');
    expect(err.hint).toContain('dingo-recover abandon r-world-context --reason TEXT');
  });

  it('stops on a member record that is no Patroni record, showing it escaped with its password out', async () => {
    const { world, platform, cf } = await worldOf(LATER, newDir(), 'initech', 'billing');
    await cf('create-service', 'dingo-postgresql', 'solo', 'ledger-db', '-c', '{"node-count":1}');
    await waitCreated(cf, 'ledger-db');
    const key = `/service/${guid}/members/${placement.nodeUuid}`;
    world.state.etcd[key] = 'conn=postgres://appuser:s3cret-repl@10.58.112.151:32790\x1b[2J';
    const err = (await proveOneNode(stepContext(platform, []), params).catch((e: unknown) => e)) as Error & { hint: string };
    expect(err.message).toBe(
      `etcd's member key ${key} holds no Patroni member record (JSON with a conn_url): conn=postgres://appuser:[REDACTED]@10.58.112.151:32790\\x1b[2J`,
    );
    expect(err.hint).toMatch(/^nothing was changed; check that ETCD_HOST_PORT/);
  });

  it('asks the cells of the deployment when etcd lists no member, and refuses when a cell cannot be read', async () => {
    const { world, platform, cf } = await worldOf(LATER, newDir(), 'initech', 'billing');
    await cf('create-service', 'dingo-postgresql', 'solo', 'ledger-db', '-c', '{"node-count":1}');
    await waitCreated(cf, 'ledger-db');
    const members = new Set(membersOf(world, guid));
    world.state.etcd = Object.fromEntries(Object.entries(world.state.etcd).filter(([k]) => !members.has(k)));
    const notes: string[] = [];
    const out = await proveOneNode(stepContext(platform, notes), params);
    expect(out).toBe(
      `etcd lists no member yet; the cells of dingo-postgresql-7c1e9a3b5d2f4e6a8b01 hold one container with PATRONI_SCOPE=${guid}, cf-${placement.nodeUuid} on ${placement.cellIp}`,
    );
    expect(notes).toContain(
      `on the cells of dingo-postgresql-7c1e9a3b5d2f4e6a8b01 (10.58.112.150, 10.58.112.152, 10.58.112.151, 10.58.112.153), docker shows cf-${placement.nodeUuid} on ${placement.cellIp} (running) with PATRONI_SCOPE=${guid}`,
    );
    delete world.state.cells['10.58.112.153'];
    const err = (await proveOneNode(stepContext(platform, []), params).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(
      /etcd lists no member, and some cells of dingo-postgresql-7c1e9a3b5d2f4e6a8b01 could not be read: 10\.58\.112\.153: ssh: connect to host 10\.58\.112\.153 port 22: No route to host/,
    );
  });
});
