#!/usr/bin/env -S node --import tsx
// A real `bosh` executable backed by the rehearsal simulator. Its state is the JSON file named by
// FAKE_BOSH_STATE; FAKE_CLI_LOG, when set, receives one JSON line per invocation. Its ssh, scp and
// the v1 download manifest run through bosh-session.ts against the sshd FAKE_BOSH_SSH names; they
// only read the state, so a long command holds no lock.
import { appendFileSync, readFileSync } from 'node:fs';
import { runFake } from './run-fake.mjs';

const { isSessionCommand, runSession } = await import('./bosh-session.ts');
const args = process.argv.slice(2);
if (isSessionCommand(args) && process.env.FAKE_BOSH_SSH) {
  const world = JSON.parse(readFileSync(process.env.FAKE_BOSH_STATE, 'utf8'));
  const ssh = JSON.parse(readFileSync(process.env.FAKE_BOSH_SSH, 'utf8'));
  const result = await runSession(world, ssh, args, (b) => process.stdout.write(b));
  if (process.env.FAKE_CLI_LOG) {
    appendFileSync(process.env.FAKE_CLI_LOG, JSON.stringify({ argv: ['bosh', ...args], exitCode: result.exitCode }) + '\n');
  }
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
} else {
  const { simulateBosh } = await import('../../../src/rehearsal/bosh-sim.ts');
  runFake('bosh', 'FAKE_BOSH_STATE', (state, argv) => simulateBosh(state, { argv, writes: false }));
}
