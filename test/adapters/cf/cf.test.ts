import { describe, expect, it } from 'vitest';
import { CfCli, type CfVersion } from '../../../src/adapters/cf/index.js';
import { StepFailed } from '../../../src/core/errors.js';
import { REDACTED } from '../../../src/core/redact.js';
import { simulateCf, type CfHooks, type CfServiceInstance, type CfWorld } from '../../../src/rehearsal/cf/index.js';
import { simRunner } from '../../support/fake-cli/sim-runner.js';
import { CF_VERSIONS, NEW_GUID, SPACE_GUID, cfWorld } from '../../support/fake-cli/worlds.js';
import { Redactor } from '../../../src/core/redact.js';

const SPACE = 'important-space-and-all-databases';
const noSleep = { sleep: async () => {}, intervalMs: 10_000, deadlineMs: 900_000 };

function setup(world: CfWorld, hooks: CfHooks = {}) {
  const runner = simRunner((spec) => simulateCf(world, spec, hooks));
  return { world, runner, cf: new CfCli(runner, { redactor: new Redactor(), env: { CF_HOME: '/tmp/cf-home' } }) };
}

async function catchErr(p: Promise<unknown>): Promise<StepFailed> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StepFailed);
  return err as StepFailed;
}

const CASES = [
  {
    label: 'legacy 6.21 against a 2016 CC (no v3, no curl -f)',
    version: CF_VERSIONS.legacy,
    api: { v3: false },
    era: 'legacy',
    source: 'v2',
    fail: false,
  },
  { label: '6.40 (no curl -f) against a CC with v3', version: CF_VERSIONS.preFail, api: {}, era: 'v6', source: 'v3', fail: false },
  { label: '6.53 against a 2016 CC', version: CF_VERSIONS.v6, api: { v3: false }, era: 'v6', source: 'v2', fail: true },
  {
    label: '7.7 against a CC without the v2 or v3 endpoints',
    version: CF_VERSIONS.v7,
    api: { v2: false, v3: false },
    era: 'v6',
    source: 'text',
    fail: true,
  },
  { label: '8.9 against a modern CC', version: CF_VERSIONS.v8, api: {}, era: 'v8', source: 'v3', fail: true },
] as const;

describe.each(CASES)('CfCli with cf $label', ({ version, api, era, source, fail }) => {
  it('recreates, waits for, binds and restarts like the runbook', async () => {
    const created: CfServiceInstance[] = [];
    const base = cfWorld(version);
    const { world, runner, cf } = setup({ ...base, api: { ...base.api, ...api } }, { onServiceCreated: (i) => created.push({ ...i }) });

    expect(await cf.version()).toEqual({ version, era });
    await cf.target('org', SPACE);
    expect(await cf.spaceGuid(SPACE)).toBe(SPACE_GUID);
    expect(await cf.apps()).toEqual(['their-app', 'their worker']);
    expect(await cf.serviceGuid('important-db')).toBeNull();

    await cf.createService('dingo-postgresql95', 'solo', 'important-db');
    expect(created.map((i) => i.guid)).toEqual([NEW_GUID]);
    expect(await cf.serviceGuid('important-db')).toBe(NEW_GUID);

    const polls: string[] = [];
    const final = await cf.waitForService('important-db', NEW_GUID, { ...noSleep, onPoll: (s) => polls.push(`${s.type} ${s.state}`) });
    expect(final).toEqual({ type: 'create', state: 'succeeded', description: '', source });
    expect(polls).toEqual(['create in progress', 'create in progress', 'create succeeded']);

    expect(await cf.bindService('their-app', 'important-db')).toBe('bound');
    expect(await cf.bindService('their-app', 'important-db')).toBe('already-bound');
    await cf.restart('their-app');
    await cf.restage('their-app');
    expect(await cf.serviceBindings('important-db')).toEqual(['their-app']);
    const app = world.orgs[0]!.spaces[0]!.apps[0]!;
    expect(app).toMatchObject({ boundServiceGuids: [NEW_GUID], restarts: 1, restages: 1 });

    const curls = runner.ran.filter((s) => s.argv[1] === 'curl').map((s) => s.argv.slice(1));
    if (source !== 'text')
      expect(curls.at(-1)).toEqual(
        fail ? ['curl', '-f', `/${source}/service_instances/${NEW_GUID}`] : ['curl', `/${source}/service_instances/${NEW_GUID}`],
      );
    // After an endpoint answers 404 once, later polls skip it.
    expect(curls.filter((c) => c.at(-1)!.startsWith('/v3/')).length).toBe(source === 'v3' ? 3 : 1);

    const writes = runner.ran.filter((s) => s.writes).map((s) => s.argv[1]);
    expect(writes).toEqual(['create-service', 'bind-service', 'bind-service', 'restart', 'restage']);
    expect(runner.ran.every((s) => s.argv[0] === 'cf' && s.env?.CF_COLOR === 'false' && s.env.CF_HOME === '/tmp/cf-home')).toBe(true);
  });

  it('fails on the exit-0 "already exists" trap', async () => {
    const { cf } = setup(cfWorld(version));
    await cf.target('org', SPACE);
    await cf.createService('dingo-postgresql95', 'solo', 'important-db');
    const err = await catchErr(cf.createService('dingo-postgresql95', 'solo', 'important-db'));
    expect(err.message).toMatch(/already exists/);
    expect(err.hint).toMatch(/cf service important-db/);
  });

  it('fails on a name taken under another plan: before 8 the Cloud Controller refuses it, 8 says "already exists"', async () => {
    const { cf } = setup(cfWorld(version));
    await cf.target('org', SPACE);
    await cf.createService('dingo-postgresql95', 'cluster', 'important-db');
    const err = await catchErr(cf.createService('dingo-postgresql95', 'solo', 'important-db'));
    if (era === 'v8') {
      expect(err.message).toMatch(/changed nothing: a service instance named important-db already exists/);
    } else {
      expect(err.message).toContain('The service instance name is taken: important-db');
      expect(err.hint).toContain('under another plan');
    }
  });

  it('reports "create failed" with the broker\'s description', async () => {
    const { cf, world } = setup(cfWorld(version, { failNextCreate: 'no cell has room for a new container' }));
    await cf.target('org', SPACE);
    await cf.createService('dingo-postgresql95', 'solo', 'important-db');
    const err = await catchErr(cf.waitForService('important-db', NEW_GUID, { ...noSleep, abandon: 'dingo-recover abandon R1' }));
    expect(err.message).toContain('ended in "create failed": no cell has room for a new container');
    // The create step is done on the record: a resume would only wait on the deleted instance.
    expect(err.hint).toContain(
      'delete it (cf delete-service important-db), then abandon this run (dingo-recover abandon R1) and start a new one',
    );
    expect(world.failNextCreate).toBeUndefined();
  });
});

