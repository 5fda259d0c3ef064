/**
 * Reads `global/pg_control` without starting anything. The struct (ControlFileData, with a copy of
 * the last CheckPoint record) changed between releases; each layout below follows PostgreSQL's own
 * `src/include/catalog/pg_control.h` at that release, laid out with the C alignment rules of the
 * 64-bit little-endian platforms Docker images are built for. The CRC at the end of the struct
 * proves the layout was the right one: CRC-32C from 9.5 on, the pre-9.5 "legacy" CRC before.
 */

/** A field of a C struct: its name and type. */
type FieldType = 'u64' | 'i64' | 'u32' | 'i32' | 'bool' | 'double' | 'nonce32' | 'checkpoint';
type Field = readonly [name: string, type: FieldType];

export type DbState =
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
  /** Time of the latest checkpoint. */
  checkpointAt: string;
  timeline: number;
  /** Whether the CRC stored in the file matches its contents. */
  crcOk: boolean;
}

export class PgControlError extends Error {
  override name = 'PgControlError';
}

// CheckPoint (pg_control.h). 9.5 added the commit-timestamp XIDs; 12 replaced nextXidEpoch + nextXid
// by a 64-bit FullTransactionId.
const CHECKPOINT_94: Field[] = [
  ['redo', 'u64'],
  ['ThisTimeLineID', 'u32'],
  ['PrevTimeLineID', 'u32'],
  ['fullPageWrites', 'bool'],
  ['nextXidEpoch', 'u32'],
  ['nextXid', 'u32'],
  ['nextOid', 'u32'],
  ['nextMulti', 'u32'],
  ['nextMultiOffset', 'u32'],
  ['oldestXid', 'u32'],
  ['oldestXidDB', 'u32'],
  ['oldestMulti', 'u32'],
  ['oldestMultiDB', 'u32'],
  ['time', 'i64'],
  ['oldestActiveXid', 'u32'],
];
const CHECKPOINT_95: Field[] = [
  ...CHECKPOINT_94.slice(0, 14),
  ['oldestCommitTsXid', 'u32'],
  ['newestCommitTsXid', 'u32'],
  ['oldestActiveXid', 'u32'],
];
const CHECKPOINT_12: Field[] = [
  ['redo', 'u64'],
  ['ThisTimeLineID', 'u32'],
  ['PrevTimeLineID', 'u32'],
  ['fullPageWrites', 'bool'],
  ['nextFullXid', 'u64'],
  ...CHECKPOINT_95.slice(6),
];

interface ControlLayoutOptions {
  prevCheckPoint: boolean;
  maxWalSenders: boolean;
  trackCommitTimestamp: boolean;
  enableIntTimes: boolean;
  float4ByVal: boolean;
  nonce: boolean;
}

/** ControlFileData (pg_control.h), with the fields that came and went between releases. */
function controlFields(o: ControlLayoutOptions): Field[] {
  const f: Field[] = [
    ['system_identifier', 'u64'],
    ['pg_control_version', 'u32'],
    ['catalog_version_no', 'u32'],
    ['state', 'i32'],
    ['time', 'i64'],
    ['checkPoint', 'u64'],
  ];
  if (o.prevCheckPoint) f.push(['prevCheckPoint', 'u64']);
  f.push(
    ['checkPointCopy', 'checkpoint'],
    ['unloggedLSN', 'u64'],
    ['minRecoveryPoint', 'u64'],
    ['minRecoveryPointTLI', 'u32'],
    ['backupStartPoint', 'u64'],
    ['backupEndPoint', 'u64'],
    ['backupEndRequired', 'bool'],
    ['wal_level', 'i32'],
    ['wal_log_hints', 'bool'],
    ['MaxConnections', 'i32'],
    ['max_worker_processes', 'i32'],
  );
  if (o.maxWalSenders) f.push(['max_wal_senders', 'i32']);
  f.push(['max_prepared_xacts', 'i32'], ['max_locks_per_xact', 'i32']);
  if (o.trackCommitTimestamp) f.push(['track_commit_timestamp', 'bool']);
  f.push(
    ['maxAlign', 'u32'],
    ['floatFormat', 'double'],
    ['blcksz', 'u32'],
    ['relseg_size', 'u32'],
    ['xlog_blcksz', 'u32'],
    ['xlog_seg_size', 'u32'],
    ['nameDataLen', 'u32'],
    ['indexMaxKeys', 'u32'],
    ['toast_max_chunk_size', 'u32'],
    ['loblksize', 'u32'],
  );
  if (o.enableIntTimes) f.push(['enableIntTimes', 'bool']);
  if (o.float4ByVal) f.push(['float4ByVal', 'bool']);
  f.push(['float8ByVal', 'bool'], ['data_checksum_version', 'u32']);
  if (o.nonce) f.push(['mock_authentication_nonce', 'nonce32']);
  f.push(['crc', 'u32']);
  return f;
}

interface Layout {
  name: string;
  controlVersion: number;
  checkpoint: Field[];
  control: Field[];
  crc: 'crc32c' | 'legacy';
}

