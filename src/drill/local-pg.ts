/**
 * The local PostgreSQL binaries a drill restores with. A base backup only
 * starts under the major version that wrote it, so the binaries are chosen to
 * match the archive when several are installed (Debian: /usr/lib/postgresql/<major>/bin).
 */
import { pathIs, serverRoot } from '../systems/pg-install.js';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DrillFailed } from './exit-codes.js';
import type { LocalProcesses } from '../core/seams.js';
import { invocation } from '../core/invocation.js';
import { majorOf, versionSaid } from '../core/pg-version.js';

/** Major version as a number for comparisons: 9.5 → 9.5, 15 → 15. */
export function majorNumber(major: string): number {
  return Number(major);
}

const executable = (path: string): Promise<boolean> => pathIs(path, 'executable');

/** Version of the pg_ctl in `bin`, e.g. "15.18", or null when there is no runnable pg_ctl there. */
async function pgCtlVersion(bin: string, processes: LocalProcesses): Promise<string | null> {
  const pgCtl = join(bin, 'pg_ctl');
  if (!(await executable(pgCtl))) return null;
  const r = await processes.run([pgCtl, '--version']).catch(() => null);
  if (!r || r.code !== 0) return null;
  return versionSaid(r.stdout);
}

async function pathBinDir(): Promise<string | null> {
  for (const dir of (invocation().env.PATH ?? '').split(':')) {
    if (dir && (await executable(join(dir, 'pg_ctl')))) return dir;
  }
  return null;
}

export interface LocalPg {
  bin: string;
  version: string;
  major: string;
}

/**
 * The binaries to restore with: `pgBin` when given; otherwise the installed major
 * matching the archive, else pg_ctl on PATH, else the newest installed major. A `root` other than
 * Debian's is the only place looked in (no PATH).
 * Throws "could not run" when none is usable or the major differs from the archive's.
 */
export async function chooseLocalPg(
  archiveMajor: string,
  pgBin: string | undefined,
  processes: LocalProcesses,
  root?: string,
): Promise<LocalPg> {
  const candidates: string[] = [];
  if (pgBin) candidates.push(pgBin);
  else {
    const where = root ?? serverRoot();
    candidates.push(join(where, archiveMajor, 'bin'));
    const onPath = root === undefined ? await pathBinDir() : null;
    if (onPath) candidates.push(onPath);
    const installed = await readdir(where).catch((): string[] => []);
    installed.sort((a, b) => majorNumber(b) - majorNumber(a));
    candidates.push(...installed.map((m) => join(where, m, 'bin')));
  }
  let found: LocalPg | null = null;
  for (const bin of candidates) {
    const version = await pgCtlVersion(bin, processes);
    if (!version) continue;
    found = { bin, version, major: majorOf(version) ?? version };
    break;
  }
  if (!found) {
    throw new DrillFailed(
      'could-not-run',
      pgBin
        ? `no runnable pg_ctl in --pg-bin ${pgBin}`
        : `no PostgreSQL binaries found (looked in ${root === undefined ? `${serverRoot()}/*/bin and on PATH` : `${root}/*/bin`}); the archive needs PostgreSQL ${archiveMajor}`,
      {
        hint: `Install PostgreSQL ${archiveMajor} server binaries and point --pg-bin at their bin folder (or DINGO_RECOVER_PG_ROOT at a folder holding ${archiveMajor}/bin).`,
      },
    );
  }
  if (found.major !== archiveMajor) {
    throw new DrillFailed(
      'could-not-run',
      `the archive was written by PostgreSQL ${archiveMajor} but the local binaries in ${found.bin} are PostgreSQL ${found.version}; a base backup only restores under its own major version`,
      {
        hint: `Install PostgreSQL ${archiveMajor} and pass --pg-bin /usr/lib/postgresql/${archiveMajor}/bin (or wherever its pg_ctl lives).`,
      },
    );
  }
  return found;
}
