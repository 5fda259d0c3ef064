/**
 * The real PostgreSQL 15 behind a rehearsal's container: made once from its seed with the roles of its
 * environment, numbered from nextXid; a role logs in with its password only; a server ends with the
 * process that started it, killed or not, and starts again on the same data in the next, and its data goes
 * when the run is done; a folder not its own and a major this machine lacks are refused.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerServer, PsqlCall } from '../../src/core/seams.js';
import { containerServers } from '../../src/systems/container-servers.js';
import { localProcesses } from '../../src/systems/local-processes.js';
import { processesNaming } from '../support/server-registry.js';
import { scriptProcess } from '../support/pg-sandbox-watch.js';

let dir: string;
let server: ContainerServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'container-servers-'));
  await chmod(dir, 0o755);
  const seed = join(dir, 'seed.sql');
  writeFileSync(seed, 'create table t (id int primary key);\nalter table t owner to app;\ninsert into t values (1);\n');
  server = {
    name: 'cf-11111111-2222-4333-8444-555555555555',
    major: '15',
    env: { SUPERUSER_USERNAME: 'su', SUPERUSER_PASSWORD: 'su-pw-Tk41', APPUSER_USERNAME: 'app', APPUSER_PASSWORD: 'app-pw-Lw93' },
    seed,
    nextXid: 2000,
  };
});

afterAll(async () => {
  for (const pid of processesNaming(dir)) process.kill(pid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** psql as a role with its password: one query. */
const asRole =
  (user: string, sql: string) =>
  (password: string): PsqlCall => ({ kind: 'psql', container: 'c', login: { user, password }, mode: 'query', sql, catalogOnly: false });

/** psql as the container's postgres account over its socket: one query. */
const asPostgres = (sql: string): PsqlCall => ({
  kind: 'psql',
  container: 'c',
  login: { user: 'postgres', socket: true },
  mode: 'query',
  sql,
  catalogOnly: false,
});

