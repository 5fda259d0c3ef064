/**
 * The bundled same-name-tenant scenario: another tenant created and deleted a service named like
 * the user's, leaving only genuine broker and container lines. `rehearse --yes` must never restore
 * their database as the user's: it stops before anything is created and says how to choose; with
 * the user's choice given (--deleted-instance, or choose.deletedInstance in an answers file given
 * to resume), the user's database comes back. An instance a broker record places in another space
 * is set aside, and refused when chosen.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DONE_UNDRILLED, runCli, runIdOf, type CliResult } from '../../support/cli.js';
import { brokerRecord } from '../../support/forged-lines.js';
import { World, loadScenario, type WorldState } from '../../../src/rehearsal/world.js';
import { readJournal } from '../../../src/engine/journal/index.js';

const USER = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
const TENANT = 'b7c8d9e0-f1a2-4b3c-8d4e-5f6a7b8c9d0e';
const NEW = '78218ded-7d88-4d69-bd44-6f478c300134';
const CONTAINER = 'cf-52167ceb-bd3d-4bff-8699-a239d21c5379';
const CELL = '10.58.111.150';
const BUCKET = 'our-postgresql-backups';
const USER_SYSID = '6262209914512345093';
const TENANT_SYSID = '6262431177012345111';
const USERS_SPACE = '5a84d315-8c5e-4d2b-9d3c-6f1e2a7b9c40';
const TENANTS_SPACE = '9d0e1f2a-3b4c-4d5e-8f60-718293a4b5c6';
const SCENARIO = loadScenario(resolve(import.meta.dirname, '../../../fixtures/same-name-tenant'));

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dr-same-name-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function world(state: string, runId: string): WorldState {
  return World.load(join(state, 'runs', runId), SCENARIO);
}

/** The first run: no terminal, --yes, the scenario's answers (which make no choice). */
async function rehearse(state: string, ...more: string[]): Promise<CliResult> {
  return runCli(['rehearse', '--scenario', 'same-name-tenant', '--yes', '--state-dir', state, ...more]);
}

/** Nothing was created or changed on the platform, and no archive was read for a drill. */
function untouched(w: WorldState): void {
  expect(w.cf.instances).toEqual([]);
  expect(w.history).toEqual([]);
  expect(Object.keys(w.s3[BUCKET]!).filter((k) => k.includes(NEW))).toEqual([]);
}

/** The user's database was restored into the new instance, never the other tenant's. */
function userRestored(w: WorldState): void {
  expect(w.serving[CONTAINER]).toBe(USER_SYSID);
  expect(Object.values(w.serving)).not.toContain(TENANT_SYSID);
  const b = w.s3[BUCKET]!;
  expect(b[`backups/${NEW}/wal/sysids/sysid`]?.body).toBe(`${USER_SYSID}\n`);
  const app = w.cf.orgs[0]!.spaces[0]!.apps.find((a) => a.name === 'their-app')!;
  expect(app.boundServiceGuids).toEqual([NEW]);
  expect(w.cells[CELL]!.containers[CONTAINER]!.running).toBe(true);
}

