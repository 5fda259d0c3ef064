/** The first steps of inspecting an archive: sort every key into its place, and say what the layout shows. */
import type { ObjectInfo } from '../core/seams.js';
import { someOf } from '../core/screen-lines.js';
import { formatS3Url } from '../core/s3-url.js';
import type { BackupDraft } from '../wale/backups.js';
import { classifyKey } from '../wale/keys.js';
import type { ArchiveLayout } from '../wale/report.js';

/** Examples named in a message. */
const EXAMPLES = 5;

/** What an inspection found wrong (problems) or odd (warnings), in words for operators. */
export interface Findings {
  problems: string[];
  warnings: string[];
}

/** The archive's keys, each in its place in the wal-e layout. */
export interface SortedKeys {
  /** Every object once, in key order, and their bytes. */
  objects: ObjectInfo[];
  bytes: number;
  backups: Map<string, BackupDraft>;
  /** WAL segments by name: the `.lzo` objects, the only ones wal-fetch reads. */
  segments: Map<string, ObjectInfo>;
  /** Backup labels by `<segment>.<offset>`. */
  labels: Map<string, string>;
  histories: Map<number, ObjectInfo>;
  walg: string[];
  unknown: string[];
  /** Segments and history files stored without .lzo, which a restore never reads. */
  uncompressed: string[];
  /** `.partial` segments (what a promoted standby archives of its last segment), which replay never asks for by that name. */
  partials: { segment: string; lzo: boolean; object: ObjectInfo }[];
  sysidObject: ObjectInfo | null;
  /** Keys only wal-e writes. */
  waleKeys: number;
  layout: ArchiveLayout;
}