describe('a container with a real PostgreSQL', () => {
  it('is made from its seed, owned by its roles, numbered from nextXid, and asks every role but postgres its password', async () => {
    const servers = containerServers(localProcesses, join(dir, 'world'));
    try {
      const q = asRole(
        'app',
        'select t.xmin, t.id, pg_catalog.pg_get_userbyid(c.relowner) from t, pg_catalog.pg_class c where c.relname = $$t$$',
      );
      const r = await servers.run(server, q('app-pw-Lw93'));
      expect(r.stderr).toBe('');
      // create table 2000, alter 2001, insert 2002.
      expect(r.stdout).toBe('2002|1|app\n');
      const wrong = await servers.run(server, q('not-the-password'));
      expect(wrong.exitCode).toBe(2);
      expect(wrong.stderr).toContain('password authentication failed for user "app"');
      const local = await servers.run(server, asPostgres('select current_user'));
      expect(local.stdout).toBe('postgres\n');
    } finally {
      await servers.close();
    }
    expect(processesNaming(join(dir, 'world'))).toEqual([]);
  });

  it('ends its server with a process killed while it ran, and starts it again on the same data in the next', async () => {
    // A process of the run that starts the container's server, writes a row, says so, and is killed (SIGKILL).
    const { child: first, line: said } = await scriptProcess(
      (dist) => `
      const { containerServers } = await import('${dist}/src/systems/container-servers.js');
      const { localProcesses } = await import('${dist}/src/systems/local-processes.js');
      const servers = containerServers(localProcesses, ${JSON.stringify(join(dir, 'world'))});
      const r = await servers.run(${JSON.stringify(server)}, ${JSON.stringify(asRole('app', 'insert into t values (2) returning id')('app-pw-Lw93'))});
      process.stdout.write(JSON.stringify(r.stdout) + '\\n');
      setInterval(() => undefined, 1000);`,
    );
    expect(JSON.parse(said)).toBe('2\nINSERT 0 1\n');
    expect(processesNaming(join(dir, 'world')).length).toBeGreaterThan(0);
    first.kill('SIGKILL');
    // Its server, and everything of its account, ended with it.
    await expect.poll(() => processesNaming(join(dir, 'world')), { timeout: 10_000 }).toEqual([]);
    const next = containerServers(localProcesses, join(dir, 'world'));
    try {
      const count = asRole('app', 'select count(*) from t');
      expect((await next.run(server, count('app-pw-Lw93'))).stdout).toBe('2\n');
    } finally {
      await next.close();
    }
    expect(processesNaming(join(dir, 'world'))).toEqual([]);
  });

  it('takes its data away when the run is done, and is never made in a folder that is not its own', async () => {
    const servers = containerServers(localProcesses, join(dir, 'world'));
    const q = asRole('app', 'select count(*) from t');
    expect((await servers.run(server, q('app-pw-Lw93'))).stdout).toBe('2\n');
    await servers.close(true);
    expect(existsSync(join(dir, 'world'))).toBe(false);
    expect(processesNaming(join(dir, 'world'))).toEqual([]);

    // A link of that name (someone else's, in the temp folder) is refused: nothing is made through it.
    mkdirSync(join(dir, 'elsewhere'));
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'linked'));
    const linked = containerServers(localProcesses, join(dir, 'linked'));
    await expect(linked.run(server, q('app-pw-Lw93'))).rejects.toThrow(`${join(dir, 'linked')} is not a folder this tool made`);
    expect(readdirSync(join(dir, 'elsewhere'))).toEqual([]);
    await expect(linked.run({ ...server, name: '../x' }, q('x'))).rejects.toThrow('"../x" is not a container\'s name');
    await linked.close();
  });

  it('makes again a cluster whose first making was cut short (a data folder, no seed run)', async () => {
    const half = join(dir, 'half', server.name, 'data');
    mkdirSync(half, { recursive: true });
    writeFileSync(join(half, 'PG_VERSION'), '15\n');
    const servers = containerServers(localProcesses, join(dir, 'half'));
    try {
      const q = asRole('app', 'select count(*) from t');
      expect((await servers.run(server, q('app-pw-Lw93'))).stdout).toBe('1\n');
    } finally {
      await servers.close(true);
    }
  });

  it("runs its seed's and its clients' shell escapes in its sandbox as its account, never as root, where no folder of this machine is", async () => {
    const out = join(dir, 'escapes');
    mkdirSync(out, { mode: 0o777 });
    chmodSync(out, 0o777);
    const seed = join(dir, 'escape.sql');
    // Who ran the escape, kept in the sandbox's own /tmp and read back by psql; a folder of this machine, open to all, tried too.
    writeFileSync(
      seed,
      [
        'create table who (name text);',
        `\\! id -un > /tmp/who; touch ${out}/seed`,
        "\\copy who from '/tmp/who'",
        'create table t (id int primary key);',
        '',
      ].join('\n'),
    );
    const servers = containerServers(localProcesses, join(dir, 'escape'));
    try {
      const local = await servers.run({ ...server, seed, nextXid: undefined }, asPostgres('\\! id -un; ls /root 2>&1'));
      expect(local.stdout).toMatch(/^dingo-scratch\nls: cannot access '\/root': No such file or directory\n$/);
      const who = await servers.run({ ...server, seed, nextXid: undefined }, asPostgres('select name from who'));
      expect(who.stdout).toBe('dingo-scratch\n');
      expect(readdirSync(out)).toEqual([]);
    } finally {
      await servers.close(true);
    }
  });

  it('is refused when this machine has no server of its major, naming the package', async () => {
    const servers = containerServers(localProcesses, join(dir, 'other'));
    const q = asRole('app', 'select 1');
    await expect(servers.run({ ...server, major: '9.5' }, q('x'))).rejects.toThrow(
      'runs PostgreSQL 9.5, whose server is not installed on this machine (/usr/lib/postgresql/9.5/bin)',
    );
    await servers.close();
  });
});
