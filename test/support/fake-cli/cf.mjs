#!/usr/bin/env -S node --import tsx
// A real `cf` executable backed by the rehearsal simulator. Its state is the JSON file named by
// FAKE_CF_STATE; its login and target are the config file of cf, $CF_HOME/.cf/config.json (else in
// $HOME: ./cf-config.ts); FAKE_CF_HOOKS may name a module exporting CfHooks; FAKE_CLI_LOG, when
// set, receives one JSON line per invocation.
import { runFake } from './run-fake.mjs';
import { withCfConfig } from './cf-config.ts';

const { simulateCf } = await import('../../../src/rehearsal/cf/cf-sim.ts');
await runFake('cf', 'FAKE_CF_STATE', async (state, argv) => {
  const hooks = process.env.FAKE_CF_HOOKS ? await import(process.env.FAKE_CF_HOOKS) : {};
  return withCfConfig(state, argv, process.env, () => simulateCf(state, { argv, writes: false }, hooks.default ?? hooks));
});
