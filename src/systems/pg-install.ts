/** The local PostgreSQL installation: where Debian's packages put each major version, and whether a path is usable. */
import { access, constants } from 'node:fs/promises';

/** Where Debian and the PGDG packages put each major version's server binaries (`MAJOR/bin`). */
export const DEBIAN_PG_ROOT = '/usr/lib/postgresql';

/** Whether `path` exists (`'exists'`) or is an executable file for this process (`'executable'`). */
export async function pathIs(path: string, what: 'exists' | 'executable'): Promise<boolean> {
  try {
    await access(path, what === 'exists' ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