/** Every layout from 9.4 on. 9.4 and 9.5 share PG_CONTROL_VERSION 942: PG_VERSION tells them apart. */
export const LAYOUTS: readonly Layout[] = [
  {
    name: '9.4',
    controlVersion: 942,
    checkpoint: CHECKPOINT_94,
    crc: 'legacy',
    control: controlFields({
      prevCheckPoint: true,
      maxWalSenders: false,
      trackCommitTimestamp: false,
      enableIntTimes: true,
      float4ByVal: true,
      nonce: false,
    }),
  },
  ...[
    ['9.5', 942],
    ['9.6', 960],
  ].map(([name, v]) => ({
    name: String(name),
    controlVersion: Number(v),
    checkpoint: CHECKPOINT_95,
    crc: 'crc32c' as const,
    control: controlFields({
      prevCheckPoint: true,
      maxWalSenders: false,
      trackCommitTimestamp: true,
      enableIntTimes: true,
      float4ByVal: true,
      nonce: false,
    }),
  })),
  {
    name: '10',
    controlVersion: 1002,
    checkpoint: CHECKPOINT_95,
    crc: 'crc32c',
    control: controlFields({
      prevCheckPoint: true,
      maxWalSenders: false,
      trackCommitTimestamp: true,
      enableIntTimes: false,
      float4ByVal: true,
      nonce: true,
    }),
  },
  {
    name: '11',
    controlVersion: 1100,
    checkpoint: CHECKPOINT_95,
    crc: 'crc32c',
    control: controlFields({
      prevCheckPoint: false,
      maxWalSenders: false,
      trackCommitTimestamp: true,
      enableIntTimes: false,
      float4ByVal: true,
      nonce: true,
    }),
  },
  {
    name: '12',
    controlVersion: 1201,
    checkpoint: CHECKPOINT_12,
    crc: 'crc32c',
    control: controlFields({
      prevCheckPoint: false,
      maxWalSenders: true,
      trackCommitTimestamp: true,
      enableIntTimes: false,
      float4ByVal: true,
      nonce: true,
    }),
  },
  {
    name: '13',
    controlVersion: 1300,
    checkpoint: CHECKPOINT_12,
    crc: 'crc32c',
    control: controlFields({
      prevCheckPoint: false,
      maxWalSenders: true,
      trackCommitTimestamp: true,
      enableIntTimes: false,
      float4ByVal: false,
      nonce: true,
    }),
  },
];

const SIZE: Record<Exclude<FieldType, 'checkpoint'>, [size: number, align: number]> = {
  u64: [8, 8],
  i64: [8, 8],
  double: [8, 8],
  u32: [4, 4],
  i32: [4, 4],
  bool: [1, 1],
  nonce32: [32, 1],
};

interface Placed {
  offsets: Map<string, number>;
  size: number;
  align: number;
}

/** Offsets of a struct's fields under the C rules: each field at a multiple of its alignment. */
function place(fields: Field[], checkpoint?: Placed): Placed {
  const offsets = new Map<string, number>();
  let at = 0;
  let maxAlign = 1;
  for (const [name, type] of fields) {
    const [size, align] = type === 'checkpoint' ? [checkpoint!.size, checkpoint!.align] : SIZE[type];
    at = Math.ceil(at / align) * align;
    offsets.set(name, at);
    at += size;
    maxAlign = Math.max(maxAlign, align);
  }
  return { offsets, size: Math.ceil(at / maxAlign) * maxAlign, align: maxAlign };
}

interface Resolved {
  layout: Layout;
  control: Placed;
  checkpoint: Placed;
}

const RESOLVED: readonly Resolved[] = LAYOUTS.map((layout) => {
  const checkpoint = place(layout.checkpoint);
  return { layout, checkpoint, control: place(layout.control, checkpoint) };
});

/** Byte offset of the CRC in a layout (the length of what it covers). */
export function crcOffset(layoutName: string): number {
  const r = RESOLVED.find((x) => x.layout.name === layoutName);
  if (!r) throw new Error(`no pg_control layout ${layoutName}`);
  return r.control.offsets.get('crc')!;
}

function table(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}

const CRC32C_TABLE = table(0x82f63b78);
const CRC32_TABLE = table(0xedb88320);

/** CRC-32C (Castagnoli), reflected, as pg_crc32c computes it. */
export function crc32c(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of buf) crc = CRC32C_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The CRC of WAL and pg_control before 9.5 (pg_crc.h's LEGACY_CRC32): the reflected CRC-32 table
 * driven by non-reflected code.
 */
export function legacyCrc32(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of buf) crc = (CRC32_TABLE[((crc >>> 24) ^ byte) & 0xff]! ^ (crc << 8)) >>> 0;
  return (crc ^ 0xffffffff) >>> 0;
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
    if (version > 1300 && version < 10000) candidates = RESOLVED.filter((r) => r.layout.name === '13');
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
    checkpointAt: isoOf(buf.readBigInt64LE(cp + cpo.get('time')!)),
    timeline: buf.readUInt32LE(cp + cpo.get('ThisTimeLineID')!),
    crcOk: ok,
  };
}
