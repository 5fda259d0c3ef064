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
 *
 * The data folder is a copy of the tenant's, and its server runs the tenant's SQL as the sandbox's
 * account, which writes both folders: a lock file may be a link the tenant planted. The start removes
 * the link, never what it names; and a folder in a lock file's place, which no server left, is named
 * in a clear refusal, left where it is.
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SANDBOX_SOCKET_DIR, SCRATCH_PORT } from '../../../src/systems/postgres/index.js';
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

  it("removes a tenant's links in the lock files' places, never what they name, and refuses a folder there by its name", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stale-locks-'));
    const data = join(dir, 'data');
    // Root's alone: a file the sandbox's account can neither read nor write, which the links name.
    const kept = join(dir, 'root-only');
    mkdirSync(kept, { mode: 0o700 });
    const target = join(kept, 'precious');
    writeFileSync(target, 'the operator still needs this\n');
    chmodSync(dir, 0o755);
    await freshTestCluster(PG_BIN, data);
    const pg = await openTestPostgres({ dataDir: data, bin: PG_BIN });
    const lock = `.s.PGSQL.${String(SCRATCH_PORT)}.lock`;
    try {
      await pg.start();
      await pg.stop('kill');
      // Planted as the tenant's SQL would: by a program of the sandbox's account, inside it.
      await pg.scratch.sandbox.runOk(['ln', '-sfn', target, join(data, 'postmaster.pid')]);
      await pg.scratch.sandbox.runOk(['ln', '-sfn', target, `${SANDBOX_SOCKET_DIR}/${lock}`]);
      expect(lstatSync(join(data, 'postmaster.pid')).isSymbolicLink()).toBe(true);

      await pg.start();
      expect((await pg.psql('postgres', ['-A', '-t', '-c', 'select 1'])).trim()).toBe('1');
      expect(readFileSync(target, 'utf8')).toBe('the operator still needs this\n');
      // The server's own lock files stand there now.
      expect(lstatSync(join(data, 'postmaster.pid')).isFile()).toBe(true);
      expect(lstatSync(join(pg.scratch.socketDir, lock)).isFile()).toBe(true);

      await pg.stop('kill');
      await pg.scratch.sandbox.runOk(['rm', '-f', join(data, 'postmaster.pid')]);
      await pg.scratch.sandbox.runOk(['mkdir', join(data, 'postmaster.pid')]);
      await pg.scratch.sandbox.runOk(['touch', join(data, 'postmaster.pid', 'inside')]);
      await expect(pg.start()).rejects.toMatchObject({
        name: 'StepFailed',
        message: `${join(data, 'postmaster.pid')} is a folder, where PostgreSQL keeps its lock file: no server left it there`,
        hint: expect.stringContaining('move it aside, then resume') as unknown,
      });
      // Left as it was, for the operator to look at.
      expect(lstatSync(join(data, 'postmaster.pid', 'inside')).isFile()).toBe(true);
      expect(readFileSync(target, 'utf8')).toBe('the operator still needs this\n');
    } finally {
      await pg.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
