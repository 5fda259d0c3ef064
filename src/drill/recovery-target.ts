/**
 * Where a restore stops replaying: at a moment (target-time.ts), after (or before) one transaction,
 * at a WAL location, at a named restore point, or as soon as the base backup is consistent;
 * inclusive or not; on which timeline. Written into the recovery settings of the archive's major
 * (recovery.conf before 12, settings from 12 on: recovery-config.ts, cluster-setup.ts).
 */
import { UsageError } from '../core/errors.js';
import { parseLsn, formatLsn } from '../wale/segments.js';
import { DrillFailed } from './exit-codes.js';
import { majorNumber } from './local-pg.js';
import { parseTargetTime, type TargetTime } from './target-time.js';

export type StopPoint =
  | { kind: 'time'; time: TargetTime }
  | { kind: 'xid'; xid: string }
  | { kind: 'lsn'; lsn: string }
  | { kind: 'name'; name: string }
  | { kind: 'immediate' };

export interface RecoveryTarget {
  stop: StopPoint;
  /** Stop just before the target: the transaction (or the record at the LSN, or a commit at the moment) left out. */
  exclusive: boolean;
  /** recovery_target_timeline: "latest" (the default), "current" or a timeline's number. */
  timeline: string;
}

/** The flags a target is given with, as the commands name them. */
export interface TargetFlags {
  targetTime?: TargetTime;
  targetXid?: string;
  targetLsn?: string;
  targetName?: string;
  /** Only "immediate". */
  target?: string;
  targetExclusive?: boolean;
  targetTimeline?: string;
}

/** The first normal transaction id: 0 to 2 are PostgreSQL's own. */
const FIRST_NORMAL_XID = 3;
const MAX_XID = 0xffffffff;
/** A restore point's name is at most 63 bytes (MAXFNAMELEN - 1). */
const MAX_NAME_BYTES = 63;

/** The target the flags ask for, null when none; refused when several are given or one is malformed. */
export function recoveryTargetOf(f: TargetFlags): RecoveryTarget | null {
  const given: [string, StopPoint | undefined][] = [
    ['--target-time', f.targetTime && { kind: 'time', time: f.targetTime }],
    ['--target-xid', f.targetXid === undefined ? undefined : { kind: 'xid', xid: parseXid(f.targetXid) }],
    ['--target-lsn', f.targetLsn === undefined ? undefined : { kind: 'lsn', lsn: parseTargetLsn(f.targetLsn) }],
    ['--target-name', f.targetName === undefined ? undefined : { kind: 'name', name: parseRestorePointName(f.targetName) }],
    ['--target', f.target === undefined ? undefined : parseImmediate(f.target)],
  ];
  const chosen = given.filter(([, stop]) => stop !== undefined);
  if (chosen.length > 1) {
    throw new UsageError(`${chosen.map(([flag]) => flag).join(' and ')} are several places to stop: give one of them`, {
      hint: 'A restore stops at one moment, transaction, WAL location, restore point or at the base backup (--target immediate).',
    });
  }
  const stop = chosen[0]?.[1];
  if (!stop) {
    if (f.targetExclusive || f.targetTimeline !== undefined) {
      throw new UsageError(`${f.targetExclusive ? '--target-exclusive' : '--target-timeline'} needs a target to stop at`, {
        hint: 'Give --target-time, --target-xid, --target-lsn, --target-name or --target immediate with it.',
      });
    }
    return null;
  }
  if (f.targetExclusive && (stop.kind === 'name' || stop.kind === 'immediate')) {
    throw new UsageError(`--target-exclusive applies to a moment, a transaction or a WAL location, not to ${describeStop(stop)}`, {
      hint: 'A restore point and the end of the base backup are single places: leave --target-exclusive out.',
    });
  }
  return { stop, exclusive: f.targetExclusive ?? false, timeline: parseTimeline(f.targetTimeline) };
}

