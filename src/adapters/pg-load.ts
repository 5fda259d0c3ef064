/**
 * Loading a pg_dump -Fc file into a database of a patroni container through its database seam
 * (container-database.ts: pg_restore fed the dump's bytes as they are, behind its password line). What the database holds is read with psql, so a load
 * interrupted midway can be told from one that finished, and is never appended to.
 */
import { StepFailed } from '../core/errors.js';
import type { CommandResult, StdinData } from '../core/seams.js';
import type { CellDocker } from './docker.js';
import { sqlIdent } from '../core/sql-quote.js';
import type { PasswordLogin, PgLogin } from './postgres.js';
import { psqlWithChain } from './psql.js';
import { majorOfVersionNum, VERSION_QUERY } from './postgres-replay.js';
import { extensionStatements, type LoadPlan } from './pg-load-plan.js';
import { cellDatabase } from './container-database.js';

/**
 * Tables of a database outside the system schemas, but for an extension's own (PostGIS's
 * spatial_ref_sys, which its CREATE EXTENSION makes): what a load puts there. The superuser asks it in
 * a database the tenant's dump filled, so every function and operator is PostgreSQL's own, named in
 * pg_catalog: unqualified, `nspname not like '…'` (name NOT LIKE unknown) would find an operator
 * `public.!~~(name, name)` of the dump's before pg_catalog's (name, text), and run it as the superuser.
 */
export const USER_TABLES_QUERY =
  "select pg_catalog.count(*) from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) c.relnamespace where c.relkind operator(pg_catalog.=) any (array['r', 'p']::pg_catalog.\"char\"[]) and n.nspname operator(pg_catalog.!~~) 'pg\\_%' and n.nspname operator(pg_catalog.<>) 'information_schema' and not exists (select from pg_catalog.pg_depend d where d.classid operator(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass and d.objid operator(pg_catalog.=) c.oid and d.deptype operator(pg_catalog.=) 'e')";

const quoteLiteral = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** What a database of the container holds: absent, or present with this many tables of its own. */
export type DatabaseHolds = { exists: false } | { exists: true; tables: number };

/** One psql -tAc answer, or a clear failure naming the question. */
async function ask(docker: CellDocker, name: string, chain: PgLogin[], database: string, sql: string, writes = false): Promise<string> {
  const { result } = await psqlWithChain(docker, name, chain, { database, mode: 'query', sql, writes });
  if (result.exitCode !== 0) {
    throw new StepFailed(
      `psql in ${name} (database ${database}) exited ${result.exitCode}: ${docker.redactor.redact(result.stderr.trim())}`,
      {
        hint: `run \`${sql.slice(0, 120)}\` in the container by hand to see what PostgreSQL says`,
      },
    );
  }
  return result.stdout.trim();
}

export async function databaseHolds(docker: CellDocker, name: string, chain: PgLogin[], database: string): Promise<DatabaseHolds> {
  const found = await ask(
    docker,
    name,
    chain,
    'postgres',
    `select 1 from pg_catalog.pg_database where datname operator(pg_catalog.=) ${quoteLiteral(database)}`,
  );
  if (found !== '1') return { exists: false };
  return { exists: true, tables: Number(await ask(docker, name, chain, database, USER_TABLES_QUERY)) };
}

/** CREATE DATABASE, owned by `owner` when given (the role the broker binds apps with). */
export async function createDatabase(docker: CellDocker, name: string, chain: PgLogin[], database: string, owner?: string): Promise<void> {
  await ask(docker, name, chain, 'postgres', `create database ${sqlIdent(database)}${owner ? ` owner ${sqlIdent(owner)}` : ''}`, true);
}

/**
 * The superuser makes each extension in `database`, and first the schemas they go in, owned by
 * `owner` (the role apps bind with, who loads the rest): one transaction, all or nothing.
 */
export async function createExtensions(
  docker: CellDocker,
  name: string,
  chain: PgLogin[],
  database: string,
  plan: Pick<LoadPlan, 'extensions' | 'schemas'>,
  owner: string,
): Promise<void> {
  if (!plan.extensions.length) return;
  const sql = ['BEGIN;', ...extensionStatements(plan, owner), 'COMMIT;', ''].join('\n');
  const { result } = await psqlWithChain(docker, name, chain, { database, mode: 'script', sql, writes: true });
  if (result.exitCode !== 0) {
    const names = plan.extensions.map((x) => x.name).join(', ');
    throw new StepFailed(
      `making the dump's extensions (${names}) in ${database} in ${name} failed (psql exit ${result.exitCode}): ${docker.redactor.redact(result.stderr.trim())}`,
      {
        hint: "nothing of the dump was loaded and no extension was made (one transaction): the new service's PostgreSQL must have each extension (its contrib package); once it does, resume",
      },
    );
  }
}

/** The major of the container's server (`9.5`, `15`), from its server_version_num. */
export async function serverMajor(docker: CellDocker, name: string, chain: PgLogin[]): Promise<string> {
  const out = await ask(docker, name, chain, 'postgres', VERSION_QUERY);
  const num = Number(out);
  if (!/^\d+$/.test(out) || num < 90_000) {
    throw new StepFailed(`the server in ${name} answered server_version_num with ${JSON.stringify(out.slice(0, 40))}`, {
      hint: `nothing was loaded; run \`${VERSION_QUERY}\` in the container by hand to see what PostgreSQL says`,
    });
  }
  return majorOfVersionNum(num);
}

/** ALTER DATABASE … RENAME: an earlier, cut load moved aside (never dropped). */
export async function renameDatabase(docker: CellDocker, name: string, chain: PgLogin[], from: string, to: string): Promise<void> {
  await ask(docker, name, chain, 'postgres', `alter database ${sqlIdent(from)} rename to ${sqlIdent(to)}`, true);
}

/**
 * pg_restore of `dump` into `database`, in one transaction (a cut load leaves nothing behind), without
 * the lost cluster's owners and grants, logged in as `login`: every object is created as that role.
 * A function of the tenant's that the load runs (an index expression, a materialised view, a check)
 * has that role's powers and no more; logged in as a superuser with --role, it could RESET ROLE.
 * `entries`: the dump ids to restore (pg-load-plan.ts), else all.
 */
export async function pgRestore(
  docker: CellDocker,
  name: string,
  login: PasswordLogin,
  opts: { database: string; dump: StdinData; entries?: number[] },
): Promise<CommandResult> {
  const call = { kind: 'restore' as const, container: name, login, database: opts.database, entries: opts.entries ?? [] };
  return cellDatabase(docker).restore(call, opts.dump);
}
