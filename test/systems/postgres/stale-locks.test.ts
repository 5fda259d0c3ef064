/**
 * A scratch server starts over the lock files a server of its folders left when it ended without
 * removing them (SIGKILL, its sandbox closed under it: a crash, a kill, a resumed run), on a real
 * PostgreSQL 15. Both name the PID of the postmaster that wrote them, counted in its own sandbox's
 * PID namespace; in the next one that number may be any process (a psql session's, pg_isready's,
 * another program of the account), and PostgreSQL, taking a live process of its own account for a
 * server, would refuse to start: "lock file "postmaster.pid" already exists" for the data folder,
 * and the same of ".s.PGSQL.5432.lock" for the socket folder. Here they name a program of the
 * account that runs in the sandbox (another account's process, such as the sandbox's init, it
 * takes for no server of its own).
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCRATCH_PORT } from '../../../src/systems/postgres/index.js';
import { freshTestCluster } from '../../support/fresh-cluster.js';
import { PG_BIN } from '../../support/pg-volumes.js';
import { openTestPostgres } from '../../support/test-postgres.js';
import { procFile } from '../../support/proc.js';

/** A lock file naming `pid` as its writer: the rest of what its postmaster wrote, kept. */
function naming(file: string, pid: number): void {
  const lines = readFileSync(file, 'utf8').split('\n');
  expect(Number(lines[0])).toBeGreaterThan(0);
  writeFileSync(file, [String(pid), ...lines.slice(1)].join('\n'));
}

describe('a scratch server whose last server was killed', () => {
  it("starts over the data folder's postmaster.pid and the socket folder's lock file, which name a live program of its account", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stale-locks-'));
    const data = join(dir, 'data');
    await freshTestCluster(PG_BIN, data);
    const pg = await openTestPostgres({ dataDir: data, bin: PG_BIN });
    const devNull = openSync('/dev/null', 'w');
    try {
      await pg.start();
      await pg.stop('kill');
      const sleeper = pg.scratch.sandbox.start(['/bin/sleep', '600'], { output: devNull });
      // Its PID in the sandbox's namespace: the last of the NSpid line.
      const inside = Number(/^NSpid:.*\s(\d+)$/m.exec(procFile(await sleeper.pid, 'status'))?.[1]);
      expect(inside).toBeGreaterThan(1);
      naming(join(data, 'postmaster.pid'), inside);
      naming(join(pg.scratch.socketDir, `.s.PGSQL.${String(SCRATCH_PORT)}.lock`), inside);

      await pg.start();
      expect((await pg.psql('postgres', ['-A', '-t', '-c', 'select 1'])).trim()).toBe('1');
      expect(sleeper.running()).toBe(true);
    } finally {
      closeSync(devNull);
      // The sleeper ends with the sandbox.
      await pg.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
