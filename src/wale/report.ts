/** The result of inspecting a wal-e archive. JSON-serialisable: times are ISO strings. */

export interface BaseBackupInfo {
  /** wal-e backup name, e.g. base_000000010000000000000002_00000040. */
  name: string;
  startSegment: string;
  /** Byte offset in the start segment (the name's 8 digits are decimal). */
  startOffset: number;
  /** LastModified of the sentinel (what wal-e orders LATEST by); null without a sentinel. */
  lastModified: string | null;
  stopSegment: string | null;
  stopOffset: number | null;
  expandedSizeBytes: number | null;
  /** Full keys of the tar partitions, in partition order. */
  partitions: string[];
  sentinelKey: string | null;
  extendedVersionKey: string | null;
  /** The archived backup label, wal_005/<start>.<offset hex>.backup[.lzo]. */
  labelKey: string | null;
  /** Sentinel and an unbroken run of partitions from part_00000000 are there (what backup-fetch reads; extended_version.txt it does not). */
  complete: boolean;
  /** Why the backup is not complete, for operators. */
  issues: string[];
}

export interface WalGap {
  /** First and last missing segment (names on the timeline replay would read them from). */
  from: string;
  to: string;
  count: number;
}

/** WAL replay cannot reach: from the first segment missing after LATEST's stop to the newest archived segment replay would read. */
export interface LostWal {
  from: string;
  to: string;
  /**
   * What replay needs and the archive lacks, when inspect knows: the first missing segment (`from`), or the
   * history file of the timeline past the one recovery ends on (`from` is then archived, on that timeline).
   */
  missing?: string;
}

/** What replay lacks to go on: `missing` when inspect knew it, else the first segment it did not reach. */
export function missingOf(l: LostWal): string {
  return l.missing ?? l.from;
}

/** What one base backup reaches (`archive inspect --window`): its WAL from its start to the archive's end, checked as LATEST's is. */
export interface BackupWindow {
  backup: string;
  complete: boolean;
  /** A restore of it comes up consistent: every segment to its stop is archived. */
  restorable: boolean;
  /** The last segment its replay reaches without a hole, and when it was archived. */
  reachesTo: string | null;
  reachesToAt: string | null;
  /** Missing WAL between its start and the newest segment on its chain. */
  gaps: WalGap[];
  /** What its replay cannot reach. */
  lost: LostWal | null;
  problems: string[];
}

/** A `.partial` segment found in the archive (wal_005/<segment>.partial.lzo), checked before it is offered. */
export interface PartialSegmentInfo {
  /** Its full key. */
  key: string;
  /** The segment it would stand in for. */
  segment: string;
  timeline: number;
  size: number;
  lastModified: string;
  /** Its header, system identifier and place after the archive's last full segment of its timeline hold: it can be served as `segment`. */
  usable: boolean;
  /** Why it is refused (null when usable). */
  why: string | null;
  /** The newer timeline the archive goes on with (a promotion left this partial behind): replay follows that one. Null when none. */
  supersededBy: number | null;
  /** The system identifier in its first page header (null when it has none or could not be read). */
  systemIdentifier: string | null;
  /** The key wal-e's wal-fetch reads for `segment`: where a reviewed copy would put it. */
  fullKey: string;
}

/** The archive's last moment: when its newest WAL was written, and what says so. */
export interface LastMoment {
  at: string;
  /** e.g. "S3 LastModified of wal_005/….lzo" or "last commit replayed from …". */
  source: string;
}

export type ArchiveLayout = 'wal-e' | 'wal-g' | 'mixed' | 'unknown' | 'empty';

export interface ArchiveReport {
  /** s3://bucket/prefix/ */
  prefix: string;
  layout: ArchiveLayout;
  pgVersion: string | null;
  sysid: string | null;
  /** What `wal-e backup-fetch LATEST` restores: the sentinel with the newest LastModified. */
  latest: BaseBackupInfo | null;
  /** The backup with the highest start position. */
  latestBySegment: BaseBackupInfo | null;
  /** Every base backup folder or sentinel found, in WAL position order. */
  baseBackups: BaseBackupInfo[];
  /** Oldest and newest archived WAL segments (position order, then timeline). */
  firstSegment: string | null;
  lastSegment: string | null;
  lastSegmentAt: string | null;
  /** Timelines seen in WAL segment and history names. */
  timelines: number[];
  /** The timeline recovery ends on (recovery_target_timeline = 'latest'). */
  targetTimeline: number | null;
  /** Missing WAL between LATEST's start segment and the newest segment replay would read. */
  gaps: WalGap[];
  restorable: boolean;
  /** The last segment replay reaches without a gap (null when not restorable). */
  restorableTo: string | null;
  /** LastModified of the restorableTo segment: about when the last restorable writes were archived (copies reset it). */
  restorableToAt: string | null;
  /** Restorable, and replay reaches the newest archived segment on LATEST's chain: nothing archived is lost. */
  complete: boolean;
  /** The archived WAL replay cannot reach: past a gap after LATEST's stop segment, or on a timeline whose history file is missing. */
  lost: LostWal | null;
  problems: string[];
  warnings: string[];
  objects: number;
  bytes: number;
  walSegments: number;
  /** Keys that fit no known pattern (the first few). */
  unknownKeys: string[];
  /** sha256 over (key, size, etag) of every object: changes when the archive does. */
  fingerprint: string;
  /** `.partial` segments, in key order, each checked. */
  partials: PartialSegmentInfo[];
  /** The newest WAL's moment: a usable `.partial`'s, else the newest segment's (null without WAL). */
  lastMoment: LastMoment | null;
  /** Every base backup's reach, oldest first (only when asked for: `archive inspect --window`). */
  windows?: BackupWindow[];
}
