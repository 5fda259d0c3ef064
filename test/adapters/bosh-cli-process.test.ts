/** The bosh adapter against a real `bosh` executable (the simulator behind a node script on PATH), per generation. */
import { afterEach, describe, expect, it } from 'vitest';
import { BoshCli } from '../../src/adapters/bosh.js';
import { setUpFakeClis, type FakeClis } from '../support/fake-cli/install.js';
import { LocalRunner } from '../../src/systems/local-runner.js';
import { BOSH_VERSIONS, boshWorld } from '../support/fake-cli/worlds.js';
import { Redactor } from '../../src/core/redact.js';

const DINGO = 'dingo-postgresql-98b09c4b36af74181ee1';
const CELL = 'cell_z1-partition-cac94a070a81fd8f3931';
let fake: FakeClis | undefined;
afterEach(async () => {
  await fake?.cleanup();
  fake = undefined;
});

describe.each([
  { label: 'v1 tables', version: BOSH_VERSIONS.v1, major: 1, id: '0' },
  { label: 'v2 JSON, array rows', version: BOSH_VERSIONS.v2old, major: 2, id: '14ddd22e-719e-4aca-b318-7f291c97fbba' },
  { label: 'v2 JSON, keyed rows', version: BOSH_VERSIONS.v2, major: 2, id: '14ddd22e-719e-4aca-b318-7f291c97fbba' },
])('bosh $label as a child process', ({ version, major, id }) => {
  it('maps the cell IP to its instance, and an unknown IP to null', async () => {
    fake = await setUpFakeClis({ bosh: boshWorld(version) });
    const bosh = new BoshCli(new LocalRunner({ env: { ...process.env, ...fake.env } }), {
      redactor: new Redactor(),
      env: { BOSH_ENVIRONMENT: '10.0.0.6' },
    });
    expect((await bosh.version()).major).toBe(major);
    expect(await bosh.findInstanceByIp('10.58.111.150')).toEqual({ deployment: DINGO, instance: `${CELL}/${id}`, job: CELL, id });
    expect(await bosh.findInstanceByIp('10.1.2.3')).toBeNull();
  });
});