export function sortKeys(prefix: string, listed: ObjectInfo[]): SortedKeys {
  const byKey = new Map<string, ObjectInfo>();
  for (const o of listed) byKey.set(o.key, o);
  const objects = [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const keys: SortedKeys = {
    objects,
    bytes: objects.reduce((n, o) => n + o.size, 0),
    backups: new Map(),
    segments: new Map(),
    labels: new Map(),
    histories: new Map(),
    walg: [],
    unknown: [],
    uncompressed: [],
    partials: [],
    sysidObject: null,
    waleKeys: 0,
    layout: 'empty',
  };
  for (const o of objects) place(keys, prefix, o);
  const { waleKeys, walg } = keys;
  keys.layout =
    objects.length === 0 ? 'empty' : waleKeys > 0 ? (walg.length > 0 ? 'mixed' : 'wal-e') : walg.length > 0 ? 'wal-g' : 'unknown';
  return keys;
}

function draft(keys: SortedKeys, name: string): BackupDraft {
  let d = keys.backups.get(name);
  if (!d) keys.backups.set(name, (d = { name, parts: new Map() }));
  return d;
}

function place(keys: SortedKeys, prefix: string, o: ObjectInfo): void {
  const rel = o.key.startsWith(prefix) ? o.key.slice(prefix.length) : null;
  const c = rel === null ? ({ kind: 'unknown' } as const) : classifyKey(rel);
  switch (c.kind) {
    case 'extended-version':
      draft(keys, c.backup).extendedVersion = o;
      keys.waleKeys++;
      break;
    case 'tar-partition':
      draft(keys, c.backup).parts.set(c.index, o);
      keys.waleKeys++;
      break;
    case 'sentinel':
      draft(keys, c.backup).sentinel = o;
      keys.waleKeys++;
      break;
    case 'wal-segment':
      keys.segments.set(c.segment, o);
      keys.waleKeys++;
      break;
    case 'wal-uncompressed':
      keys.uncompressed.push(c.name);
      keys.waleKeys++;
      break;
    case 'backup-label':
      keys.labels.set(`${c.segment}.${c.offset}`, o.key);
      keys.waleKeys++;
      break;
    case 'history':
      keys.histories.set(c.timeline, o);
      break;
    case 'sysid':
      keys.sysidObject = o;
      break;
    case 'walg-backup-file':
    case 'walg-sentinel':
    case 'walg-wal':
      keys.walg.push(o.key);
      break;
    case 'unknown':
      keys.unknown.push(o.key);
      break;
    case 'wal-partial':
      keys.partials.push({ segment: c.segment, lzo: c.lzo, object: o });
      keys.waleKeys++;
      break;
    case 'directory':
      break;
  }
}

/** What the layout alone shows: an empty or misplaced prefix, wal-g keys, unknown keys, a missing sysid. */
export function layoutFindings(bucket: string, prefix: string, keys: SortedKeys, siblings: string[], found: Findings): void {
  const url = formatS3Url(bucket, prefix);
  const { layout, walg, unknown } = keys;
  if (keys.objects.length === 0) {
    found.problems.push(emptyProblem(url, siblings));
  } else {
    const nested = nestedArchives(prefix, unknown);
    if (nested.length > 0 && keys.waleKeys === 0) {
      found.problems.push(
        `No wal-e archive sits directly under ${url}, but one seems to be at ${nested.map((p) => formatS3Url(bucket, p)).join(', ')}. Use that prefix (it ends in /wal/ for Dingo).`,
      );
    }
    if (/(^|\/)(wal_005|basebackups_005|sysids)\/$/.test(prefix)) {
      const parent = prefix.replace(/[^/]+\/$/, '');
      found.problems.push(`${url} is a folder inside a wal-e archive; the archive prefix is ${formatS3Url(bucket, parent)}.`);
    }
  }
  if (layout === 'wal-g') {
    found.problems.push(
      `${url} holds a wal-g archive (e.g. ${walg[0]!.slice(prefix.length)}): Dingo containers restore with wal-e 0.9, which cannot read it. Restore it with wal-g, or find the instance's wal-e archive.`,
    );
  } else if (layout === 'mixed') {
    found.warnings.push(
      `${walg.length} key(s) look like wal-g's (e.g. ${walg[0]!.slice(prefix.length)}); wal-e ignores them. Were two tools writing to ${url}?`,
    );
  }
  if (unknown.length > 0) {
    found.warnings.push(
      `${unknown.length} key(s) match no wal-e name and are ignored: ${someOf(
        unknown.map((k) => k.slice(prefix.length) || k),
        EXAMPLES,
      )}.`,
    );
  }
  if (keys.uncompressed.length > 0) {
    const names = keys.uncompressed;
    found.warnings.push(
      `${names.length} WAL file(s) are stored without .lzo (${someOf(names, EXAMPLES)}): wal-e's wal-fetch asks only for NAME.lzo, so a restore never reads them, and the WAL check leaves them out. If they are the only copy, compress each with lzop and store it as NAME.lzo.`,
    );
  }
  if ((layout === 'wal-e' || layout === 'mixed') && !keys.sysidObject) {
    found.problems.push(
      `sysids/sysid is missing: on start the container copies it into etcd's /initialize. Without it, write the database system identifier of the restored backup (pg_controldata) to ${url}sysids/sysid.`,
    );
  }
}

function emptyProblem(url: string, siblings: string[]): string {
  let text = `Nothing is stored under ${url}. Check the prefix: Dingo archives are s3://BUCKET/backups/<instance GUID>/wal/, as in the "DETAIL: Uploading … to" log lines of the old instance.`;
  if (siblings.length > 0) {
    text += ` Similar prefixes exist: ${someOf(siblings, EXAMPLES)}.`;
  }
  return text;
}

/** Prefixes below `prefix` under which wal-e folders appear, from keys that matched nothing. */
function nestedArchives(prefix: string, unknown: string[]): string[] {
  const found = new Set<string>();
  for (const key of unknown) {
    const m = /^(.*?\/)(?:basebackups_005|wal_005|sysids)\//.exec(key.slice(prefix.length));
    if (m?.[1]) found.add(prefix + m[1]);
    if (found.size >= EXAMPLES) break;
  }
  return [...found];
}
