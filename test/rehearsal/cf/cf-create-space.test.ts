/** `cf create-space` in each CLI generation, and the Cloud Controller's orgs, spaces, apps and catalog through cf curl. */
import { describe, expect, it } from 'vitest';
import { simulateCf } from '../../../src/rehearsal/cf/index.js';
import { CF_VERSIONS, cfWorld } from '../../support/fake-cli/worlds.js';

const NEW_SPACE = '3dd97547-f23c-4f32-a428-a9b5f8bd1279';
const ORG_GUID = '1c0e6074-777f-450e-9abc-c42f39d9b75b';

function world(version: string) {
  const w = cfWorld(version, { nextSpaceGuids: [NEW_SPACE], userGuid: 'd02ec793-37ec-4205-9681-efa909da8cd6' });
  const cf = (...args: string[]) =>
    simulateCf(w, { argv: ['cf', ...args], writes: false }, { now: () => new Date('2017-05-09T16:45:03.250Z') });
  return { w, cf };
}

const ROLES_V6 =
  'Assigning role SpaceManager to user admin in org org / space analytics as admin...\nOK\n' +
  'Assigning role SpaceDeveloper to user admin in org org / space analytics as admin...\nOK\n';
const TIP = `TIP: Use 'cf target -o "org" -s "analytics"' to target new space\n`;

describe('cf create-space', () => {
  it.each([
    ['legacy 6.x', CF_VERSIONS.legacy],
    ['6.53', CF_VERSIONS.v6],
  ])('prints the legacy command output in %s', (_era, version) => {
    const { cf } = world(version);
    expect(cf('create-space', 'analytics', '-o', 'org')).toEqual({
      stdout: `Creating space analytics in org org as admin...\nOK\n${ROLES_V6}\n${TIP}`,
      stderr: '',
      exitCode: 0,
      durationMs: 0,
    });
    expect(cf('create-space', 'analytics', '-o', 'org')).toMatchObject({
      stdout: 'Creating space analytics in org org as admin...\nOK\nSpace analytics already exists\n',
      exitCode: 0,
    });
  });

  it.each([
    ['7.x', CF_VERSIONS.v7],
    ['8.x', CF_VERSIONS.v8],
  ])('prints the command/v7 output in %s, an OK and a blank line after each step', (_era, version) => {
    const { cf } = world(version);
    const roles = ROLES_V6.replace(/OK\n/g, 'OK\n\n');
    expect(cf('create-space', 'analytics', '-o', 'org').stdout).toBe(
      `Creating space analytics in org org as admin...\nOK\n\n${roles}${TIP}`,
    );
    expect(cf('create-space', 'analytics', '-o', 'org')).toMatchObject({
      stdout: "Creating space analytics in org org as admin...\nSpace 'analytics' already exists.\nOK\n\n",
      exitCode: 0,
    });
  });

  it('makes a space that cf space --guid and cf target find, empty of apps, where none was before', () => {
    const { w, cf } = world(CF_VERSIONS.legacy);
    cf('target', '-o', 'org');
    expect(cf('space', 'analytics', '--guid')).toMatchObject({ exitCode: 1, stdout: 'FAILED\nSpace analytics not found\n', stderr: '' });
    expect(cf('create-space', 'analytics').exitCode).toBe(0);
    expect(cf('space', 'analytics', '--guid').stdout).toBe(`${NEW_SPACE}\n`);
    expect(cf('target', '-o', 'org', '-s', 'analytics').exitCode).toBe(0);
    expect(cf('apps').stdout).toMatch(/No apps found/);
    expect(w.events).toEqual([
      {
        guid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        type: 'audit.space.create',
        timestamp: '2017-05-09T16:45:03Z',
        actor: { guid: 'd02ec793-37ec-4205-9681-efa909da8cd6', type: 'user', name: 'admin', username: 'admin' },
        target: { guid: NEW_SPACE, type: 'space', name: 'analytics' },
        data: { request: { name: 'analytics', organization_guid: ORG_GUID } },
        spaceGuid: NEW_SPACE,
        orgGuid: ORG_GUID,
      },
    ]);
  });

  it('cf space --guid fails for a missing space as 6.33+ and 8.x do: FAILED, then the reason on stderr', () => {
    for (const version of [CF_VERSIONS.v6, CF_VERSIONS.v8]) {
      const { cf } = world(version);
      cf('target', '-o', 'org');
      expect(cf('space', 'analytics', '--guid')).toMatchObject({
        exitCode: 1,
        stdout: 'FAILED\n',
        stderr: "Space 'analytics' not found.\n",
      });
    }
  });

  it('fails as each CLI does for an org that does not exist, or none targeted', () => {
    expect(world(CF_VERSIONS.legacy).cf('create-space', 'analytics', '-o', 'nope')).toMatchObject({
      exitCode: 1,
      stdout: 'Creating space analytics in org nope as admin...\nFAILED\nOrg nope does not exist or is not accessible\n',
    });
    expect(world(CF_VERSIONS.v8).cf('create-space', 'analytics', '-o', 'nope')).toMatchObject({
      exitCode: 1,
      stdout: 'FAILED\n',
      stderr: "Organization 'nope' not found.\n",
    });
    expect(world(CF_VERSIONS.v8).cf('create-space', 'analytics').stderr).toMatch(/No org targeted/);
  });
});

