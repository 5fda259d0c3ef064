/** The name of a copy restored to a target: `<name>-at-<YYYYMMDDTHHMM>` for a moment (in UTC), `<name>-before-xid-1234` for a transaction left out. */
import { isGuidAnyCase } from '../core/guid.js';
import type { RecoveryTarget } from './recovery-target.js';

/** A name cf accepts for a service instance, and safe in a file name. */
export const COPY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_NAME = 64;

function baseOf(instance: string): string {
  return isGuidAnyCase(instance) ? instance.slice(0, 8).toLowerCase() : instance;
}

/** The default name of the copy of `instance` (a service name, or a GUID: its first block) at `at`. */
function defaultCopyName(instance: string, at: Date): string {
  const stamp = at.toISOString().slice(0, 16).replace(/[-:]/g, '');
  return `${baseOf(instance)}-at-${stamp}`;
}

/** The default name of the copy of `instance` restored to `t`: the moment's name for a moment, else what it stops at. */
export function defaultTargetCopyName(instance: string, t: RecoveryTarget): string {
  const s = t.stop;
  if (s.kind === 'time') return defaultCopyName(instance, s.time.at);
  const where = t.exclusive ? 'before' : 'at';
  const suffix =
    s.kind === 'xid'
      ? `${where}-xid-${s.xid}`
      : s.kind === 'lsn'
        ? `${where}-lsn-${s.lsn.replace('/', '-')}`
        : s.kind === 'name'
          ? `at-${s.name.replace(/[^A-Za-z0-9._-]+/g, '-')}`
          : 'at-backup-end';
  // The instance's part gives way, so that what the copy stops at stays in its name.
  return `${baseOf(instance).slice(0, Math.max(1, MAX_NAME - suffix.length - 1))}-${suffix}`.slice(0, MAX_NAME);
}
