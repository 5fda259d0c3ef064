/**
 * Classifies the keys under a wal-e prefix (paths relative to the prefix).
 * wal-e 0.9 layout:
 *   basebackups_005/base_<start segment>_<offset, 8 decimal digits>/extended_version.txt
 *   basebackups_005/base_…/tar_partitions/part_%08d.tar.lzo
 *   basebackups_005/base_…_backup_stop_sentinel.json
 *   wal_005/<segment>.lzo, <segment>.<offset hex>.backup.lzo, <timeline>.history.lzo,
 *     <segment>.partial.lzo (a promoted standby's last segment)
 *     (wal-fetch asks for <name>.lzo and nothing else: a segment or history file without .lzo is
 *     never read by a restore)
 *   sysids/sysid (Dingo's own)
 * wal-g shares the top-level folders but names backups base_<segment> (no
 * offset), writes part_%03d.tar.<ext>, metadata.json, and compresses WAL with
 * lz4/lzma/zstd/brotli; those keys are recognised so a wal-g archive is named as such.
 */
import { isSegmentName } from './segments.js';

export type KeyClass =
  | { kind: 'extended-version'; backup: string }
  | { kind: 'tar-partition'; backup: string; index: number }
  | { kind: 'sentinel'; backup: string }
  | { kind: 'wal-segment'; segment: string }
  /** What a promoted standby archived of its last segment: `.partial.lzo` as wal-e stores it, or `.partial` uncompressed. */
  | { kind: 'wal-partial'; segment: string; lzo: boolean }
  | { kind: 'backup-label'; segment: string; offset: number }
  | { kind: 'history'; timeline: number }
  /** A segment or history file stored without .lzo: wal-e's wal-fetch asks only for NAME.lzo, so replay never reads it. */
  | { kind: 'wal-uncompressed'; name: string }
  | { kind: 'sysid' }
  | { kind: 'directory' }
  | { kind: 'walg-backup-file'; backup: string; file: string }
  | { kind: 'walg-sentinel'; backup: string }
  | { kind: 'walg-wal'; segment: string; ext: string }
  | { kind: 'unknown' };

const SEG = '[0-9A-F]{24}';
const WALE_BACKUP = `base_${SEG}_\\d{8}`;
const WALG_BACKUP = `base_${SEG}(?:_D_${SEG})?`;
const WALG_EXT = '(lz4|lzma|zst|br|gz|lzo)';

const RE = {
  waleFile: new RegExp(`^basebackups_005/(${WALE_BACKUP})/(.+)$`),
  waleSentinel: new RegExp(`^basebackups_005/(${WALE_BACKUP})_backup_stop_sentinel\\.json$`),
  walePart: /^tar_partitions\/part_(\d{8})\.tar\.lzo$/,
  walgFile: new RegExp(`^basebackups_005/(${WALG_BACKUP})/(.+)$`),
  walgSentinel: new RegExp(`^basebackups_005/(${WALG_BACKUP})_backup_stop_sentinel\\.json$`),
  walgPart: new RegExp(
    `^(?:metadata\\.json|files_metadata\\.json|tar_partitions/(?:part_\\d{3,}|pg_control|backup_label)\\.tar\\.${WALG_EXT})$`,
  ),
  segment: /^wal_005\/([0-9A-F]{24})\.lzo$/,
  partial: /^wal_005\/([0-9A-F]{24})\.partial(\.lzo)?$/,
  label: /^wal_005\/([0-9A-F]{24})\.([0-9A-F]{8})\.backup(?:\.lzo)?$/,
  history: /^wal_005\/([0-9A-F]{8})\.history\.lzo$/,
  uncompressed: /^wal_005\/([0-9A-F]{24}|[0-9A-F]{8}\.history)$/,
  walgWal: new RegExp(`^wal_005/(${SEG})(?:\\.partial)?\\.${WALG_EXT}$`),
};

/** Classify a key given relative to the archive prefix. */
export function classifyKey(rel: string): KeyClass {
  if (rel === '' || rel.endsWith('/')) return { kind: 'directory' };
  if (rel === 'sysids/sysid') return { kind: 'sysid' };
  let m: RegExpExecArray | null;
  if (rel.startsWith('wal_005/')) {
    if ((m = RE.segment.exec(rel))) return { kind: 'wal-segment', segment: m[1]! };
    if ((m = RE.label.exec(rel))) return { kind: 'backup-label', segment: m[1]!, offset: parseInt(m[2]!, 16) };
    if ((m = RE.history.exec(rel))) return { kind: 'history', timeline: parseInt(m[1]!, 16) };
    if ((m = RE.uncompressed.exec(rel))) return { kind: 'wal-uncompressed', name: m[1]! };
    if ((m = RE.partial.exec(rel))) return { kind: 'wal-partial', segment: m[1]!, lzo: m[2] !== undefined };
    if ((m = RE.walgWal.exec(rel))) return { kind: 'walg-wal', segment: m[1]!, ext: m[2]! };
    return { kind: 'unknown' };
  }
  if (rel.startsWith('basebackups_005/')) {
    if ((m = RE.waleSentinel.exec(rel))) return { kind: 'sentinel', backup: m[1]! };
    if ((m = RE.waleFile.exec(rel))) {
      const backup = m[1]!;
      const file = m[2]!;
      if (file === 'extended_version.txt') return { kind: 'extended-version', backup };
      const part = RE.walePart.exec(file);
      if (part) return { kind: 'tar-partition', backup, index: Number(part[1]) };
      return { kind: 'unknown' };
    }
    if ((m = RE.walgSentinel.exec(rel))) return { kind: 'walg-sentinel', backup: m[1]! };
    if ((m = RE.walgFile.exec(rel)) && RE.walgPart.test(m[2]!)) return { kind: 'walg-backup-file', backup: m[1]!, file: m[2]! };
  }
  return { kind: 'unknown' };
}

/** Start segment and byte offset of a wal-e backup name; the offset in the name is DECIMAL. */
export function parseBackupName(name: string): { startSegment: string; startOffset: number } | null {
  const m = /^base_([0-9A-F]{24})_(\d{8})$/.exec(name);
  if (!m || !isSegmentName(m[1]!)) return null;
  return { startSegment: m[1]!, startOffset: Number(m[2]) };
}

/** Name of the backup label file PostgreSQL archives for a backup: the offset in HEX. */
export function backupLabelName(startSegment: string, startOffset: number): string {
  return `${startSegment}.${startOffset.toString(16).toUpperCase().padStart(8, '0')}.backup`;
}

/** wal-e's name for a backup starting at (segment, offset). */
export function backupName(startSegment: string, startOffset: number): string {
  return `base_${startSegment}_${String(startOffset).padStart(8, '0')}`;
}