describe('CfCli faults', () => {
  it('stops at the deadline, having polled at the start and after pauses growing from 1 s to the interval', async () => {
    const { cf } = setup(cfWorld(CF_VERSIONS.v8, { pollsPerCreate: 1000 }));
    await cf.target('org', SPACE);
    await cf.createService('dingo-postgresql95', 'solo', 'important-db');
    const slept: number[] = [];
    const seen: number[] = [];
    const err = await catchErr(
      cf.waitForService('important-db', NEW_GUID, {
        intervalMs: 10_000,
        deadlineMs: 25_000,
        now: () => 0,
        sleep: (ms) => {
          slept.push(ms);
          return Promise.resolve();
        },
        onPoll: (_, p) => seen.push(p.elapsedMs),
      }),
    );
    expect(err.message).toMatch(/still "create in progress" after 25 s/);
    expect(err.hint).toMatch(/resume/);
    // A later broker's failure keeps the instance "create in progress" at the Cloud Controller: the hint says where to look.
    expect(err.hint).toContain(`read the broker's logs for ${NEW_GUID}`);
    expect(slept).toEqual([1000, 1500, 2250, 3375, 5063, 7594, 4218]);
    expect(seen).toEqual([0, 1000, 2500, 4750, 8125, 13188, 20782, 25_000]);
  });

  it('also ends the wait by the clock when sleeping takes longer than asked', async () => {
    const { cf } = setup(cfWorld(CF_VERSIONS.v6, { pollsPerCreate: 1000 }));
    await cf.target('org', SPACE);
    await cf.createService('dingo-postgresql95', 'solo', 'important-db');
    let clock = 0;
    let polls = 0;
    const err = await catchErr(
      cf.waitForService('important-db', NEW_GUID, {
        intervalMs: 1_000,
        deadlineMs: 60_000,
        now: () => clock,
        sleep: () => {
          clock += 30_000;
          return Promise.resolve();
        },
        onPoll: () => polls++,
      }),
    );
    expect(err.message).toMatch(/after 60 s/);
    expect(polls).toBe(3);
  });

  it('throws, rather than answering null, when the lookup fails for another reason', async () => {
    for (const version of [CF_VERSIONS.legacy, CF_VERSIONS.v6, CF_VERSIONS.v8]) {
      const { cf } = setup(cfWorld(version, { loggedIn: false }));
      const err = await catchErr(cf.serviceGuid('important-db'));
      expect(err.message).toMatch(/Not logged in/);
      expect(err.hint).toMatch(/cf login/);
    }
  });

  it("explains an unknown offering or space in the era's words", async () => {
    const legacy = setup(cfWorld(CF_VERSIONS.legacy));
    await legacy.cf.target('org', SPACE);
    const e1 = await catchErr(legacy.cf.createService('dingo-postgresql', 'solo', 'important-db'));
    expect(e1.message).toMatch(/Service offering dingo-postgresql not found/);
    expect(e1.hint).toMatch(/marketplace/);
    const v8 = setup(cfWorld(CF_VERSIONS.v8));
    const e2 = await catchErr(v8.cf.target('org', 'gone-space'));
    expect(e2.message).toMatch(/Space 'gone-space' not found/);
    expect(e2.hint).toMatch(/cf spaces/);
  });

  it('binding before the create finished is a failure the operator can act on', async () => {
    const { cf } = setup(cfWorld(CF_VERSIONS.v6));
    await cf.target('org', SPACE);
    await cf.createService('dingo-postgresql95', 'solo', 'important-db');
    const err = await catchErr(cf.bindService('their-app', 'important-db'));
    expect(err.message).toMatch(/operation for service instance important-db is in progress/);
  });

  it('passes create parameters as JSON with -c', async () => {
    const { cf, world, runner } = setup(cfWorld(CF_VERSIONS.v8));
    await cf.target('org', SPACE);
    await cf.createService('dingo-postgresql95', 'solo', 'important-db', { 'node-count': 1 });
    expect(runner.ran.at(-1)!.argv).toEqual([
      'cf',
      'create-service',
      'dingo-postgresql95',
      'solo',
      'important-db',
      '-c',
      '{"node-count":1}',
    ]);
    expect(world.instances[0]!.parameters).toEqual({ 'node-count': 1 });
  });

  it('redacts registered secrets from its messages', async () => {
    const password = 's3cr3t-admin-pass';
    const runner = simRunner(() => ({
      exitCode: 1,
      stdout: 'FAILED\n',
      stderr: `Credentials were rejected for ${password}\n`,
      durationMs: 1,
    }));
    const cf = new CfCli(runner, { redactor: new Redactor(), env: { CF_PASSWORD: password } });
    const err = await catchErr(cf.apps());
    expect(err.message).toContain(REDACTED);
    expect(err.message).not.toContain(password);
  });

  it('reads status from the text when curl bodies are unusable', async () => {
    const world = cfWorld(CF_VERSIONS.legacy);
    const runner = simRunner((spec) =>
      spec.argv[1] === 'curl'
        ? { exitCode: 0, stdout: '<html>502 Bad Gateway</html>\n', stderr: '', durationMs: 1 }
        : simulateCf(world, spec),
    );
    const cf = new CfCli(runner, { redactor: new Redactor() });
    await cf.target('org', SPACE);
    await cf.createService('dingo-postgresql95', 'solo', 'important-db');
    expect(await cf.serviceStatus('important-db', NEW_GUID)).toEqual({
      type: 'create',
      state: 'in progress',
      description: '',
      source: 'text',
    });
  });
});

