/**
 * Turns a restored base backup into a private, throwaway archive recovery:
 * the archive's own settings are set aside (they would push WAL into the
 * production archive, listen on the network, or need the original paths) and
 * replaced by a minimal configuration whose restore_command copies the WAL the drill fetched.
 * The server also starts with the same settings on its command line (systems/pg-sandbox.ts),
 * which win over any file.
 */
import { constants } from 'node:fs';
import { lstat, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DrillFailed } from './exit-codes.js';
import { kindOf } from '../core/file-kind.js';
import { majorNumber } from './local-pg.js';
import type { RunAs } from '../systems/processes.js';
import { targetSettings, type RecoveryTarget } from './recovery-target.js';

export interface RecoverySettings {
  dataDir: string;
  /** Local major version, e.g. "15" or "9.5". */
  major: string;
  /** The command PostgreSQL runs per WAL file; %f and %p are substituted by PostgreSQL. */
  restoreCommand: string;
  port: number;
  socketDir: string;
  /** Owner of the written files (PostgreSQL's account when we run as root). */
  as?: RunAs;
  /** Stop replay there (recovery-target.ts) and end recovery. */
  target?: RecoveryTarget | null;
  /** Pause at the target as a hot standby with these settings (standby-settings.ts) instead of ending recovery. */
  standby?: [string, string][] | null;
}

/** A string literal in postgresql.conf / recovery.conf syntax. */
export function confString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** Refuses, naming it, what is at `path` when it is not a regular file: the drill follows no link. */
function notAFile(path: string, what: string): DrillFailed {
  return new DrillFailed(
    'not-restorable',
    `${JSON.stringify(path)} in the restored data folder is ${what}, not a regular file: the drill follows no link`,
    {
      hint: 'The base backup holds something PostgreSQL does not make there; find out who wrote the archive before restoring it anywhere.',
    },
  );
}

/** The archive's file renamed aside (a regular file only; nothing there is fine). */
async function setAside(path: string): Promise<void> {
  const st = await lstat(path).catch(() => null);
  if (!st) return;
  if (!st.isFile()) throw notAFile(path, kindOf(st));
  await rename(path, `${path}.from-archive`);
}

/** A file the drill removes (a regular file only; nothing there is fine). */
async function remove(path: string): Promise<void> {
  const st = await lstat(path).catch(() => null);
  if (!st) return;
  if (!st.isFile()) throw notAFile(path, kindOf(st));
  await rm(path);
}

/** A new file of ours: never through a link, never over anything already there. */
async function create(path: string, text: string, as: RunAs | undefined): Promise<void> {
  const fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600).catch(
    async (err: unknown) => {
      const st = await lstat(path).catch(() => null);
      throw st ? notAFile(path, `already there (${kindOf(st)})`) : err;
    },
  );
  try {
    await fh.writeFile(text);
    if (as) await fh.chown(as.uid, as.gid);
  } finally {
    await fh.close();
  }
}

/** The recovery settings: where WAL comes from, the timeline, and where replay stops (pausing there for a standby). */
function recoveryLines(s: RecoverySettings): string[] {
  const timeline = s.target?.timeline ?? 'latest';
  const recovery = [`restore_command = ${confString(s.restoreCommand)}`];
  // recovery.conf (before 12) knows "latest" or a number: "current" would be read by strtoul as 0, which
  // is latest (xlog.c readRecoveryCommandFile). Its default is the base backup's timeline: "current".
  if (!(timeline === 'current' && majorNumber(s.major) < 12)) recovery.push(`recovery_target_timeline = ${confString(timeline)}`);
  if (s.target) recovery.push(...targetSettings(s.target, s.major, !!s.standby).map(([k, v]) => `${k} = ${confString(v)}`));
  return recovery;
}

/** The file of ours that holds the recovery settings, and its text. */
function recoveryFile(s: RecoverySettings): [string, string] {
  const lines = recoveryLines(s).join('\n');
  return majorNumber(s.major) >= 12
    ? ['postgresql.auto.conf', `# Written by dingo-recover drill.\n${lines}\n`]
    : ['recovery.conf', `${lines}\n`];
}

/**
 * A paused copy's recovery settings written anew for another target (its server stopped): a new file
 * of ours renamed over the one written before, which must still be a regular file.
 */
export async function retargetRecoveryConfig(s: RecoverySettings): Promise<void> {
  const [name, text] = recoveryFile(s);
  const path = join(s.dataDir, name);
  const st = await lstat(path).catch(() => null);
  if (!st?.isFile()) throw notAFile(path, st ? kindOf(st) : 'missing');
  const next = `${path}.dingo-recover-next`;
  await remove(next);
  await create(next, text, s.as);
  await rename(next, path);
}

/** Files written into the data folder (returned for the report and tests). */
export async function writeRecoveryConfig(s: RecoverySettings): Promise<string[]> {
  const written: string[] = [];
  const put = async (name: string, text: string): Promise<void> => {
    await create(join(s.dataDir, name), text, s.as);
    written.push(name);
  };
  for (const name of ['postgresql.conf', 'postgresql.auto.conf', 'pg_hba.conf', 'pg_ident.conf', 'recovery.conf']) {
    await setAside(join(s.dataDir, name));
  }
  // A backup taken from a replica may carry these; this recovery is not a standby.
  for (const name of ['standby.signal', 'recovery.signal', 'postmaster.pid', 'postmaster.opts']) {
    await remove(join(s.dataDir, name));
  }
  await put(
    'postgresql.conf',
    [
      "# Written by dingo-recover drill; the archive's settings are in postgresql.conf.from-archive.",
      "listen_addresses = ''",
      `port = ${s.port}`,
      `${majorNumber(s.major) >= 9.3 ? 'unix_socket_directories' : 'unix_socket_directory'} = ${confString(s.socketDir)}`,
      // Never push WAL from a drill: the archive_command of the source would write into its archive.
      'archive_mode = off',
      // No connections until recovery ends, so the primary's max_connections & co. need not be matched; a
      // standby read at its pause matches them (from the control file).
      ...(s.standby ?? [['hot_standby', 'off']]).map(([k, v]) => `${k} = ${v}`),
      'fsync = off',
      "shared_preload_libraries = ''",
      'ssl = off',
      'logging_collector = off',
      "log_destination = 'stderr'",
      '',
    ].join('\n'),
  );
  await put('pg_hba.conf', 'local all all trust\n');
  await put('pg_ident.conf', '');
  const [name, text] = recoveryFile(s);
  if (name === 'postgresql.auto.conf') {
    await put(name, text);
    await put('recovery.signal', '');
  } else {
    await put('postgresql.auto.conf', '# Written by dingo-recover drill.\n');
    await put(name, text);
  }
  return written;
}
