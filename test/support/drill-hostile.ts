/**
 * What a tenant who wants to run code in a drill of their archive prepares: a schema whose functions
 * shadow the system ones a drill calls (each writes a marker file with its environment when run, by
 * COPY ... TO PROGRAM), role and database search_paths putting that schema before pg_catalog, a view
 * shadowing pg_database, and postgresql.auto.conf commands and libraries that write markers or fail.
 */
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
