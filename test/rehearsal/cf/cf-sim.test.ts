/** The simulated cf answers the queries and commands the adapter does not use every day. */
import { describe, expect, it } from 'vitest';
import { simulateCf } from '../../../src/rehearsal/cf/index.js';
import { CF_VERSIONS, NEW_GUID, SPACE_GUID, cfWorld } from '../../support/fake-cli/worlds.js';

const SPACE = 'important-space-and-all-databases';

function world(version: string = CF_VERSIONS.v8) {
  const w = cfWorld(version);
  const cf = (...args: string[]) =>
    simulateCf(w, { argv: ['cf', ...args], writes: false }, { now: () => new Date('2024-05-01T10:00:00.123Z') });
  cf('target', '-o', 'org', '-s', SPACE);
  cf('create-service', 'dingo-postgresql95', 'solo', 'important-db');
  return { w, cf };
}

describe('simulated cf', () => {
  it("answers each command's short aliases as the command itself, and an unknown command as cf does", () => {
    for (const [alias, full] of [
      ['t', 'target'],
      ['a', 'apps'],
      ['applications', 'apps'],
    ]) {
      expect(world().cf(alias!)).toEqual(world().cf(full!));
    }
    for (const [alias, full] of [
      ['bs', 'bind-service'],
      ['us', 'unbind-service'],
    ]) {
      const a = world();
      const b = world();
      a.w.instances[0]!.lastOperation.state = 'succeeded';
      b.w.instances[0]!.lastOperation.state = 'succeeded';
      expect(a.cf(alias!, 'their-app', 'important-db')).toEqual(b.cf(full!, 'their-app', 'important-db'));
      // The same world after either, but for the random GUIDs of the audit events it recorded.
      const anonymous = (w: typeof a.w) => ({ ...w, events: w.events?.map((e) => ({ ...e, guid: '' })) });
      expect(anonymous(a.w)).toEqual(anonymous(b.w));
      expect(a.w.events?.length).toBeGreaterThan(0);
    }
    const unknown = world().cf('frobnicate');
    expect(unknown.exitCode).not.toBe(0);
    expect(unknown.stdout + unknown.stderr).toContain('frobnicate');
  });

  it('answers v3 and v2 list queries by name and space, counting them as status reads', () => {
    const { w, cf } = world();
    const v3 = JSON.parse(cf('curl', `/v3/service_instances?names=important-db&space_guids=${SPACE_GUID}`).stdout);
    expect(v3.pagination.total_results).toBe(1);
    expect(v3.resources[0]).toMatchObject({
      guid: NEW_GUID,
      name: 'important-db',
      relationships: { space: { data: { guid: SPACE_GUID } } },
    });
    expect(v3.resources[0].last_operation).toMatchObject({ type: 'create', state: 'in progress', created_at: '2024-05-01T10:00:00Z' });
    const v2 = JSON.parse(cf('curl', `/v2/spaces/${SPACE_GUID}/service_instances?q=name:important-db`).stdout);
    expect(v2.resources[0].metadata.guid).toBe(NEW_GUID);
    expect(w.instances[0]!.pollsUntilReady).toBe(0);
    expect(JSON.parse(cf('curl', `/v3/service_instances?names=other`).stdout).resources).toEqual([]);
  });

  it('serves bindings in both APIs and unbinds', () => {
    const { w, cf } = world();
    w.instances[0]!.lastOperation.state = 'succeeded';
    expect(cf('bind-service', 'their-app', 'important-db').exitCode).toBe(0);
    const v3 = JSON.parse(cf('curl', `/v3/service_credential_bindings?service_instance_guids=${NEW_GUID}&type=app`).stdout);
    expect(v3.resources.map((b: { relationships: { app: { data: { guid: string } } } }) => b.relationships.app.data.guid)).toEqual([
      w.orgs[0]!.spaces[0]!.apps[0]!.guid,
    ]);
    const v2 = JSON.parse(cf('curl', `/v2/service_instances/${NEW_GUID}/service_bindings`).stdout);
    expect(v2.total_results).toBe(1);
    const un = cf('unbind-service', 'their-app', 'important-db');
    expect(un.stdout).toMatch(/^OK$/m);
    expect(w.orgs[0]!.spaces[0]!.apps[0]!.boundServiceGuids).toEqual([]);
    expect(cf('unbind-service', 'their-app', 'important-db').stdout).toMatch(/did not exist/);
  });

  it('exits 22 on HTTP errors only with -f, and prints the error body without it', () => {
    const { cf } = world(CF_VERSIONS.v6);
    const missing = '/v3/service_instances/00000000-0000-4000-8000-000000000000';
    expect(cf('curl', '-f', missing)).toMatchObject({
      exitCode: 22,
      stdout: 'FAILED\n',
      stderr: 'The requested URL returned error: 404\n',
    });
    const body = cf('curl', missing);
    expect(body.exitCode).toBe(0);
    expect(JSON.parse(body.stdout).errors[0].title).toBe('CF-ResourceNotFound');
    expect(body.stdout).toMatch(/^ {3}"errors"/m);
    expect(cf('curl', '-X', 'DELETE', missing).exitCode).toBe(0);
  });

  it('completes a create at once with v8 --wait, and rejects bad -c JSON', () => {
    const { w, cf } = world();
    const r = cf('create-service', 'dingo-postgresql95', 'solo', 'second-db', '-w');
    expect(r.stdout).toMatch(/Service instance second-db created\.\nOK/);
    expect(w.instances[1]!.lastOperation.state).toBe('succeeded');
    const bad = cf('create-service', 'dingo-postgresql95', 'solo', 'third-db', '-c', '{nope');
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/Invalid configuration provided for -c flag/);
  });

  it('needs a target, and rejects unknown commands', () => {
    const w = cfWorld(CF_VERSIONS.legacy);
    const r = simulateCf(w, { argv: ['cf', 'apps'], writes: false });
    expect(r).toMatchObject({ exitCode: 1, stderr: '' });
    expect(r.stdout).toMatch(/^FAILED\nNo org and space targeted/);
    expect(simulateCf(w, { argv: ['cf', 'frobnicate'], writes: false }).stdout).toMatch(/'frobnicate' is not a registered command/);
  });
});