describe('rehearse --yes with another tenant’s deleted instance of the same name', () => {
  let state: string;
  let first: CliResult;
  let runId: string;

  beforeAll(async () => {
    state = tempDir();
    first = await rehearse(state);
    runId = runIdOf(first.stdout);
  }, 120_000);

  it('stops for the operator (exit 3) before anything is created, and never ends done', () => {
    expect(first.code, first.stdout + first.stderr).toBe(3);
    expect(first.stdout).not.toMatch(/is done in/);
    untouched(world(state, runId));
    const started = readJournal(join(state, 'runs', runId, 'journal.ndjson')).flatMap((e) => (e.type === 'step.started' ? [e.step] : []));
    expect(started).toEqual(['target-space', 'find-deleted-instance']);
  });

  it('shows both instances with what is known of each, and says exactly how to choose', () => {
    const out = first.stdout.replace(/\s*\n\s+/g, ' ');
    expect(out).toContain(
      `${TENANT}, "important-db" (proven by a name line in the logs), space unknown (no clusterdata record, broker record or audit event names it)`,
    );
    expect(out).toContain(
      `${USER}, name not proven by any evidence, space ${USERS_SPACE}, org 2f2a3c9e-4f1d-4a7c-9a57-0b2c7d1e6a10 (from the broker's provision record in the logs): the user's space, created 2016-03-17T01:50:02.117Z, deleted 2016-03-17T06:10:17.897Z`,
    );
    expect(out).toContain(`archive s3://${BUCKET}/backups/${TENANT}/wal/`);
    expect(out).toContain(`evidence of ${TENANT}: the broker saved the service name "important-db" for this instance`);
    expect(out).toContain(`evidence of ${USER}: the broker's provision record puts this instance in space ${USERS_SPACE}`);
    expect(out).toContain(
      `stopped: the evidence does not settle which deleted instance to restore as "important-db": ${TENANT} is proven to have been named "important-db", but nothing proves it belonged to the user's space`,
    );
    expect(out).toContain(
      `choose one of ${TENANT}, ${USER} (the deleted instances the broker's lines, its clusterdata records and the space's audit events name (each shown with its evidence)): choose with the user`,
    );
    // The scenario's answers file is the package's: the choice goes in a file of the operator's own, or on the command line.
    expect(out).toContain(
      `give it in an answers file of your own (choose: {deletedInstance: GUID}) and continue with \`dingo-recover resume ${runId} --answers FILE --state-dir ${state}\``,
    );
    expect(out).toContain(
      `or continue with \`dingo-recover resume ${runId} --deleted-instance GUID --state-dir ${state}\`; --yes never chooses`,
    );
    // The Cloud Controller's audit events of the space were asked too: this platform keeps none.
    expect(out).toContain(`0 audit event(s) of service instances in space ${USERS_SPACE}: none names a candidate`);
  });

  it('resumed with --yes alone, still stops: --yes never chooses', async () => {
    const again = await runCli(['resume', runId, '--yes', '--state-dir', state]);
    expect(again.code, again.stdout + again.stderr).toBe(3);
    untouched(world(state, runId));
  });

  it("with the user's choice given to resume (--deleted-instance), the user's database comes back", async () => {
    const chosen = await runCli(['resume', runId, '--yes', '--deleted-instance', USER, '--state-dir', state]);
    expect(chosen.code, chosen.stdout + chosen.stderr).toBe(DONE_UNDRILLED);
    expect(chosen.stdout).toContain('chosen by: the operator (--deleted-instance)');
    userRestored(world(state, runId));
  });
});

describe('the choice in an answers file given to resume', () => {
  it("restores the user's instance", async () => {
    const state = tempDir();
    const first = await rehearse(state);
    expect(first.code).toBe(3);
    const runId = runIdOf(first.stdout);
    const answers = join(state, 'choice.yaml');
    writeFileSync(answers, `choose:\n  deletedInstance: ${USER}\n`);
    const r = await runCli(['resume', runId, '--answers', answers, '--yes', '--state-dir', state]);
    expect(r.code, r.stdout + r.stderr).toBe(DONE_UNDRILLED);
    expect(r.stdout).toContain('chosen by: the operator (choose.deletedInstance in the answers file)');
    userRestored(world(state, runId));
  }, 120_000);
});

