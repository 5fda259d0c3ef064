/**
 * The `base_…_backup_stop_sentinel.json` wal-e writes once a base backup is
 * fully uploaded: {wal_segment_backup_stop, wal_segment_offset_backup_stop,
 * expanded_size_bytes, spec: {base_prefix, tablespaces: [...], <name>: {loc, link}}}.
 * The offset is pg_xlogfile_name_offset's file_offset left-padded to 8
 * characters, i.e. a DECIMAL string such as "00000240".
 */
import { StepFailed } from '../core/errors.js';
import { isSegmentName } from './segments.js';
import { isRecord } from '../core/json.js';

interface TablespaceLocation {
  loc: string;
  link: string;
}

interface SentinelSpec {
  basePrefix: string | null;
  tablespaces: string[];
  locations: Record<string, TablespaceLocation>;
}

export interface Sentinel {
  walSegmentBackupStop: string;
  walSegmentOffsetBackupStop: number;
  expandedSizeBytes: number | null;
  spec: SentinelSpec | null;
}

export function parseSentinel(body: Buffer | string, source = 'backup sentinel'): Sentinel {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const fail = (what: string): never => {
    throw new StepFailed(`${source} is not a wal-e backup sentinel: ${what}`, {
      hint: 'a wal-e sentinel is JSON with wal_segment_backup_stop and wal_segment_offset_backup_stop; if the upload was cut short, treat this backup as incomplete and use an older one',
    });
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail(`it is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isRecord(json)) return fail('it is not a JSON object');
  const stop = json['wal_segment_backup_stop'];
  if (typeof stop !== 'string' || !isSegmentName(stop))
    return fail('wal_segment_backup_stop is missing or not a 24-hex-digit segment name');
  const offset = decimal(json['wal_segment_offset_backup_stop']);
  if (offset === null) return fail('wal_segment_offset_backup_stop is missing or not a decimal number');
  const sizeRaw = json['expanded_size_bytes'];
  const expandedSizeBytes = sizeRaw === undefined || sizeRaw === null ? null : decimal(sizeRaw);
  if (sizeRaw !== undefined && sizeRaw !== null && expandedSizeBytes === null) fail('expanded_size_bytes is not a number');
  return {
    walSegmentBackupStop: stop,
    walSegmentOffsetBackupStop: offset,
    expandedSizeBytes,
    spec: json['spec'] === undefined || json['spec'] === null ? null : parseSpec(json['spec'], fail),
  };
}

function parseSpec(raw: unknown, fail: (what: string) => never): SentinelSpec {
  if (!isRecord(raw)) return fail('spec is not an object');
  const base = raw['base_prefix'] ?? null;
  if (base !== null && typeof base !== 'string') return fail('spec.base_prefix is not a string');
  const list = raw['tablespaces'] ?? [];
  if (!isStringList(list)) return fail('spec.tablespaces is not a list of names');
  const locations: Record<string, TablespaceLocation> = {};
  for (const name of list) {
    const loc = raw[name];
    if (!isRecord(loc)) return fail(`spec has no {loc, link} for tablespace "${name}"`);
    const { loc: where, link } = loc;
    if (typeof where !== 'string' || typeof link !== 'string') return fail(`spec has no {loc, link} for tablespace "${name}"`);
    locations[name] = { loc: where, link };
  }
  return { basePrefix: base, tablespaces: list, locations };
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((t) => typeof t === 'string');
}

function decimal(v: unknown): number | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : null;
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
  return null;
}