function parseXid(text: string): string {
  const t = text.trim();
  const n = /^\d{1,10}$/.test(t) ? Number(t) : NaN;
  if (!(n >= FIRST_NORMAL_XID && n <= MAX_XID)) {
    throw new UsageError(`--target-xid "${text}" is not a transaction id`, {
      hint: `Give the transaction's id as archive mistakes lists it: a whole number from ${FIRST_NORMAL_XID} to ${MAX_XID}.`,
    });
  }
  return String(n);
}

function parseTargetLsn(text: string): string {
  try {
    return formatLsn(parseLsn(text));
  } catch {
    throw new UsageError(`--target-lsn "${text}" is not a WAL location`, {
      hint: 'A WAL location (LSN) looks like 0/3000060: two hex numbers separated by "/", as archive mistakes and pg_waldump print them.',
    });
  }
}

function parseRestorePointName(text: string): string {
  const bytes = Buffer.byteLength(text);
  // eslint-disable-next-line no-control-regex
  if (bytes === 0 || bytes > MAX_NAME_BYTES || /[\x00-\x1f\x7f]/.test(text)) {
    throw new UsageError(`--target-name is not a restore point's name (1 to ${MAX_NAME_BYTES} bytes, no control character)`, {
      hint: "Give the name as pg_create_restore_point() was given it; archive mistakes lists the archive's restore points.",
    });
  }
  return text;
}

function parseImmediate(text: string): StopPoint {
  if (text.trim() !== 'immediate') {
    throw new UsageError(`--target "${text}" is not a target: only "immediate" is`, {
      hint: '--target immediate stops as soon as the base backup is consistent; for other places use --target-time, --target-xid, --target-lsn or --target-name.',
    });
  }
  return { kind: 'immediate' };
}

function parseTimeline(text: string | undefined): string {
  if (text === undefined) return 'latest';
  const t = text.trim();
  if (t === 'latest' || t === 'current') return t;
  const n = /^\d{1,10}$/.test(t) ? Number(t) : NaN;
  if (!(n >= 1 && n <= MAX_XID)) {
    throw new UsageError(`--target-timeline "${text}" is not a timeline`, {
      hint: "Give latest (the default), current (the base backup's) or a timeline's number, e.g. 2 (archive inspect lists them).",
    });
  }
  return String(n);
}

/** The target in words, for messages and reports: "transaction 740", "WAL location 0/3000060". */
export function describeStop(stop: StopPoint): string {
  switch (stop.kind) {
    case 'time':
      return `the moment ${stop.time.iso}`;
    case 'xid':
      return `transaction ${stop.xid}`;
    case 'lsn':
      return `WAL location ${stop.lsn}`;
    case 'name':
      return `restore point ${JSON.stringify(stop.name)}`;
    case 'immediate':
      return 'the end of the base backup (immediate)';
  }
}

/**
 * The recovery settings that stop replay at `t` and then end recovery and accept queries: promote
 * (9.5+), or do not pause (9.1 to 9.4). The copy is scratch, so ending its recovery harms nothing.
 * With `pause`, replay pauses there instead (a hot standby is read at the pause, and a later target
 * is reached from it): recovery_target_action 'pause', pause_at_recovery_target before 9.5.
 */
export function targetSettings(t: RecoveryTarget, major: string, pause = false): [string, string][] {
  const n = majorNumber(major);
  const needs = (since: number, setting: string): void => {
    if (n < since) {
      throw new DrillFailed(
        'could-not-run',
        `PostgreSQL ${major} has no ${setting}: ${describeStop(t.stop)} cannot be a target of this archive`,
        {
          hint: `PostgreSQL ${since} introduced ${setting}; give a --target-time or --target-xid instead.`,
        },
      );
    }
  };
  const out: [string, string][] = [];
  switch (t.stop.kind) {
    case 'time':
      out.push(['recovery_target_time', t.stop.time.text]);
      break;
    case 'xid':
      out.push(['recovery_target_xid', t.stop.xid]);
      break;
    case 'lsn':
      needs(10, 'recovery_target_lsn');
      out.push(['recovery_target_lsn', t.stop.lsn]);
      break;
    case 'name':
      out.push(['recovery_target_name', t.stop.name]);
      break;
    case 'immediate':
      needs(9.4, "recovery_target = 'immediate'");
      out.push(['recovery_target', 'immediate']);
      break;
  }
  if (t.stop.kind === 'time' || t.stop.kind === 'xid' || t.stop.kind === 'lsn') {
    out.push(['recovery_target_inclusive', t.exclusive ? 'false' : 'true']);
  }
  out.push(n >= 9.5 ? ['recovery_target_action', pause ? 'pause' : 'promote'] : ['pause_at_recovery_target', pause ? 'true' : 'false']);
  return out;
}

