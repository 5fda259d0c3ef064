/**
 * Not part of the suite (vitest.config.ts): run alone by test/systems/test-servers.test.ts, which
 * stops this run by a signal while it waits. It starts an sshd, a moto server, a PostgreSQL cluster
 * (as the tests' own clusters start: pg_ctl, detached) and the tool's own scratch server on a copy of
 * it in the temporary folder (as a look or a restore starts one in a test: registered nowhere),
 * writes their ports and folders to DINGO_TEST_INTERRUPT_REPORT (renamed into place whole), and waits.
 */
import { chmodSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import { startScratchServer } from '../../../src/volumes/scratch-server.js';
import { startMoto } from '../moto.js';
import { makeCluster } from '../pg-volumes.js';
import { startSshd } from '../sshd.js';

it("starts an sshd, a moto server, a PostgreSQL cluster and the tool's scratch server, then waits to be interrupted", async () => {
  const report = process.env.DINGO_TEST_INTERRUPT_REPORT;
  if (!report) throw new Error('DINGO_TEST_INTERRUPT_REPORT is not set: this file is run by test/systems/test-servers.test.ts');
  const [sshd, moto] = await Promise.all([startSshd({ user: 'dingoleft', sudo: 'nopasswd' }), startMoto()]);
  const pg = mkdtempSync(join(tmpdir(), 'pg-'));
  chmodSync(pg, 0o755);
  await makeCluster(join(pg, 'data'), 'shop', 'SELECT 1;', 'run');
  const copy = mkdtempSync(join(tmpdir(), 'copy-'));
  chmodSync(copy, 0o755);
  await makeCluster(join(copy, 'data'), 'shop', 'SELECT 1;', 'stop');
  await startScratchServer({ dataDir: join(copy, 'data'), major: '15', workDir: copy });
  // Whole or not at all: the test reads the report as soon as it is there.
  writeFileSync(
    `${report}.part`,
    JSON.stringify({
      sshd: { port: sshd.port, dir: sshd.dir },
      moto: { port: moto.port },
      postgres: { dataDir: join(pg, 'data') },
      scratch: { dir: copy },
    }),
  );
  renameSync(`${report}.part`, report);
  await new Promise<never>(() => undefined);
}, 600_000);
