/**
 * What a tenant who wants to run code in a drill of their archive prepares: a schema whose functions
 * shadow the system ones a drill calls (each writes a marker file with its environment when run, by
 * COPY ... TO PROGRAM), role and database search_paths putting that schema before pg_catalog, a view
 * shadowing pg_database, and postgresql.auto.conf commands and libraries that write markers or fail.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** A folder any account can write markers into (the server runs as postgres). */
export async function markerFolder(parent: string): Promise<string> {
  const dir = await mkdtemp(join(parent, 'markers-'));
  await chmod(dir, 0o777);
  return dir;
}

/** The markers written so far (empty: none of the tenant's code ran). */
export function markersIn(dir: string): Promise<string[]> {
  return readdir(dir);
}

const marking = (what: string, returns: string, value: string, args = ''): string =>
  `create function tenant.${what}(${args}) returns ${returns} language plpgsql as $f$ begin perform tenant.mark('${what}'); return ${value}; end $f$`;

/** SQL run as the superuser in the postgres database of the cluster an archive is made from. */
export function tenantSql(markers: string): string[] {
  return [
    'create schema tenant',
    `create function tenant.mark(what text) returns void language plpgsql as $f$ begin execute pg_catalog.format('copy (select 1) to program %L', 'cat > /dev/null; env > ${markers}/' || what); end $f$`,
    marking('pg_is_in_recovery', 'boolean', 'false'),
    marking('pg_last_wal_replay_lsn', 'pg_lsn', "'0/0'"),
    marking('pg_last_xact_replay_timestamp', 'timestamptz', 'null'),
    marking('now', 'timestamptz', "'2000-01-01'"),
    marking('pg_total_relation_size', 'bigint', '0', 'oid'),
    marking('pg_database_size', 'bigint', '0', 'oid'),
    marking('count_step', 'bigint', '0', 'bigint'),
    `create aggregate tenant.count(*) (sfunc = tenant.count_step, stype = bigint, initcond = '0')`,
    `create view tenant.pg_database as select 'tenant-db'::name as datname, false as datistemplate where tenant.pg_is_in_recovery() is not null`,
    'alter role postgres set search_path = tenant, pg_catalog, public',
    'alter database postgres set search_path = tenant, pg_catalog, public',
  ];
}

/** Lines for the archive's postgresql.auto.conf: every command writes a marker; the libraries do not exist. */
export function tenantAutoConf(markers: string): string[] {
  return [
    "shared_preload_libraries = 'dingo_tenant_preload'",
    "session_preload_libraries = 'dingo_tenant_session'",
    'archive_mode = on',
    ...['archive_command', 'restore_command', 'recovery_end_command', 'archive_cleanup_command'].map(
      (name) => `${name} = 'env > ${markers}/${name}; false'`,
    ),
    "listen_addresses = '*'",
    'unix_socket_permissions = 0777',
  ];
}

/**
 * A tenant's code that reading their tables could run, each writing a marker (in `markers`, and
 * MARKER* in the server's working folder, its data folder) when run: a file_fdw foreign table whose
 * `program` is a shell command, inheriting from the ordinary table public.orders (1234 rows), and a
 * foreign partition of public.events (1000 rows in its ordinary partition); views calling SECURITY
 * DEFINER functions doing COPY ... TO PROGRAM, one owned by a superuser role of the tenant's, one by
 * the bootstrap superuser; with `library`, a view calling a C function whose library is
 * `tenant_lib/evil.so` in the data folder (copied there from `library` by COPY ... TO PROGRAM).
 */
