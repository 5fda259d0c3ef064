/**
 * What a restored copy needs to be read as a hot standby: hot_standby on, and the settings PostgreSQL
 * requires a standby to hold at least at the primary's values, read from the copy's control file
 * (pg_controldata, run as the scratch account that owns it). A primary that wrote too little WAL for
 * a standby to serve queries (wal_level minimal or archive) has none: its copy is promoted as before.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalProcesses, RunAs } from '../core/seams.js';
import { serverEnv } from '../systems/pg-sandbox.js';

/** pg_controldata's line ("Current max_connections setting:" before 10) → the setting a standby must hold at least at that value. */
const CONTROL_SETTINGS: [RegExp, string][] = [
  [/^(?:Current )?max_connections setting:\s+(\d+)$/m, 'max_connections'],
  [/^(?:Current )?max_worker_processes setting:\s+(\d+)$/m, 'max_worker_processes'],
  [/^(?:Current )?max_wal_senders setting:\s+(\d+)$/m, 'max_wal_senders'],
  [/^(?:Current )?max_prepared_xacts setting:\s+(\d+)$/m, 'max_prepared_transactions'],
  [/^(?:Current )?max_locks_per_xact setting:\s+(\d+)$/m, 'max_locks_per_transaction'],
];

/** The standby's settings from pg_controldata's output; null when its wal_level allows no hot standby. */
export function parseStandbySettings(controlData: string): [string, string][] | null {
  const level = /^(?:Current )?wal_level setting:\s+(\S+)$/m.exec(controlData)?.[1];
  if (level !== 'replica' && level !== 'hot_standby' && level !== 'logical') return null;
  const settings: [string, string][] = [['hot_standby', 'on']];
  for (const [line, name] of CONTROL_SETTINGS) {
    const value = line.exec(controlData)?.[1];
    if (value !== undefined) settings.push([name, value]);
  }
  return settings;
}

/**
 * The hot standby settings of the copy in `dataDir`, read with the server binaries in `bin`; null when
 * it cannot be one, or when those binaries come without pg_controldata (only a server package's own
 * reads its major's control file).
 */
export async function standbySettings(
  bin: string,
  dataDir: string,
  as: RunAs | undefined,
  processes: LocalProcesses,
): Promise<[string, string][] | null> {
  const program = join(bin, 'pg_controldata');
  if (
    !(await access(program, constants.X_OK).then(
      () => true,
      () => false,
    ))
  )
    return null;
  const r = await processes.runOk([program, dataDir], { as, env: serverEnv() });
  return parseStandbySettings(r.stdout);
}
