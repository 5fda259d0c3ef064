/** The local PostgreSQL installation: where Debian's packages put each major version, and whether a path is usable. */
import { access, constants, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { invocation } from '../core/invocation.js';

/** Where Debian and the PGDG packages put each major version's server binaries (`MAJOR/bin`). */
const DEBIAN_PG_ROOT = '/usr/lib/postgresql';

/**
 * Where server binaries are looked for, by major: $DINGO_RECOVER_PG_ROOT, a folder laid out as
 * Debian's (`MAJOR/bin`) for binaries installed elsewhere, else Debian's own.
 */
export function serverRoot(): string {
  return invocation().env.DINGO_RECOVER_PG_ROOT || DEBIAN_PG_ROOT;
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

/** The clients the tool runs against a server (in the image, or a scratch one); a server needs initdb and pg_ctl too. */
const CLIENTS = ['psql', 'pg_dump', 'pg_restore', 'pg_isready'];
const SERVER = [...CLIENTS, 'initdb', 'pg_ctl'];

/**
 * The newest local client binaries (or, with `what` 'server', server binaries): pg_dump reads servers
 * older than itself, never newer. For clients a client package alone counts (Debian's
 * postgresql-client-N installs no pg_ctl).
 */
export async function newestLocalBin(
  root = DEBIAN_PG_ROOT,
  what: 'client' | 'server' = 'client',
): Promise<{ bin: string; major: number } | null> {
  const majors = (await readdir(root).catch(() => [] as string[])).map(Number).filter((n) => Number.isFinite(n) && n >= 9);
  majors.sort((a, b) => b - a);
  for (const m of majors) {
    const bin = join(root, String(m), 'bin');
    if ((await Promise.all((what === 'server' ? SERVER : CLIENTS).map((c) => pathIs(join(bin, c), 'executable')))).every(Boolean))
      return { bin, major: m };
  }
  return null;
}

/** The client binaries of exactly `major` (`root`/`major`/bin, a client package alone counts), or where they were looked for. */
export async function localClientOf(major: string, root = DEBIAN_PG_ROOT): Promise<{ bin: string } | { missing: string }> {
  const bin = join(root, major, 'bin');
  return (await Promise.all(CLIENTS.map((c) => pathIs(join(bin, c), 'executable')))).every(Boolean) ? { bin } : { missing: bin };
}
