/**
 * The seed incident's simulated platform with the new instance created on it (the broker's first
 * placement: cf-52167ceb… on 10.58.111.150, beside another tenant's node), and a step context over
 * it that keeps what a step shows: the cell actions run against the world as a rehearsal runs them.
 */
import { resolve } from 'node:path';
import { World, loadScenario } from '../../src/rehearsal/world.js';
import { buildNewInstance } from '../../src/rehearsal/new-instance.js';
import { openLogSource } from '../../src/systems/log-source.js';
import { localMachine } from '../../src/commands/run/local-machine.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import type { CommandSpec } from '../../src/core/seams.js';
import { DEFAULT_SETTINGS } from '../../src/engine/runbook/index.js';
import type { ActionDef } from '../../src/engine/runbook/index.js';
import { actionRegistry } from '../../src/actions/index.js';
import { findContainer, type SimContainer } from '../../src/rehearsal/cell-world.js';
import { testRuntime } from './runtime.js';
import { tempDirs } from './temp-dirs.js';

export const NEW_GUID = '78218ded-7d88-4d69-bd44-6f478c300134';
export const OLD_GUID = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
export const CELL = '10.58.111.150';
export const CONTAINER = 'cf-52167ceb-bd3d-4bff-8699-a239d21c5379';
export const MEMBER = '52167ceb-bd3d-4bff-8699-a239d21c5379';
export const ETCD = '10.58.111.149:4001';
export const LEADER_KEY = `/service/${NEW_GUID}/leader`;
export const MEMBER_KEY = `/service/${NEW_GUID}/members/${MEMBER}`;
const OLD_ARCHIVE = `s3://our-postgresql-backups/backups/${OLD_GUID}/wal/`;
const NEW_ARCHIVE = `s3://our-postgresql-backups/backups/${NEW_GUID}/wal/`;
/** The other tenant's node on the same cell, and its leader key: never touched. */
export const OTHER_LEADER_KEY = '/service/d2c4e6f8-1a3b-4c5d-9e7f-0a1b2c3d4e5f/leader';

const SCENARIO = loadScenario(resolve(import.meta.dirname, '../../fixtures/seed-003'));
const newDir = tempDirs('dingo-restore-world-');

interface Shown {
  evidence: string[];
  notes: string[];
  warnings: string[];
  progress: string[];
}

export function restoreWorld() {
  const world = World.open(newDir(), SCENARIO);
  buildNewInstance(world, { guid: NEW_GUID, name: 'important-db', spaceGuid: 'space-guid', offering: 'dingo-postgresql', plan: 'solo' });
  const platform = world.platform(SCENARIO, openLogSource, localMachine);
  const shown: Shown = { evidence: [], notes: [], warnings: [], progress: [] };
  const commands: string[] = [];
  const ctx = {
    platform,
    runId: 'test-run',
    runDir: world.dir,
    stepId: 'test-step',
    settings: DEFAULT_SETTINGS,
    runtime: testRuntime(),
    answers: { inputs: {}, confirm: {}, choose: {}, secrets: {} },
    adoptable: [],
    cf: platform.cf,
    bosh: platform.bosh,
    s3: platform.s3,
    // Every command a step runs on a cell, as its argv joined by spaces.
    async cell(ip: string) {
      const session = await platform.cells.open(ip);
      return {
        where: session.where,
        run: (spec: CommandSpec) => (commands.push(spec.argv.join(' ')), session.run(spec)),
        etcd: (hostPort: string) => session.etcd(hostPort),
        close: () => session.close(),
      };
    },
    note: (t: string) => void shown.notes.push(t),
    warn: (t: string) => void shown.warnings.push(t),
    get warnings() {
      return shown.warnings;
    },
    evidence: (t: string) => void shown.evidence.push(t),
    progress: (t: string) => void shown.progress.push(t),
    sleep: () => Promise.resolve(),
    now: () => new Date(),
  } as unknown as StepContext;
  const registry = actionRegistry();
  const action = (name: string): ActionDef => registry.get(name)!;
  const container = (): SimContainer => findContainer(world.state.cells[CELL]!, CONTAINER)!;
  /** A docker command on the cell, as an operator would type it (no step of the run). */
  const docker = async (...args: string[]) =>
    (await platform.cells.open(CELL)).run({ argv: ['docker', ...args], writes: args[0] !== 'inspect' });
  return { world, platform, ctx, shown, commands, action, container, docker };
}
export type RestoreWorld = ReturnType<typeof restoreWorld>;

/** The parameters each cell step of recover-instance takes here. */
const AT = { cellIp: CELL, container: CONTAINER };
export const STOP_PARAMS = { ...AT, instanceGuid: NEW_GUID, etcdHostPort: ETCD };
export const START_PARAMS = { ...AT, etcdHostPort: ETCD, instanceGuid: NEW_GUID, archiveUrl: NEW_ARCHIVE };
export const WAIT_PARAMS = {
  ...AT,
  archiveUrl: OLD_ARCHIVE,
  restoredArchiveUrl: NEW_ARCHIVE,
  etcdHostPort: ETCD,
  lastSegment: '000000010000000000000005',
  oldInstanceGuid: OLD_GUID,
};
