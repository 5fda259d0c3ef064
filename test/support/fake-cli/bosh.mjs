#!/usr/bin/env -S node --import tsx
// A real `bosh` executable backed by the rehearsal simulator. Its state is the JSON file named by
// FAKE_BOSH_STATE; FAKE_CLI_LOG, when set, receives one JSON line per invocation.
import { runFake } from './run-fake.mjs';

const { simulateBosh } = await import('../../../src/rehearsal/bosh-sim.ts');
await runFake('bosh', 'FAKE_BOSH_STATE', async (state, argv) => simulateBosh(state, { argv, writes: false }));