/** The setting that names the target, for a server started again without it. */
export function targetSettingName(stop: StopPoint): string {
  return stop.kind === 'immediate' ? 'recovery_target' : `recovery_target_${stop.kind}`;
}

/** The command line that restores to `t`: the flags, in the order the drill takes them. */
export function targetFlags(t: RecoveryTarget): string[] {
  const flags: string[] = [];
  switch (t.stop.kind) {
    case 'time':
      flags.push('--target-time', t.stop.time.iso);
      break;
    case 'xid':
      flags.push('--target-xid', t.stop.xid);
      break;
    case 'lsn':
      flags.push('--target-lsn', t.stop.lsn);
      break;
    case 'name':
      flags.push('--target-name', t.stop.name);
      break;
    case 'immediate':
      flags.push('--target', 'immediate');
      break;
  }
  if (t.exclusive) flags.push('--target-exclusive');
  if (t.timeline !== 'latest') flags.push('--target-timeline', t.timeline);
  return flags;
}

/** The flags of a target whose value is kept as written. */
const TEXT_FLAGS = new Map<string, 'targetXid' | 'targetLsn' | 'targetName' | 'target' | 'targetTimeline'>([
  ['--target-xid', 'targetXid'],
  ['--target-lsn', 'targetLsn'],
  ['--target-name', 'targetName'],
  ['--target', 'target'],
  ['--target-timeline', 'targetTimeline'],
]);

/**
 * The target written as `targetFlags` writes it (how a run journals it), read back through the same
 * checks as the drill's flags.
 */
export function targetOfFlags(flags: readonly string[]): RecoveryTarget {
  const f: TargetFlags = {};
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!;
    if (flag === '--target-exclusive') {
      f.targetExclusive = true;
      continue;
    }
    const key = TEXT_FLAGS.get(flag);
    if (key === undefined && flag !== '--target-time')
      throw new UsageError(`the target ${flags.join(' ')} holds ${JSON.stringify(flag)}, which is no target flag`);
    const v = flags[++i];
    if (v === undefined) throw new UsageError(`the target ${flags.join(' ')} ends where ${flag} needs a value`);
    if (key === undefined) f.targetTime = parseTargetTime(v);
    else f[key] = v;
  }
  const t = recoveryTargetOf(f);
  if (!t) throw new UsageError('no target: give a moment, a transaction, a WAL location, a restore point or immediate');
  return t;
}

/** What a restore to `t` brings back, after "the database": "as it was just before transaction 1234". */
export function describeTarget(t: RecoveryTarget): string {
  const timeline = t.timeline === 'latest' ? '' : ` (timeline ${t.timeline})`;
  const s = t.stop;
  const phrase =
    s.kind === 'time'
      ? `as it was ${t.exclusive ? 'just before' : 'at'} ${s.time.iso}`
      : s.kind === 'immediate'
        ? `as it was when its base backup ended (immediate)`
        : s.kind === 'name'
          ? `as it was at restore point ${JSON.stringify(s.name)}`
          : t.exclusive
            ? `as it was just before ${describeStop(s)}`
            : s.kind === 'xid'
              ? `as it was just after transaction ${s.xid} committed`
              : `as it was up to WAL location ${s.lsn} (the record there included)`;
  return `${phrase}${timeline}`;
}
