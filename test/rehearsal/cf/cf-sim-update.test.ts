/** The simulated cf's update-service, as the grow step drives it, in every output era; and what the leader answers. */
import { describe, expect, it } from 'vitest';
import { simulateCf, type CfServiceInstance } from '../../../src/rehearsal/cf/index.js';
import { CF_VERSIONS, cfWorld } from '../../support/fake-cli/worlds.js';
import { nodesForPlan } from '../../../src/adapters/cf/index.js';
import { parseControlDataSysid, parseReplicationRows } from '../../../src/adapters/pg-replication.js';
import { controlData, replicationRows } from '../../../src/rehearsal/cell-sim-replication.js';

const SPACE = 'important-space-and-all-databases';

function created(version: string) {
  const w = cfWorld(version);
  const updates: Record<string, unknown>[] = [];
  const cf = (...args: string[]) =>
    simulateCf(
      w,
      { argv: ['cf', ...args], writes: false },
      {
        now: () => new Date('2024-05-01T10:00:00.123Z'),
        onServiceUpdated: (_i: CfServiceInstance, p: Record<string, unknown>) => {
          updates.push(p);
          return undefined;
        },
      },
    );
  cf('target', '-o', 'org', '-s', SPACE);
  cf('create-service', 'dingo-postgresql95', 'solo', 'important-db');
  w.instances[0]!.lastOperation.state = 'succeeded';
  return { w, cf, updates };
}

describe('simulated cf update-service', () => {
  for (const [era, version] of Object.entries(CF_VERSIONS)) {
    it(`(${era}) starts an asynchronous update the broker acts on, then it succeeds`, () => {
      const { w, cf, updates } = created(version);
      const r = cf('update-service', 'important-db', '-c', '{"node-count":3}');
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain("Update in progress. Use 'cf services' or 'cf service important-db' to check operation status.");
      expect(updates).toEqual([{ 'node-count': 3 }]);
      expect(w.instances[0]!.lastOperation).toMatchObject({ type: 'update', state: 'in progress' });
      expect(w.instances[0]!.parameters).toEqual({ 'node-count': 3 });
      for (let i = 0; i < 5; i++) cf('service', 'important-db');
      expect(w.instances[0]!.lastOperation).toMatchObject({ type: 'update', state: 'succeeded' });
    });

    it(`(${era}) exits 1 and changes nothing when the broker refuses, or the plan would change`, () => {
      const { w, cf, updates } = created(version);
      w.failNextUpdate = 'no cell has room';
      const refused = cf('update-service', 'important-db', '-c', '{"node-count":2}');
      expect(refused.exitCode).toBe(1);
      expect(refused.stdout + refused.stderr).toContain('Service broker error: no cell has room');
      const plan = cf('update-service', 'important-db', '-p', 'cluster');
      expect(plan.exitCode).toBe(1);
      expect(plan.stdout + plan.stderr).toContain('The service does not support changing plans.');
      expect(updates).toEqual([]);
      expect(w.instances[0]!.lastOperation).toMatchObject({ type: 'create', state: 'succeeded' });
      expect(cf('update-service', 'nope', '-c', '{}').exitCode).toBe(1);
    });
  }
});

describe('the size of a plan', () => {
  it('takes an explicit node count, else 1 for the single-node plan and the broker default for others', () => {
    expect(nodesForPlan('cluster', 'solo', 'plan')).toBe(2);
    expect(nodesForPlan('solo', 'solo', 'plan')).toBe(1);
    expect(nodesForPlan('cluster', 'solo', '3')).toBe(3);
    expect(nodesForPlan('cluster', 'solo', '0')).toBeNull();
    expect(nodesForPlan('cluster', 'solo', 'three')).toBeNull();
  });
});

describe('what the leader answers about its replicas', () => {
  it('round-trips pg_stat_replication rows and the pg_controldata system identifier', () => {
    const pg = {
      sysid: '6262209914512345093',
      replicas: [
        { applicationName: 'b-node', clientAddr: '10.0.0.2', state: 'catchup' as const },
        { applicationName: 'a-node', clientAddr: '10.0.0.3', state: 'streaming' as const },
      ],
    };
    expect(parseReplicationRows(replicationRows(pg).stdout)).toEqual([
      { name: 'a-node', clientAddr: '10.0.0.3', state: 'streaming' },
      { name: 'b-node', clientAddr: '10.0.0.2', state: 'catchup' },
    ]);
    expect(parseControlDataSysid(controlData(pg, '/data/postgres0', 'postgres').stdout)).toBe('6262209914512345093');
    expect(controlData(pg, '/data/other', 'postgres').exitCode).toBe(1);
    expect(controlData({}, '/data/postgres0', 'postgres').exitCode).toBe(1);
    expect(parseControlDataSysid('pg_control version number: 942\n')).toBeNull();
  });
});
