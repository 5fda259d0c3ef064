/**
 * Reads `global/pg_control` without starting anything, and without the major's pg_controldata. The
 * struct changed between releases (pg-control-layouts.ts has every layout from 9.4 on); the CRC at
 * the end of the struct proves the layout was the right one: CRC-32C from 9.5 on, the pre-9.5
 * "legacy" CRC before (pg-crc.ts). The volume finder and the drill's paused copy both read it.
 */

import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { headOf } from '../core/read-regular.js';
import { LAYOUTS, RESOLVED } from './pg-control-layouts.js';
import { crc32c, legacyCrc32 } from './pg-crc.js';

export { crcOffset, LAYOUTS } from './pg-control-layouts.js';
export { crc32c, legacyCrc32 } from './pg-crc.js';

type DbState =
  'starting up' | 'shut down' | 'shut down in recovery' | 'shutting down' | 'in crash recovery' | 'in archive recovery' | 'in production';

/** DBState, unchanged since 9.4 (pg_control.h). */
const DB_STATES: readonly DbState[] = [
  'starting up',
  'shut down',
  'shut down in recovery',
  'shutting down',
  'in crash recovery',
  'in archive recovery',
  'in production',
];

/** wal_level by its number: 9.6 folded archive and hot_standby into replica (xlog.h's WalLevel). */
const WAL_LEVELS_BEFORE_96 = ['minimal', 'archive', 'hot_standby', 'logical'];
const WAL_LEVELS = ['minimal', 'replica', 'logical'];

/**
 * The settings the server last ran with that a hot standby replaying its WAL must hold at least
 * (pg_controldata's "… setting:" lines). max_wal_senders is there from 12 on.
 */
interface ControlSettings {
  walLevel: string;
  maxConnections: number;
  maxWorkerProcesses: number;
  maxWalSenders: number | null;
  maxPreparedXacts: number;
  maxLocksPerXact: number;
}

export interface PgControl {
  /** The layout that read it: "9.4", "9.5", "9.6", "10", "11", "12", "13". */
  layout: string;
  pgControlVersion: number;
  catalogVersion: number;
  /** Decimal: it does not fit a JS number. */
  systemIdentifier: string;
  state: DbState | `unknown (${number})`;
  /** True when the server was shut down cleanly (nothing to replay). */
  cleanShutdown: boolean;
  /** When pg_control was last written. */
  modifiedAt: string;
  /** Location of the latest checkpoint record, as pg_controldata prints it (0/16D6F70). */
  checkpointLocation: string;
  /** REDO location of the latest checkpoint. */
  redoLocation: string;
  /** The size of its WAL segments (initdb --wal-segsize; 16 MiB unless set). */
  walSegmentBytes: number;
  /** Time of the latest checkpoint. */
  checkpointAt: string;
  timeline: number;
  settings: ControlSettings;
  /** Whether the CRC stored in the file matches its contents. */
  crcOk: boolean;
}

export class PgControlError extends Error {
  override name = 'PgControlError';
}

function lsn(v: bigint): string {
  return `${(v >> 32n).toString(16).toUpperCase()}/${(v & 0xffffffffn).toString(16).toUpperCase()}`;
}

function isoOf(seconds: bigint): string {
  const ms = Number(seconds) * 1000;
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : `invalid (${seconds})`;
}

/**
 * Parses pg_control. `major` is what PG_VERSION says ("9.5", "15"); it settles the layout where the
 * control version alone does not (9.4 and 9.5 both write 942). Releases after the newest layout known
 * here are read with it when their CRC matches it.
 */
export function parsePgControl(buf: Buffer, major?: string): PgControl {
  if (buf.length < 64) throw new PgControlError(`pg_control is ${buf.length} bytes; a real one is 8192`);
  const version = buf.readUInt32LE(8);
  let candidates = RESOLVED.filter((r) => r.layout.controlVersion === version);
  if (candidates.length > 1 && major) {
    const exact = candidates.filter((r) => r.layout.name === major);
    if (exact.length) candidates = exact;
  }
  if (candidates.length === 0) {
    // A version not known here (a later release's): read with the newest layout before it, its CRC saying whether that holds.
    const newest = RESOLVED.filter((r) => r.layout.controlVersion < version).at(-1);
    if (newest && newest.layout.controlVersion >= 1300 && version < 10000) candidates = [newest];
    else
      throw new PgControlError(
        `pg_control version ${version} is not one of PostgreSQL 9.4 or later (${[...new Set(LAYOUTS.map((l) => l.controlVersion))].join(', ')})`,
      );
  }
  // Prefer the layout whose CRC matches; a mismatch on every one is reported, not hidden.
  const checked = candidates.map((r) => {
    const at = r.control.offsets.get('crc')!;
    const covered = buf.subarray(0, at);
    const computed = r.layout.crc === 'crc32c' ? crc32c(covered) : legacyCrc32(covered);
    return { r, ok: buf.length >= at + 4 && buf.readUInt32LE(at) === computed };
  });
  const { r, ok } = checked.find((c) => c.ok) ?? checked[0]!;
  const c = r.control.offsets;
  const cp = c.get('checkPointCopy')!;
  const cpo = r.checkpoint.offsets;
  const stateNo = buf.readInt32LE(c.get('state'));
  const state = DB_STATES[stateNo] ?? (`unknown (${stateNo})` as const);
  return {
    layout: r.layout.name,
    pgControlVersion: version,
    catalogVersion: buf.readUInt32LE(12),
    systemIdentifier: buf.readBigUInt64LE(0).toString(),
    state,
    cleanShutdown: state === 'shut down' || state === 'shut down in recovery',
    modifiedAt: isoOf(buf.readBigInt64LE(c.get('time'))),
    checkpointLocation: lsn(buf.readBigUInt64LE(c.get('checkPoint'))),
    redoLocation: lsn(buf.readBigUInt64LE(cp + cpo.get('redo')!)),
    walSegmentBytes: buf.readUInt32LE(c.get('xlog_seg_size')),
    checkpointAt: isoOf(buf.readBigInt64LE(cp + cpo.get('time')!)),
    timeline: buf.readUInt32LE(cp + cpo.get('ThisTimeLineID')!),
    settings: controlSettings(buf, c, r.layout.name),
    crcOk: ok,
  };
}

function controlSettings(buf: Buffer, at: Map<string, number>, layout: string): ControlSettings {
  const int = (field: string): number => buf.readInt32LE(at.get(field));
  const level = int('wal_level');
  const senders = at.get('max_wal_senders');
  return {
    walLevel: (layout === '9.4' || layout === '9.5' ? WAL_LEVELS_BEFORE_96 : WAL_LEVELS)[level] ?? `unknown (${level})`,
    maxConnections: int('MaxConnections'),
    maxWorkerProcesses: int('max_worker_processes'),
    maxWalSenders: senders === undefined ? null : buf.readInt32LE(senders),
    maxPreparedXacts: int('max_prepared_xacts'),
    maxLocksPerXact: int('max_locks_per_xact'),
  };
}

/**
 * The control file of the data folder `dataDir` of PostgreSQL `major`, opened as a regular file
 * inside it (never through a link, never waiting on a FIFO: core/read-regular.ts).
 */
export async function readPgControl(dataDir: string, major: string): Promise<PgControl> {
  const root = await realpath(dataDir);
  return parsePgControl(await headOf(join(root, 'global', 'pg_control'), root, 8192), major);
}
