/**
 * The major version of a data folder: what PG_VERSION says, checked against the catalog version in
 * pg_control, which each major release changes.
 */
import type { PgControl } from '../systems/pg-control.js';

/** The catalog version each major release shipped with (catversion.h); a cluster's tells its major. */
const RELEASE_CATALOGS: readonly [number, string][] = [
  [202506291, '18'],
  [202406281, '17'],
  [202307071, '16'],
  [202209061, '15'],
  [202107181, '14'],
  [202007201, '13'],
  [201909212, '12'],
  [201809051, '11'],
  [201707211, '10'],
  [201608131, '9.6'],
  [201510051, '9.5'],
  [201409291, '9.4'],
];

/** The major release whose catalog version this is (the newest released at or before it), or null before 9.4. */
export function majorOfCatalog(catalogVersion: number): string | null {
  return RELEASE_CATALOGS.find(([v]) => catalogVersion >= v)?.[1] ?? null;
}

export const MAJOR = /^(9\.[0-6]|[1-9]\d)$/;

/**
 * The major version to believe: PG_VERSION's when it is one and pg_control (CRC checked) does not
 * contradict it; pg_control's catalog version otherwise. Never text from the volume that is not a version.
 */
export function settleMajor(written: string, control: PgControl | null): { major: string; versionProblem?: string } {
  const fromCatalog = control?.crcOk ? majorOfCatalog(control.catalogVersion) : null;
  const shown = JSON.stringify(written.slice(0, 20));
  if (!MAJOR.test(written)) {
    if (fromCatalog)
      return {
        major: fromCatalog,
        versionProblem: `PG_VERSION holds ${shown}, not a version; pg_control's catalog version ${control!.catalogVersion} is PostgreSQL ${fromCatalog}'s`,
      };
    throw new Error(`PG_VERSION holds ${shown}, not a PostgreSQL version, and pg_control does not tell it either`);
  }
  if (fromCatalog && fromCatalog !== written)
    return {
      major: fromCatalog,
      versionProblem: `PG_VERSION says ${written}, but pg_control's catalog version ${control!.catalogVersion} is PostgreSQL ${fromCatalog}'s: the folder was altered or mixed up; read as ${fromCatalog}`,
    };
  return { major: written };
}
