/**
 * Not part of the suite (vitest.config.ts): run alone by test/systems/test-servers.test.ts, which
 * stops this run by a signal while it waits. It starts an sshd and a moto server, writes their ports
 * and folder to DINGO_TEST_INTERRUPT_REPORT (renamed into place whole), and waits.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { it } from 'vitest';
import { startMoto } from '../moto.js';
import { startSshd } from '../sshd.js';

it('starts an sshd and a moto server, then waits to be interrupted', async () => {
  const report = process.env.DINGO_TEST_INTERRUPT_REPORT;
  if (!report) throw new Error('DINGO_TEST_INTERRUPT_REPORT is not set: this file is run by test/systems/test-servers.test.ts');
  const [sshd, moto] = await Promise.all([startSshd({ user: 'dingoleft' }), startMoto()]);
  // Whole or not at all: the test reads the report as soon as it is there.
  writeFileSync(`${report}.part`, JSON.stringify({ sshd: { port: sshd.port, dir: sshd.dir }, moto: { port: moto.port } }));
  renameSync(`${report}.part`, report);
  await new Promise<never>(() => undefined);
}, 600_000);
