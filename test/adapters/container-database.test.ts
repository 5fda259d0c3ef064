/**
 * The live container database writes each typed call as the command the cell's docker client runs:
 * psql as a role behind the password-on-stdin shell (or as the postgres account over the socket),
 * pg_restore behind its own, the password and the entries on standard input before the dump, never on
 * the command line; and each command carries its typed call, which a rehearsal's cell answers.
 */
import { describe, expect, it } from 'vitest';
import { cellDatabase, PG_RESTORE_VIA_STDIN, PSQL_VIA_STDIN } from '../../src/adapters/container-database.js';
import { CellDocker } from '../../src/adapters/docker.js';
import { Redactor } from '../../src/core/redact.js';
import type { CommandSpec, PsqlCall, RestoreCall } from '../../src/core/seams.js';
import { stdinBytes } from '../../src/core/stdin.js';

const C = 'cf-0f1e2d3c-4b5a-4697-8876-a5b4c3d2e1f0';

function recorded() {
  const specs: CommandSpec[] = [];
  const redactor = new Redactor();
  const docker = new CellDocker(
    {
      where: 'cell 10.0.0.5',
      run: (spec) => {
        specs.push(spec);
        return Promise.resolve({ exitCode: 0, stdout: '', stderr: '', durationMs: 0 });
      },
    },
    { binary: 'docker', host: 'unix:///d.sock', sudo: false, redactor },
  );
  return { db: cellDatabase(docker), specs, redactor };
}

const query: PsqlCall = {
  kind: 'psql',
  container: C,
  login: { user: 'appuser', password: 'app-pw-Rt56' },
  database: 'shop',
  mode: 'query',
  sql: 'select 1',
  catalogOnly: false,
};

describe('the live container database', () => {
  it('runs psql as a role with its password first on standard input, the call carried beside the command', async () => {
    const { db, specs, redactor } = recorded();
    await db.psql(query, { writes: false });
    const [spec] = specs;
    expect(spec!.argv).toEqual([
      'docker',
      '--host',
      'unix:///d.sock',
      'exec',
      '-i',
      C,
      'sh',
      '-c',
      PSQL_VIA_STDIN,
      'sh',
      'appuser',
      '-d',
      'shop',
      '-tAc',
      'select 1',
    ]);
    expect(spec!.stdin).toBe('app-pw-Rt56\n');
    expect(spec!.database).toEqual({ call: query });
    expect(spec!.writes).toBe(false);
    // The password is the run's secret from now on: never in the journal or on the screen.
    expect(redactor.redact('app-pw-Rt56')).not.toContain('app-pw-Rt56');
  });

  it("sets a superuser's search_path to pg_catalog at login, and feeds a script or a read on standard input", async () => {
    const { db, specs } = recorded();
    await db.psql({ ...query, mode: 'script', sql: 'BEGIN;\nCOMMIT;\n', catalogOnly: true }, { writes: true });
    await db.psql({ ...query, database: undefined, mode: 'rows', sql: 'select 2;' }, { writes: false });
    expect(specs[0]!.argv.slice(6, 8)).toEqual(['env', 'PGOPTIONS=-c search_path=pg_catalog']);
    expect(specs[0]!.argv.slice(-5)).toEqual(['-d', 'shop', '-q', '-v', 'ON_ERROR_STOP=1']);
    expect(specs[0]!.stdin).toBe('app-pw-Rt56\nBEGIN;\nCOMMIT;\n');
    expect(specs[0]!.writes).toBe(true);
    expect(specs[1]!.argv.slice(-6)).toEqual(['appuser', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1']);
    expect(specs[1]!.stdin).toBe('app-pw-Rt56\nselect 2;');
  });

  it("runs psql as the container's postgres account over its socket, without a password", async () => {
    const { db, specs } = recorded();
    await db.psql({ ...query, login: { user: 'postgres', socket: true }, database: undefined }, { writes: false });
    expect(specs[0]!.argv.slice(3)).toEqual(['exec', '-i', '-u', 'postgres', C, 'psql', '-X', '-w', '-d', 'postgres', '-tAc', 'select 1']);
    expect(specs[0]!.stdin).toBe('');
  });

  it('restores a dump as the role, its password and entries before the dump on standard input, the dump carried for a rehearsal', async () => {
    const { db, specs } = recorded();
    const call: RestoreCall = {
      kind: 'restore',
      container: C,
      login: { user: 'appuser', password: 'app-pw-Rt56' },
      database: 'shop',
      entries: [3, 5],
    };
    const dump = Buffer.from('PGDMP\x00\x01binary');
    await db.restore(call, dump);
    const [spec] = specs;
    expect(spec!.argv.slice(6, 11)).toEqual(['sh', '-c', PG_RESTORE_VIA_STDIN, 'sh', 'appuser']);
    // As the role, in one transaction that stops at the first error, without the dumped owners and grants.
    expect(spec!.argv.slice(11).join(' ')).toBe('--exit-on-error --single-transaction --no-owner --no-acl -d shop');
    expect((await stdinBytes(spec!.stdin)).equals(Buffer.concat([Buffer.from('app-pw-Rt56\n3\n5\n\n'), dump]))).toBe(true);
    expect(spec!.database).toEqual({ call, dump });
    expect(spec!.writes).toBe(true);
    expect(spec!.argv.join(' ')).not.toContain('app-pw-Rt56');
  });
});
