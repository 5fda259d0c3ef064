/**
 * The cf adapter against a real `cf` executable (the simulator behind a node script on PATH),
 * once per output era: argv, environment, exit codes and stdout/stderr all cross a process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CfCli } from '../../../src/adapters/cf/index.js';
import { setUpFakeClis, type FakeClis } from '../../support/fake-cli/install.js';
import { LocalRunner } from '../../../src/systems/local-runner.js';
import { CF_VERSIONS, NEW_GUID, cfWorld } from '../../support/fake-cli/worlds.js';
import { Redactor } from '../../../src/core/redact.js';

const SPACE = 'important-space-and-all-databases';
let fake: FakeClis | undefined;
afterEach(async () => {
  await fake?.cleanup();
  fake = undefined;
});

async function cli(world: ReturnType<typeof cfWorld>) {
  fake = await setUpFakeClis({ cf: world });
  const runner = new LocalRunner({ env: { ...process.env, ...fake.env } });
  return { runner, cf: new CfCli(runner, { redactor: new Redactor(), env: { CF_HOME: fake.dir } }) };
}

const fast = { intervalMs: 1, deadlineMs: 60_000, sleep: async () => {} };

describe.each([
  { era: 'legacy', version: CF_VERSIONS.legacy, api: { v3: false }, source: 'v2' },
  { era: 'v6', version: CF_VERSIONS.v7, api: {}, source: 'v3' },
  { era: 'v8', version: CF_VERSIONS.v8, api: {}, source: 'v3' },
] as const)('cf $version as a child process', ({ era, version, api, source }) => {
  it('runs the recreate-and-rebind flow and leaves the platform changed', async () => {
    const world = cfWorld(version);
    const { cf } = await cli({ ...world, api: { ...world.api, ...api } });
    expect(await cf.version()).toEqual({ version, era });
    await cf.target('org', SPACE);
    expect(await cf.serviceGuid('important-db')).toBeNull();
    await cf.createService('dingo-postgresql95', 'solo', 'important-db');
    expect(await cf.serviceGuid('important-db')).toBe(NEW_GUID);
    // The exit-0 trap: the second create changes nothing, and says so only in its text.
    await expect(cf.createService('dingo-postgresql95', 'solo', 'important-db')).rejects.toThrow(/already exists/);
    expect(await cf.waitForService('important-db', NEW_GUID, fast)).toMatchObject({ state: 'succeeded', source });
    expect(await cf.bindService('their-app', 'important-db')).toBe('bound');
    await cf.restart('their-app');

    const after = await fake!.readCf();
    expect(after.instances.map((i) => [i.guid, i.name, i.lastOperation.state])).toEqual([[NEW_GUID, 'important-db', 'succeeded']]);
    expect(after.orgs[0]!.spaces[0]!.apps[0]).toMatchObject({ boundServiceGuids: [NEW_GUID], restarts: 1 });
  });
});

describe('cf faults through a child process', () => {
  it('legacy: a create that ends in "create failed" stops the wait with the description', async () => {
    const { cf } = await cli(cfWorld(CF_VERSIONS.legacy, { failNextCreate: 'Cells full', pollsPerCreate: 0 }));
    await cf.target('org', SPACE);
    await cf.createService('dingo-postgresql95', 'solo', 'important-db');
    await expect(cf.waitForService('important-db', NEW_GUID, fast)).rejects.toThrow(/"create failed": Cells full/);
  });

  it('a missing executable is a clear failure', async () => {
    const cf = new CfCli(new LocalRunner(), { redactor: new Redactor(), binary: '/nonexistent/cf' });
    await expect(cf.version()).rejects.toThrow(/Reading the cf CLI version failed.*exited 127/);
  });
});
