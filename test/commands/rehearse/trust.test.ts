/**
 * Off the happy path of a recovery: the operator decides which database comes back, a resume
 * re-establishes the cf target before it acts, everything checkable is checked before the first
 * destructive step, resume takes changed settings, and a run can be abandoned on the record.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, runCli, runIdOf } from '../../support/cli.js';
import { runOnTerminal } from '../../support/terminal.js';
import { World, loadScenario } from '../../../src/rehearsal/world.js';
import type { WorldState } from '../../../src/rehearsal/world-state.js';
import { readJournal } from '../../../src/engine/journal/index.js';

const OLD = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
const NEW = '78218ded-7d88-4d69-bd44-6f478c300134';
const CONTAINER = 'cf-52167ceb-bd3d-4bff-8699-a239d21c5379';
const CELL = '10.58.111.150';
const SCENARIO = loadScenario(resolve(import.meta.dirname, '../../../fixtures/seed-003'));

const dirs: string[] = [];
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dr-trust-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  dirs.splice(0).forEach((d) => {
    rmSync(d, { recursive: true, force: true });
  });
});

const INPUTS =
  'inputs: { org: acme, space: important-space-and-all-databases, serviceName: important-db, plan: cluster, apps: [their-app] }\n';

function answers(dir: string, text: string): string {
  const file = join(dir, `answers-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

function journalOf(state: string, runId: string) {
  return readJournal(join(state, 'runs', runId, 'journal.ndjson'));
}

function commandsRun(state: string, runId: string, verb: string): number {
  return journalOf(state, runId).filter((e) => e.type === 'command' && e.argv.join(' ').includes(verb)).length;
}

/** A rehearsal killed where `failpoint` says (`step:ID` before a step, `journal:SEQ` after an event); its run id. */
async function killedAt(state: string, failpoint: string): Promise<string> {
  const first = await runCli(['rehearse', '--yes', '--state-dir', state], { env: { DINGO_RECOVER_FAILPOINTS: failpoint } });
  expect(first.signal, first.stdout.slice(-2000)).toBe('SIGKILL');
  return runIdOf(first.stdout);
}

/** The run's rehearsal world changed, as someone else would change the platform between two attempts. */
function changeWorld(state: string, runId: string, change: (world: WorldState) => void): void {
  const world = World.open(join(state, 'runs', runId), SCENARIO);
  change(world.state);
  world.save();
}