describe('orgs, spaces, apps and the catalog through cf curl', () => {
  const curl = (w: ReturnType<typeof world>, path: string) => JSON.parse(w.cf('curl', path).stdout) as Record<string, unknown>;

  it('finds an org by name in v2 and v3, and a space only while it exists', () => {
    const s = world(CF_VERSIONS.v8);
    expect(curl(s, '/v2/organizations?q=name:org')).toMatchObject({
      total_results: 1,
      resources: [{ metadata: { guid: ORG_GUID }, entity: { name: 'org' } }],
    });
    expect(curl(s, '/v3/organizations?names=org')).toMatchObject({
      pagination: { total_results: 1 },
      resources: [{ guid: ORG_GUID, name: 'org' }],
    });
    const spaces = `/v2/organizations/${ORG_GUID}/spaces?q=name:analytics`;
    expect(curl(s, spaces).total_results).toBe(0);
    s.cf('create-space', 'analytics', '-o', 'org');
    expect(curl(s, spaces)).toMatchObject({ resources: [{ metadata: { guid: NEW_SPACE }, entity: { organization_guid: ORG_GUID } }] });
    expect(curl(s, `/v3/spaces?names=analytics&organization_guids=${ORG_GUID}`)).toMatchObject({ resources: [{ guid: NEW_SPACE }] });
    expect(curl(s, `/v2/spaces/${'0'.repeat(8)}-0000-4000-8000-000000000000`)).toMatchObject({ error_code: 'CF-SpaceNotFound' });
    expect(curl(s, `/v3/spaces/${NEW_SPACE}`)).toMatchObject({
      guid: NEW_SPACE,
      name: 'analytics',
      relationships: { organization: { data: { guid: ORG_GUID } } },
    });
    expect(curl(s, `/v3/spaces/${'0'.repeat(8)}-0000-4000-8000-000000000000`)).toEqual({
      errors: [{ detail: 'Space not found', title: 'CF-ResourceNotFound', code: 10010 }],
    });
  });

  it('finds apps by name and space', () => {
    const s = world(CF_VERSIONS.v8);
    expect(curl(s, '/v2/apps?q=name:their-app')).toMatchObject({
      total_results: 1,
      resources: [{ entity: { name: 'their-app', state: 'STARTED' } }],
    });
    expect(curl(s, `/v3/apps?space_guids=${NEW_SPACE}`)).toMatchObject({ resources: [] });
  });

  it('serves a plan with its offering, in v2 and v3', () => {
    const s = world(CF_VERSIONS.v8);
    const plan = '1545e30e-6dc3-11e5-826a-6c4008a663f0';
    const offering = 'beb5973c-e1b2-11e5-a736-c7c0b526363d';
    expect(curl(s, `/v2/service_plans/${plan}`)).toMatchObject({
      entity: { name: 'solo', service_guid: offering, service_url: `/v2/services/${offering}` },
    });
    expect(curl(s, `/v2/services/${offering}`)).toMatchObject({ entity: { label: 'dingo-postgresql95', plan_updateable: false } });
    expect(curl(s, `/v3/service_plans/${plan}?include=service_offering`)).toMatchObject({
      name: 'solo',
      relationships: { service_offering: { data: { guid: offering } } },
      included: { service_offerings: [{ guid: offering, name: 'dingo-postgresql95' }] },
    });
    expect(curl(s, `/v3/service_offerings/${offering}`)).toMatchObject({ name: 'dingo-postgresql95' });
    expect(curl(s, '/v2/service_plans/missing')).toMatchObject({ error_code: 'CF-ServicePlanNotFound' });
  });
});

describe('audit events of the simulated commands', () => {
  it('records an instance create with its plan and space, and an app binding with both GUIDs, readable through /v2/events', () => {
    const { w, cf } = world(CF_VERSIONS.legacy);
    cf('target', '-o', 'org', '-s', 'important-space-and-all-databases');
    cf('create-service', 'dingo-postgresql95', 'cluster', 'orders-db', '-c', '{"node-count":2}');
    w.instances[0]!.lastOperation.state = 'succeeded';
    cf('bind-service', 'their-app', 'orders-db');
    const space = w.orgs[0]!.spaces[0]!.guid;
    const app = w.orgs[0]!.spaces[0]!.apps[0]!.guid;
    const instance = w.instances[0]!.guid;
    const body = JSON.parse(cf('curl', `/v2/events?q=space_guid:${space}`).stdout) as { resources: { entity: Record<string, unknown> }[] };
    expect(body.resources.map((r) => r.entity)).toEqual([
      expect.objectContaining({
        type: 'audit.service_instance.create',
        actee: instance,
        actee_name: 'orders-db',
        metadata: {
          request: {
            name: 'orders-db',
            service_plan_guid: '2545e30e-6dc3-11e5-826a-6c4008a663f0',
            space_guid: space,
            parameters: '[PRIVATE DATA HIDDEN]',
          },
        },
      }),
      expect.objectContaining({
        type: 'audit.service_binding.create',
        actee_type: 'service_binding',
        metadata: { request: { service_instance_guid: instance, app_guid: app } },
        organization_guid: ORG_GUID,
      }),
    ]);
  });
});
