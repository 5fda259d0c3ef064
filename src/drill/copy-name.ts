/** The name of a copy restored to a moment: `<name>-at-<YYYYMMDDTHHMM>`, the moment in UTC. */
import { isGuidAnyCase } from '../core/guid.js';

/** A name cf accepts for a service instance, and safe in a file name. */
export const COPY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The default name of the copy of `instance` (a service name, or a GUID: its first block) at `at`. */
export function defaultCopyName(instance: string, at: Date): string {
  const base = isGuidAnyCase(instance) ? instance.slice(0, 8).toLowerCase() : instance;
  const stamp = at.toISOString().slice(0, 16).replace(/[-:]/g, '');
  return `${base}-at-${stamp}`;
}