describe("the cf CLIs of one run share the CLI's version", () => {
  const versionsRan = (runner: { ran: { argv: string[] }[] }): number => runner.ran.filter((s) => s.argv[1] === 'version').length;

  it('asks `cf version` once between them, per binary', async () => {
    const world = cfWorld(CF_VERSIONS.v8);
    const runner = simRunner((spec) => simulateCf(world, spec));
    const versions = new Map<string, Promise<CfVersion>>();
    const made = (binary?: string): CfCli => new CfCli(runner, { redactor: new Redactor(), versions, ...(binary ? { binary } : {}) });
    const [a, b] = [made(), made()];
    expect(await a.version()).toEqual(await b.version());
    expect(await made().version()).toEqual({ version: CF_VERSIONS.v8, era: 'v8' });
    expect(versionsRan(runner)).toBe(1);
    await made('/opt/cf7/cf').version();
    expect(versionsRan(runner)).toBe(2);
  });

  it('asks again after a read that failed: the operator may fix the binary and resume', async () => {
    const world = cfWorld(CF_VERSIONS.v8);
    let broken = true;
    const runner = simRunner((spec) =>
      broken && spec.argv[1] === 'version'
        ? { exitCode: 127, stdout: '', stderr: 'cf: not found', durationMs: 1 }
        : simulateCf(world, spec),
    );
    const versions = new Map<string, Promise<CfVersion>>();
    const made = (): CfCli => new CfCli(runner, { redactor: new Redactor(), versions });
    const first = made();
    await expect(first.version()).rejects.toThrow(/Reading the cf CLI version/);
    broken = false;
    expect((await made().version()).version).toBe(CF_VERSIONS.v8);
    expect((await first.version()).version).toBe(CF_VERSIONS.v8);
    expect(versionsRan(runner)).toBe(2);
  });
});