export function tenantCodeSql(markers: string, library?: string): string[] {
  const program = (name: string, rows: string): string => `'touch MARKER_${name}; touch ${markers}/${name}; printf ''${rows}'''`;
  const copying = (name: string): string => `execute 'copy (select 1) to program ''touch MARKER_${name}; touch ${markers}/${name}'''`;
  return [
    'create extension file_fdw',
    'create server tenant_files foreign data wrapper file_fdw',
    'create table public.orders (id int primary key, at timestamptz not null)',
    "insert into public.orders select g, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute' from generate_series(1, 1234) g",
    `create foreign table public.orders_more () inherits (public.orders) server tenant_files options (format 'csv', program ${program('fdw', '9999,2030-01-01 00:00:00+00\\n')})`,
    'create table public.events (id int not null, at timestamptz) partition by range (id)',
    'create table public.events_low partition of public.events for values from (0) to (1000)',
    "insert into public.events select g, timestamptz '2024-02-01 00:00:00+00' + g * interval '1 second' from generate_series(0, 999) g",
    `create foreign table public.events_high partition of public.events for values from (1000) to (2000) server tenant_files options (format 'csv', program ${program('partition', '1500,2031-01-01 00:00:00+00\\n')})`,
    // The tables belong to a role apps log in as, no superuser, as a Dingo instance's belong to its apps' role.
    'create role tenant_app login',
    'alter table public.orders owner to tenant_app',
    'alter table public.events owner to tenant_app',
    'alter table public.events_low owner to tenant_app',
    // An index expression the planner folds (eval_const_expressions) whenever it plans any scan of the table: a
    // SECURITY DEFINER function of the bootstrap superuser's that, run with a superuser's powers by a read, fails it.
    `create function public.bump(n int) returns int language plpgsql immutable security definer as $f$ begin
       if pg_catalog.current_setting('transaction_read_only') operator(pg_catalog.=) 'on'
          and (select rolsuper from pg_catalog.pg_roles where rolname operator(pg_catalog.=) current_user) then
         raise exception 'tenant code ran as the superuser %', current_user;
       end if;
       return n; end $f$`,
    'create index orders_fold on public.orders ((id operator(pg_catalog.+) public.bump(1)))',
    // A database's own DateStyle and TimeZone, which a read that did not force ours would show its timestamps in.
    `do $d$ begin execute pg_catalog.format('alter database %I set datestyle = %L', current_database(), 'SQL, DMY');
       execute pg_catalog.format('alter database %I set timezone = %L', current_database(), 'America/New_York'); end $d$`,
    'create role tenant_admin superuser',
    `create function public.admin_rows() returns bigint language plpgsql security definer as $f$ begin ${copying('definer')}; return 1; end $f$`,
    'alter function public.admin_rows() owner to tenant_admin',
    // A role of the reader's name, with a setting in this database that would stop each of its statements at once.
    'create role dingo_recover_reader',
    `do $d$ begin execute pg_catalog.format('alter role dingo_recover_reader in database %I set statement_timeout = 1', current_database()); end $d$`,
    // A role that logs in and is no superuser, but a member of two: any session as it may SET ROLE to them.
    'create role tenant_ops login in role tenant_admin, postgres',
    'create table public.ops_log (id int, at timestamptz)',
    "insert into public.ops_log select g, timestamptz '2024-03-01 00:00:00+00' from generate_series(1, 3) g",
    'alter table public.ops_log owner to tenant_ops',
    'create view public.orders_report as select o.id, public.admin_rows() as extra from only public.orders o',
    `create function public.boot_rows() returns bigint language plpgsql security definer as $f$ begin ${copying('bootstrap')}; return 1; end $f$`,
    'create view public.orders_boot as select o.id, public.boot_rows() as extra from only public.orders o',
    ...(library
      ? [
          // The program reads what COPY writes to it: one that exits first breaks the pipe, and the COPY fails.
          `copy (select 1) to program 'cat > /dev/null; mkdir -p tenant_lib && cp ${library} tenant_lib/evil.so'`,
          // Created on a library of this machine's (creating it loads it), then pointed at the data folder's.
          "create function public.native() returns int language c as '$libdir/file_fdw', 'file_fdw_handler'",
          "update pg_catalog.pg_proc set probin = 'tenant_lib/evil' where proname = 'native'",
          'create view public.orders_native as select o.id, public.native() as extra from only public.orders o',
        ]
      : []),
  ];
}

/** A shared library that, once loaded, writes the marker `native` (and MARKER_native in its working folder). */
export function tenantLibrary(dir: string, markers: string): string {
  const source = join(dir, 'evil.c');
  const library = join(dir, 'evil.so');
  writeFileSync(
    source,
    `#include <stdlib.h>\n__attribute__((constructor)) static void tenant(void) { system("touch MARKER_native; touch ${markers}/native"); }\n`,
  );
  execFileSync('gcc', ['-shared', '-fPIC', '-o', library, source]);
  chmodSync(library, 0o755);
  return library;
}

/** Files named MARKER* anywhere under `dir` (a tenant's code ran in a server working there). */
export function markerFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => /(^|\/)MARKER/.test(p));
}
