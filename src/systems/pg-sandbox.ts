/**
 * A scratch PostgreSQL on data someone else wrote (a tenant's archive, a copied volume) gets none of
 * the operator's powers: it runs as an account of its own in a sandbox of its own
 * (systems/postgres/), with command-line settings (they win over postgresql.conf and
 * postgresql.auto.conf) that switch off every setting which runs a command or loads a library, listens
 * on a private socket only, and gets an environment built from nothing. Every session of ours forces
 * search_path to pg_catalog first through PGOPTIONS, which wins over ALTER ROLE / ALTER DATABASE ...
 * SET, so no function of theirs shadows a system one; and every session that reads their tables is no
 * superuser's and read-only (systems/pg-reader.ts).
 */

import { shellQuote } from '../core/shell-quote.js';
import { forcedSessionOptions } from './pg-session.js';

export { shellQuote };

export interface SandboxSettings {
  dataDir: string;
  /** The server's socket folder as it sees it (its account's, 0700): the only place it listens. */
  socketDir: string;
  port: number;
  hbaFile?: string;
  identFile?: string;
  /** The recovery's own restore_command (empty: none). */
  restoreCommand?: string;
}

/** The settings every scratch server starts with, in the order given to postgres -c. */
export function sandboxSettings(s: SandboxSettings): [string, string][] {
  const settings: [string, string][] = [
    ['data_directory', s.dataDir],
    ['port', String(s.port)],
    ['listen_addresses', ''],
    ['unix_socket_directories', s.socketDir],
    ['unix_socket_permissions', '0700'],
    ['unix_socket_group', ''],
    ['external_pid_file', ''],
    ['shared_preload_libraries', ''],
    ['session_preload_libraries', ''],
    ['local_preload_libraries', ''],
    ['dynamic_library_path', '$libdir'],
    ['jit', 'off'],
    ['archive_mode', 'off'],
    ['archive_command', ''],
    ['archive_library', ''],
    ['restore_command', s.restoreCommand ?? ''],
    ['recovery_end_command', ''],
    ['archive_cleanup_command', ''],
    ['ssl', 'off'],
    ['ssl_passphrase_command', ''],
    ['logging_collector', 'off'],
    ['log_destination', 'stderr'],
    ['event_triggers', 'off'],
  ];
  if (s.hbaFile) settings.push(['hba_file', s.hbaFile]);
  if (s.identFile) settings.push(['ident_file', s.identFile]);
  return settings;
}

/** Settings a server of `major` knows (older ones refuse unknown names at start). */
export function settingsFor(major: number, settings: [string, string][]): [string, string][] {
  const since: Record<string, number> = {
    archive_library: 15,
    ssl_passphrase_command: 11,
    jit: 11,
    session_preload_libraries: 9.4,
    event_triggers: 17,
    restore_command: 12,
    recovery_end_command: 12,
    archive_cleanup_command: 12,
    recovery_target_timeline: 12,
    unix_socket_directories: 9.3,
  };
  return settings.filter(([name]) => (since[name] ?? 0) <= major);
}

/** The settings as postgres arguments (no shell in between). */
export function postgresArgs(settings: [string, string][]): string[] {
  return settings.flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}

const SAFE_PATH = '/usr/local/bin:/usr/bin:/bin';

/** The scratch server's whole environment: nothing of the operator's (no AWS_*, no PG*, no proxies). */
export function serverEnv(): NodeJS.ProcessEnv {
  return { PATH: SAFE_PATH, LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
}

/** The search_path of our own sessions: system objects only, temporary ones last. */
const SYSTEM_SEARCH_PATH = 'pg_catalog,pg_temp';

/** What each session of ours sets before anything runs, winning over role and database settings. */
function sessionOptions(searchPath = SYSTEM_SEARCH_PATH): string {
  return `-c search_path=${searchPath} -c session_preload_libraries= -c local_preload_libraries= ${forcedSessionOptions(true)}`;
}

/** Every transaction READ ONLY, or (for our writes to the copy) none, whatever the copy's default. */
const readOnlyOption = (readOnly: boolean): string => ` -c default_transaction_read_only=${readOnly ? 'on' : 'off'}`;

/** The environment of psql, pg_dump and pg_isready against a scratch server; with `readOnly`, every transaction is READ ONLY. */
export function clientEnv(searchPath = SYSTEM_SEARCH_PATH, readOnly = false): NodeJS.ProcessEnv {
  return { ...serverEnv(), PGOPTIONS: `${sessionOptions(searchPath)}${readOnlyOption(readOnly)}` };
}

/**
 * The same for a session of a role that is no superuser: such a role may not set
 * session_preload_libraries (the reader's preparation takes away the settings that would load one).
 * With `readOnly`, every transaction of the session is READ ONLY.
 */
export function unprivilegedClientEnv(searchPath = SYSTEM_SEARCH_PATH, readOnly = false): NodeJS.ProcessEnv {
  return {
    ...serverEnv(),
    PGOPTIONS: `-c search_path=${searchPath} -c local_preload_libraries= ${forcedSessionOptions(false)}${readOnlyOption(readOnly)}`,
  };
}