describe("the Cloud Controller's audit events place the user's instance in the user's space", () => {
  it('prove its space and name, and still settle nothing while the other tenant’s carried the name too', async () => {
    const state = tempDir();
    const dir = join(state, 'scenario');
    cpSync(resolve(import.meta.dirname, '../../../fixtures/same-name-tenant'), dir, { recursive: true });
    const event = (type: string, guid: string, time: string) =>
      `      - {"guid": "${guid}", "type": "${type}", "timestamp": "${time}", "actor": {"guid": "db41b19f-cb0b-4779-9cf8-e83415e3e2ba", "type": "user", "name": "user@acme.example", "username": "user"}, "target": {"guid": "${USER}", "type": "service_instance", "name": "important-db"}, "data": {"request": {}}, "spaceGuid": "${USERS_SPACE}", "orgGuid": "2f2a3c9e-4f1d-4a7c-9a57-0b2c7d1e6a10"}`;
    const file = join(dir, 'scenario.yaml');
    const yaml = readFileSync(file, 'utf8').replace(
      '    pollsPerCreate: 2\n',
      `    pollsPerCreate: 2\n    events:\n${event('audit.service_instance.create', '0f1e2d3c-4b5a-4697-8887-a6b5c4d3e2f1', '2016-03-17T01:50:00Z')}\n${event('audit.service_instance.delete', '1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9', '2016-03-17T06:10:16Z')}\n`,
    );
    expect(yaml).toContain('audit.service_instance.delete');
    writeFileSync(file, yaml);
    const r = await runCli(['rehearse', '--scenario', dir, '--yes', '--state-dir', state]);
    const out = r.stdout.replace(/\s*\n\s+/g, ' ');
    expect(r.code, out).toBe(3);
    expect(out).toContain(`2 audit event(s) of service instances in space ${USERS_SPACE}: they place ${USER} in it`);
    expect(out).toContain(
      `${USER}, "important-db" (proven by the Cloud Controller's audit events), space ${USERS_SPACE}, org 2f2a3c9e-4f1d-4a7c-9a57-0b2c7d1e6a10 (from the Cloud Controller's audit events): the user's space`,
    );
    expect(out).toContain(
      `stopped: the evidence does not settle which deleted instance to restore as "important-db": ${USER} is proven to have been named "important-db" in the user's space, but ${TENANT} also carried the name and nothing proves which space it was in`,
    );
    untouched(world(state, runIdOf(r.stdout)));
  }, 120_000);
});

describe('an instance a broker record places in another space', () => {
  let state: string;
  let logs: string;

  beforeAll(() => {
    state = tempDir();
    // The tenant's provision record, as the 2016 broker wrote it on the router: its org and space.
    const line = `Mar 17 00:05:00 0.router-partition-cac94a070a81fd8f3931.dingo-postgresql-98b09c4b36af74181ee1 broker.stdout.log:  ${brokerRecord(
      1458198300.5,
      'cluster.provision.running.success',
      {
        cluster: {
          instance_id: TENANT,
          organization_guid: '0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5',
          space_guid: TENANTS_SPACE,
          node_count: 1,
        },
        session: '87',
      },
      'patroni-broker',
    )}`;
    logs = join(state, 'router-provision.log');
    writeFileSync(logs, line + '\n');
    utimesSync(logs, new Date('2016-03-18T00:00:00Z'), new Date('2016-03-18T00:00:00Z'));
  });

  it('is set aside with why, never offered, and refused when chosen', async () => {
    const first = await rehearse(state, '--logs', logs);
    const out = first.stdout.replace(/\s*\n\s+/g, ' ');
    // The user's instance alone is a candidate; its name is still unproven, so the operator chooses.
    expect(first.code, out).toBe(3);
    expect(out).toContain('1 deleted instance(s) considered for "important-db"');
    expect(out).toContain(
      `set aside: ${TENANT} "important-db": the broker's provision record in the logs puts it in space ${TENANTS_SPACE}, not the user's space ${USERS_SPACE}: another tenant's instance is never restored as the user's`,
    );
    expect(out).toMatch(new RegExp(`stopped: .*: one deleted instance was found, but nothing proves it was named "important-db"`));
    const runId = runIdOf(first.stdout);
    const refused = await runCli(['resume', runId, '--yes', '--deleted-instance', TENANT, '--state-dir', state]);
    expect(refused.code, refused.stdout + refused.stderr).toBe(2);
    expect(refused.stdout.replace(/\s*\n\s+/g, ' ')).toContain(
      `stopped: --deleted-instance chooses "${TENANT}" for deletedInstance, but it is not the user's: the broker's provision record in the logs puts it in space ${TENANTS_SPACE}`,
    );
    untouched(world(state, runId));
  }, 120_000);
});
