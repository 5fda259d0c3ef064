/** The local PostgreSQL installation: where Debian's packages put each major version, and whether a path is usable. */
import { access, constants, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Where Debian and the PGDG packages put each major version's server binaries (`MAJOR/bin`). */
const DEBIAN_PG_ROOT = '/usr/lib/postgresql';

/**
 * Where server binaries are looked for, by major: $DINGO_RECOVER_PG_ROOT, a folder laid out as
 * Debian's (`MAJOR/bin`) for binaries installed elsewhere, else Debian's own.
 */
export function serverRoot(): string {
  return process.env.DINGO_RECOVER_PG_ROOT || DEBIAN_PG_ROOT;
}

/** Whether `path` exists (`'exists'`) or is an executable file for this process (`'executable'`). */
export async function pathIs(path: string, what: 'exists' | 'executable'): Promise<boolean> {
  try {
    await access(path, what === 'exists' ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The newest local client binaries: pg_dump reads servers older than itself, never newer. */
export async function newestLocalBin(root = DEBIAN_PG_ROOT): Promise<{ bin: string; major: number } | null> {
  const majors = (await readdir(root).catch(() => [] as string[])).map(Number).filter((n) => Number.isFinite(n) && n >= 9);
  majors.sort((a, b) => b - a);
  for (const m of majors) {
    const bin = join(root, String(m), 'bin');
    if (await pathIs(join(bin, 'pg_ctl'), 'exists')) return { bin, major: m };
  }
  return null;
}
