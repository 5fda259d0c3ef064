import { describe, expect, it } from 'vitest';
import { BoshCli } from '../../src/adapters/bosh.js';
import { StepFailed } from '../../src/core/errors.js';
import { REDACTED } from '../../src/core/redact.js';
import { simulateBosh } from '../../src/rehearsal/bosh-sim.js';
import { simRunner } from '../support/fake-cli/sim-runner.js';
import { BOSH_VERSIONS, boshWorld } from '../support/fake-cli/worlds.js';
import { Redactor } from '../../src/core/redact.js';

const DINGO = 'dingo-postgresql-98b09c4b36af74181ee1';
const CELL = 'cell_z1-partition-cac94a070a81fd8f3931';

function setup(version: string) {
  const world = boshWorld(version);
  const runner = simRunner((spec) => simulateBosh(world, spec));
  return { world, runner, bosh: new BoshCli(runner, { redactor: new Redactor() }) };
}

describe.each([
  { label: 'v1 (tables)', version: BOSH_VERSIONS.v1, major: 1, id: '0', vmsArgv: ['bosh', 'vms', DINGO] },
  {
    label: 'v2 < 2.0.13 (array rows)',
    version: BOSH_VERSIONS.v2old,
    major: 2,
    id: '14ddd22e-719e-4aca-b318-7f291c97fbba',
    vmsArgv: ['bosh', '-d', DINGO, 'vms', '--json'],
  },
  {
    label: 'v2 (keyed rows)',
    version: BOSH_VERSIONS.v2,
    major: 2,
    id: '14ddd22e-719e-4aca-b318-7f291c97fbba',
    vmsArgv: ['bosh', '-d', DINGO, 'vms', '--json'],
  },
])('BoshCli with bosh $label', ({ version, major, id, vmsArgv }) => {
  it("finds the cell that has the container's IP, Dingo deployments first", async () => {
    const { bosh, runner } = setup(version);
    expect(await bosh.version()).toEqual({ version: version.replace(/^(\S+).*$/, '$1'), major });
    expect(await bosh.deployments()).toEqual(['cf-6cd776bba8e791d40f64', DINGO]);
    expect(await bosh.findInstanceByIp('10.58.111.150')).toEqual({ deployment: DINGO, instance: `${CELL}/${id}`, job: CELL, id });
    const vmsCalls = runner.ran.filter((s) => s.argv.includes('vms'));
    const vms = await bosh.vms(DINGO);
    expect(vms.map((v) => v.job)).toEqual(['router-partition-cac94a070a81fd8f3931', CELL, CELL]);
    expect(vms.every((v) => v.state === 'running' && v.ips.length > 0)).toBe(true);
    expect(vmsCalls.map((s) => s.argv)).toEqual([vmsArgv]);
    expect(runner.ran.every((s) => !s.writes)).toBe(true);
  });

  it('finds a VM by its second IP, and answers null for an IP no deployment has', async () => {
    const { bosh } = setup(version);
    expect((await bosh.findInstanceByIp('192.168.50.7'))?.job).toBe(CELL);
    expect(await bosh.findInstanceByIp('10.99.99.99')).toBeNull();
  });

  it('explains a deployment that does not exist', async () => {
    const { bosh } = setup(version);
    const err = await bosh.vms('dingo-postgresql-gone').then(
      () => null,
      (e: unknown) => e as StepFailed,
    );
    expect(err).toBeInstanceOf(StepFailed);
    expect(err!.message).toMatch(/Deployment 'dingo-postgresql-gone' doesn't exist/);
    expect(err!.hint).toMatch(/bosh deployments/);
  });
});

describe('BoshCli faults', () => {
  it('falls back to `bosh version` when --version is not understood', async () => {
    const runner = simRunner((spec) =>
      spec.argv[1] === '--version'
        ? { exitCode: 1, stdout: '', stderr: 'invalid option: --version\n', durationMs: 1 }
        : { exitCode: 0, stdout: 'BOSH 1.3262.0\n', stderr: '', durationMs: 1 },
    );
    expect(await new BoshCli(runner, { redactor: new Redactor() }).version()).toEqual({ version: '1.3262.0', major: 1 });
  });

  it('skips a deployment it cannot list, and says so when the IP is nowhere else', async () => {
    const world = boshWorld(BOSH_VERSIONS.v2);
    const secret = 'director-client-secret-123';
    const runner = simRunner((spec) =>
      spec.argv.includes('cf-6cd776bba8e791d40f64')
        ? {
            exitCode: 1,
            stdout: JSON.stringify({ Tables: [], Blocks: null, Lines: [`Not authorized for ${secret}`, 'Exit code 1'] }),
            stderr: '',
            durationMs: 1,
          }
        : simulateBosh(world, spec),
    );
    const bosh = new BoshCli(runner, { redactor: new Redactor(), env: { BOSH_CLIENT_SECRET: secret } });
    expect((await bosh.findInstanceByIp('10.58.111.150'))?.deployment).toBe(DINGO);
    const err = await bosh.findInstanceByIp('10.99.99.99').then(
      () => null,
      (e: unknown) => e as StepFailed,
    );
    expect(err).toBeInstanceOf(StepFailed);
    expect(err!.message).toMatch(/could not be listed/);
    expect(err!.message).toContain(REDACTED);
    expect(err!.message).not.toContain(secret);
  });

  it('lists no deployments where the Ruby CLI fails with "No deployments" (bosh_cli commands/deployment.rb)', async () => {
    const runner = simRunner((spec) =>
      spec.argv[1] === '--version'
        ? { exitCode: 0, stdout: 'BOSH 1.3262.26.0\n', stderr: '', durationMs: 1 }
        : { exitCode: 1, stdout: "Acting as user 'admin' on 'my-bosh'\n\n", stderr: 'No deployments\n', durationMs: 1 },
    );
    const bosh = new BoshCli(runner, { redactor: new Redactor() });
    expect(await bosh.deployments()).toEqual([]);
    expect(await bosh.findInstanceByIp('10.58.111.150')).toBeNull();
  });

  it('refuses output that is not JSON when it asked for JSON', async () => {
    const runner = simRunner((spec) =>
      spec.argv[1] === '--version'
        ? { exitCode: 0, stdout: 'version 7.9.1\n', stderr: '', durationMs: 1 }
        : { exitCode: 0, stdout: 'Name\nx\n', stderr: '', durationMs: 1 },
    );
    await expect(new BoshCli(runner, { redactor: new Redactor() }).deployments()).rejects.toThrow(/not a bosh --json document/);
  });
});
