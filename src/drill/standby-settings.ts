/**
 * What a restored copy needs to be read as a hot standby: hot_standby on, and the settings PostgreSQL
 * requires a standby to hold at least at the primary's values, read from the copy's own control file
 * (systems/pg-control.ts, every layout from 9.4 on, CRC checked: no pg_controldata needed). A primary
 * that wrote too little WAL for a standby to serve queries (wal_level minimal or archive) has none,
 * nor has a control file whose CRC does not match a known layout: its copy is promoted as before.
 */
import { messageOf } from '../core/errors.js';
import { readPgControl, type PgControl } from '../systems/pg-control.js';
import { DrillFailed } from './exit-codes.js';

/** The levels at which a primary's WAL serves a hot standby (hot_standby is 9.4 and 9.5's name for replica). */
const HOT_STANDBY_LEVELS = new Set(['hot_standby', 'replica', 'logical']);

/** The standby's settings from its control file; null when that file cannot be trusted or its wal_level allows no hot standby. */
export function standbySettingsOf(control: PgControl): [string, string][] | null {
  const s = control.settings;
  if (!control.crcOk || !HOT_STANDBY_LEVELS.has(s.walLevel)) return null;
  const settings: [string, number | null][] = [
    ['max_connections', s.maxConnections],
    ['max_worker_processes', s.maxWorkerProcesses],
    ['max_wal_senders', s.maxWalSenders],
    ['max_prepared_transactions', s.maxPreparedXacts],
    ['max_locks_per_transaction', s.maxLocksPerXact],
  ];
  return [
    ['hot_standby', 'on'],
    ...settings.filter((e): e is [string, number] => e[1] !== null).map(([k, v]): [string, string] => [k, String(v)]),
  ];
}

/**
 * The hot standby settings of the copy of PostgreSQL `major` in `dataDir`; null when it cannot be one.
 * A copy without a control file to read is no database PostgreSQL can start on.
 */
export async function standbySettings(dataDir: string, major: string): Promise<[string, string][] | null> {
  const control = await readPgControl(dataDir, major).catch((err: unknown) => {
    throw new DrillFailed('not-restorable', `the restored copy's global/pg_control cannot be read: ${messageOf(err)}`, {
      hint: 'PostgreSQL cannot start without it: the base backup is incomplete; restore another one.',
      cause: err,
    });
  });
  return standbySettingsOf(control);
}