describe('the deleted instance is the operator’s decision', () => {
  it('a name no evidence proves stops a run with no terminal (exit 3), even with --yes, before anything is created', async () => {
    const state = stateDir();
    const file = answers(
      state,
      'inputs: { org: acme, space: important-space-and-all-databases, serviceName: some-other-db, plan: cluster, apps: [their-app] }\n',
    );
    const r = await runCli(['rehearse', '--yes', '--answers', file, '--state-dir', state]);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toContain('nothing proves it was named "some-other-db"');
    expect(r.stdout).toContain('choose.deletedInstance');
    expect(r.stdout).toContain('--deleted-instance GUID');
    const runId = runIdOf(r.stdout);
    expect(commandsRun(state, runId, 'create-service')).toBe(0);
    // The operator chooses on resume; the choice is journaled as theirs.
    const again = await runCli(['resume', runId, '--yes', '--deleted-instance', OLD, '--state-dir', state]);
    expect(again.code, again.stdout).toBe(DONE_DRILLED_ON_CELL);
    const found = journalOf(state, runId).find((e) => e.type === 'step.finished' && e.step === 'find-deleted-instance');
    expect(found?.type === 'step.finished' && found.outputs).toMatchObject({
      instanceGuid: OLD,
      decidedBy: 'the operator (--deleted-instance)',
      nameProof: 'not proven by any evidence',
    });
  });

  it('shows the OLD instance as one block and asks for the first 8 characters of its GUID', async () => {
    const state = stateDir();
    const file = answers(state, `${INPUTS}choose: { deletedInstance: ${OLD} }\n`);
    const r = await runCli(['rehearse', '--answers', file, '--state-dir', state]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/no answer for confirmation "confirm-deleted-instance"/);
    for (const line of [
      `deleted instance (OLD): ${OLD}`,
      'name: important-db: not proven by any evidence',
      'space GUID: 5a84d315-8c5e-4d2b-9d3c-6f1e2a7b9c40',
      'deleted at: 2016-03-17T06:10:17.897Z',
      'last archived WAL: 000000010000000000000005',
      'chosen by: the operator (choose.deletedInstance in the answers file)',
      'also considered: no other deleted instance',
    ])
      expect(r.stdout).toContain(line);
    expect(r.stdout).toContain(`type the first 8 characters of ${OLD} to confirm`);
  });

  it('a choice that is not among the candidates is refused, naming them', async () => {
    const state = stateDir();
    const file = answers(state, `${INPUTS}choose: { deletedInstance: 11111111-2222-4333-8444-555555555555 }\n`);
    const r = await runCli(['rehearse', '--yes', '--answers', file, '--state-dir', state]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(
      'chooses "11111111-2222-4333-8444-555555555555" for deletedInstance, but it is not one of the candidates found',
    );
    expect(r.stdout).toMatch(new RegExp(`candidates found\\s+\\(${OLD}\\)`));
  });

  it('an answers file written before the run confirms every step: the old GUID, then the service name', async () => {
    const state = stateDir();
    const file = answers(
      state,
      // The user asks for two nodes (the deleted instance ran one): the grow is confirmed too.
      `${INPUTS.replace('plan: cluster,', "plan: cluster, nodeCount: '2',")}choose: { deletedInstance: ${OLD} }\nconfirm:\n  confirm-deleted-instance: ${OLD.slice(0, 8)}\n  stop-container: important-db\n  quarantine-new-archive: important-db\n  reset-etcd: important-db\n  flush-data: important-db\n  grow-service: important-db\n`,
    );
    const r = await runCli(['rehearse', '--answers', file, '--state-dir', state]);
    expect(r.code, r.stdout.slice(-3000)).toBe(DONE_DRILLED_ON_CELL);
    const confirms = journalOf(state, runIdOf(r.stdout)).filter((e) => e.type === 'confirm');
    expect(confirms.map((e) => [e.step, e.method, e.typed])).toEqual([
      ['confirm-deleted-instance', 'answers', OLD.slice(0, 8)],
      ['stop-container', 'answers', 'important-db'],
      ['quarantine-new-archive', 'answers', 'important-db'],
      ['reset-etcd', 'answers', 'important-db'],
      ['flush-data', 'answers', 'important-db'],
      ['grow-service', 'answers', 'important-db'],
    ]);
  });

  it('explain lists the confirm ids and what each accepts', async () => {
    const r = await runCli(['explain', 'recover-deleted-service']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('confirm id: confirm-deleted-instance');
    expect(r.stdout).toContain('confirm id: stop-container');
  });
});

describe('a resume re-establishes the world before it acts', () => {
  it('killed after create-service, the cf target moved to another space: one instance, in the right space', async () => {
    const state = stateDir();
    const runId = await killedAt(state, 'step:create-service');
    changeWorld(state, runId, (w) => {
      w.cf.target = { org: 'acme', space: 'staging' };
    });
    const again = await runCli(['resume', runId, '--yes', '--state-dir', state]);
    expect(again.code, again.stdout.slice(-3000)).toBe(DONE_DRILLED_ON_CELL);
    expect(again.stdout).toContain('re-established: cf targets acme/important-space-and-all-databases again');
    const after = World.load(join(state, 'runs', runId), SCENARIO);
    expect(after.cf.instances.map((i) => [i.name, i.guid, i.spaceGuid])).toEqual([
      ['important-db', NEW, '5a84d315-8c5e-4d2b-9d3c-6f1e2a7b9c40'],
    ]);
    expect(journalOf(state, runId).some((e) => e.type === 'ambient.reasserted' && e.step === 'target-space')).toBe(true);
  });

  it('killed mid create-service with the target moved: the probe looks in the journaled space by GUID', async () => {
    const state = stateDir();
    // journal event right after create-service's command was journaled: find it from an uninterrupted run.
    const whole = await runCli(['rehearse', '--yes', '--state-dir', state]);
    const events = journalOf(state, runIdOf(whole.stdout));
    const cmd = events.find((e) => e.type === 'command' && e.argv.includes('create-service'))!;
    const state2 = stateDir();
    const runId = await killedAt(state2, `journal:${cmd.seq}`);
    changeWorld(state2, runId, (w) => {
      w.cf.target = { org: 'acme', space: 'staging' };
    });
    const again = await runCli(['resume', runId, '--yes', '--state-dir', state2]);
    expect(again.code, again.stdout.slice(-3000)).toBe(DONE_DRILLED_ON_CELL);
    expect(again.stdout).toContain('already done (service important-db exists in space 5a84d315-8c5e-4d2b-9d3c-6f1e2a7b9c40');
    expect(World.load(join(state2, 'runs', runId), SCENARIO).cf.instances).toHaveLength(1);
  });

  it('a resume against another CF API stops before any step, naming both', async () => {
    const state = stateDir();
    const runId = await killedAt(state, 'step:create-service');
    changeWorld(state, runId, (w) => {
      w.cf.api.url = 'https://api.other.example.com';
    });
    const again = await runCli(['resume', runId, '--yes', '--state-dir', state]);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain(
      'cf now points at API https://api.other.example.com, but this run started against https://api.system.dingo.example.com',
    );
    expect(commandsRun(state, runId, 'create-service')).toBe(1);
  });
});

describe('everything checkable is checked before the first destructive step', () => {
  it('a wrong container store root stops before the container is stopped; resume with the right one completes', async () => {
    const state = stateDir();
    const first = await runCli(['rehearse', '--yes', '--container-store-root', '/srv/elsewhere/', '--state-dir', state]);
    expect(first.code, first.stdout.slice(-2000)).toBe(1);
    expect(first.stdout).toContain('before anything is stopped or moved, the data folder');
    expect(first.stdout).toContain('--container-store-root');
    const runId = runIdOf(first.stdout);
    expect(commandsRun(state, runId, 'stop')).toBe(0);
    expect(World.load(join(state, 'runs', runId), SCENARIO).cells[CELL]!.containers[CONTAINER]!.running).toBe(true);
    const again = await runCli([
      'resume',
      runId,
      '--yes',
      '--container-store-root',
      '/var/vcap/store/cf-containers-broker/',
      '--state-dir',
      state,
    ]);
    expect(again.code, again.stdout.slice(-2000)).toBe(DONE_DRILLED_ON_CELL);
    expect(again.stdout).toContain(
      'setting containerStoreRoot changed for this resume: "/srv/elsewhere/" → "/var/vcap/store/cf-containers-broker/"',
    );
    const changed = journalOf(state, runId).find((e) => e.type === 'settings.changed');
    expect(changed?.type === 'settings.changed' && changed.changes.containerStoreRoot).toEqual({
      from: '/srv/elsewhere/',
      to: '/var/vcap/store/cf-containers-broker/',
    });
  });

  it('an input a finished step used cannot change on resume; the error names the step', async () => {
    const state = stateDir();
    const runId = await killedAt(state, 'step:create-service');
    const file = answers(
      state,
      'inputs: { org: acme, space: important-space-and-all-databases, serviceName: orders-db, plan: cluster, apps: [their-app] }\nchoose: { deletedInstance: 6e101b27-ee1b-4f4d-a032-4401a3709ec3 }\n',
    );
    const again = await runCli(['resume', runId, '--yes', '--answers', file, '--state-dir', state]);
    expect(again.code).toBe(2);
    expect(again.stdout).toContain('input "serviceName" was "important-db" when step "find-deleted-instance" ran');
    expect(again.stdout).toContain(`dingo-recover abandon ${runId}`);
  });
});

describe('abandon', () => {
  it('ends a run on the record: resume refuses it, runs shows it, a fresh run can start', async () => {
    const state = stateDir();
    const runId = await killedAt(state, 'step:create-service');
    // Without --reason and without a terminal: the line that gives one, not the argument parser's words.
    const none = await runCli(['abandon', runId, '--state-dir', state]);
    expect(none.code).toBe(2);
    expect(none.stderr.replace(/\s+/g, ' ')).toContain(
      `abandon needs a reason: dingo-recover abandon ${runId} --state-dir ${state} --reason "WHY THE RUN ENDS"`,
    );
    expect(none.stderr).not.toContain('Missing required argument');
    const a = await runCli(['abandon', runId, '--reason', 'the space was recreated', '--state-dir', state]);
    expect(a.code, a.stderr).toBe(0);
    expect(journalOf(state, runId).at(-1)).toMatchObject({ type: 'run.abandoned', reason: 'the space was recreated' });
    const r = await runCli(['resume', runId, '--yes', '--state-dir', state]);
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toContain('was abandoned (the space was recreated)');
    const list = await runCli(['runs', '--json', '--state-dir', state]);
    expect(JSON.parse(list.stdout).runs[0].status).toBe('abandoned');
    const latest = await runCli(['resume', '--yes', '--state-dir', state]);
    expect(latest.code).toBe(2);
    expect(latest.stderr).toContain('no unfinished run');
    expect(readFileSync(join(state, 'runs', runId, 'journal.ndjson'), 'utf8')).toContain('"run.abandoned"');
  });
});

describe('abandon at a terminal', () => {
  it('asks why the run ends when --reason is not given, and journals the answer', async () => {
    const state = stateDir();
    const runId = await killedAt(state, 'step:create-service');
    const r = await runOnTerminal(
      ['abandon', runId, '--state-dir', state],
      [{ when: `Why does run ${runId} end here`, type: 'the user restored from their own dump' }],
    );
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toContain(`run ${runId} is abandoned: the user restored from their own dump`);
    expect(journalOf(state, runId).at(-1)).toMatchObject({ type: 'run.abandoned', reason: 'the user restored from their own dump' });
  });
});

describe('the journal survives a torn write; a lock conflict has its own exit code', () => {
  it('a last event cut mid-JSON is kept aside and the resume completes', async () => {
    const state = stateDir();
    const runId = await killedAt(state, 'step:stop-container');
    const file = join(state, 'runs', runId, 'journal.ndjson');
    const whole = readFileSync(file, 'utf8');
    const lastStart = whole.lastIndexOf('\n', whole.length - 2) + 1;
    const torn = whole.slice(0, lastStart + Math.floor((whole.length - lastStart) / 2));
    writeFileSync(file, torn);
    const again = await runCli(['resume', runId, '--yes', '--state-dir', state]);
    expect(again.code, again.stdout.slice(-2000)).toBe(DONE_DRILLED_ON_CELL);
    const events = journalOf(state, runId);
    const repaired = events.find((e) => e.type === 'journal.repaired');
    expect(repaired?.type === 'journal.repaired' && readFileSync(repaired.keptAt, 'utf8')).toBe(torn.slice(lastStart));
    const show = await runCli(['show', runId, '--state-dir', state]);
    expect(show.code).toBe(0);
  });

  it('a run driven elsewhere exits 75 naming --steal-lock; --steal-lock takes it over on the record', async () => {
    const state = stateDir();
    const runId = await killedAt(state, 'step:create-service');
    const holder = { host: 'other-jumpbox', pid: 4242, by: 'alice@other-jumpbox', startedAt: '2026-11-23T03:00:00.000Z' };
    writeFileSync(join(state, 'runs', runId, 'lock'), JSON.stringify(holder) + '\n');
    const refused = await runCli(['resume', runId, '--yes', '--state-dir', state]);
    expect(refused.code).toBe(75);
    expect(refused.stderr + refused.stdout).toContain('--steal-lock');
    const taken = await runCli(['resume', runId, '--yes', '--steal-lock', '--state-dir', state]);
    expect(taken.code, taken.stdout.slice(-2000)).toBe(DONE_DRILLED_ON_CELL);
    expect(journalOf(state, runId).find((e) => e.type === 'lock.taken')).toMatchObject({ how: 'steal', previous: holder });
  });
});

describe('problems met while searching are shown during the recovery', () => {
  it('a truncated .gz and a missing syslog/ folder are warnings of the step that searched', async () => {
    const state = stateDir();
    const { gzipSync } = await import('node:zlib');
    const gz = join(state, 'syslog.2.gz');
    const whole = gzipSync(Buffer.from('Mar 16 23:10:17 host broker.stdout.log: hello\n'.repeat(2000)));
    writeFileSync(gz, whole.subarray(0, Math.floor(whole.length / 2)));
    const missing = join(state, 'remote', 'syslog');
    const r = await runCli(['rehearse', '--yes', '--logs', gz, '--logs', missing, '--state-dir', state]);
    expect(r.code, r.stdout.slice(-2000)).toBe(DONE_DRILLED_ON_CELL);
    const warnings = r.stdout.split('\n').filter((l) => l.includes('warning: skipped'));
    expect(warnings.some((l) => l.includes(gz))).toBe(true);
    expect(warnings.some((l) => l.includes(missing))).toBe(true);
  });
});
