/**
 * `dingo-recover snapshot` with recover-space's answers (an org and a deleted space, no service):
 * against the live platform after `cf delete-space` (two archived Dingo instances, one never
 * archived), it only reads, and `rehearse --scenario` of it runs recover-space to the end.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runIdOf } from '../support/cli.js';
import { sshdAvailable } from '../support/sshd.js';
import { etcdAvailable } from '../support/etcd.js';
import { prepareCase } from '../support/live/platform.js';
import { useSnapshot, rehearseScenario } from '../support/live/hooks.js';
import { SEED_DELETED, deletedInstance } from '../support/live/shared.js';
import { SEED_SPACE, seedSpaceDeleted } from '../support/live/deleted-space.js';
import type { WorldState } from '../../src/rehearsal/world-state.js';

const ONE_RUN_MS = 600_000;
const SPACE = SEED_SPACE;
const REPORTS = deletedInstance('reports-db', 2);

describe.skipIf(!sshdAvailable || !etcdAvailable)('dingo-recover snapshot of a deleted space', () => {
  let cfBefore: string;
  const r = useSnapshot(async (servers) => {
    const c = await prepareCase(servers, 'snapshot-space', seedSpaceDeleted(REPORTS));
    cfBefore = JSON.stringify(await c.readCf());
    return c;
  });

  it("holds the space's deletion, its instances' events and both archives, and names recover-space", () => {
    expect(r.snap.code, r.snap.stdout + r.snap.stderr).toBe(0);
    expect(r.snap.stdout).toContain(SEED_DELETED.guid);
    expect(r.snap.stdout).toContain(REPORTS.guid);
    const scenario = readFileSync(join(r.out, 'scenario.yaml'), 'utf8');
    expect(scenario).toMatch(/^runbook: recover-space$/m);
    expect(scenario).toContain('audit.space.delete-request');
    expect(scenario).toContain(`backups/${REPORTS.guid}/wal/sysids/sysid`);
    expect(readFileSync(join(r.out, 'answers.yaml'), 'utf8')).not.toContain('deletedInstance');
  });

  it('changed nothing in cf', async () => {
    expect(JSON.stringify(await r.c.readCf())).toBe(cfBefore);
  });

  it(
    'rehearses: recover-space brings back both archived instances in the recreated space',
    async () => {
      const { run, stateDir } = await rehearseScenario(r.out, ONE_RUN_MS);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const runId = runIdOf(run.stdout);
      expect(run.stdout).toContain(`run ${runId} is done`);
      expect(run.stdout).toContain(SEED_DELETED.guid);
      expect(run.stdout).toContain(REPORTS.guid);
      const world = JSON.parse(readFileSync(join(stateDir, 'runs', runId, 'world.json'), 'utf8')) as WorldState;
      const space = world.cf.orgs.find((o) => o.name === 'acme')!.spaces.find((sp) => sp.name === SPACE)!;
      const restored = world.cf.instances.filter((i) => i.spaceGuid === space.guid).map((i) => i.name);
      expect(restored.sort()).toEqual(['important-db', 'reports-db']);
    },
    ONE_RUN_MS,
  );
});
