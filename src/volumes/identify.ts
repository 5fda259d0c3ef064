/**
 * What a volume holds, found by reading a handful of files and never starting anything: a
 * PostgreSQL data folder (PG_VERSION and global/pg_control), or Redis, MySQL/MariaDB, MongoDB,
 * nothing, or something else. Every file is opened read-only; nothing is written.
 */
import { present } from '../core/file-kind.js';
import { missingStartWal } from './start-wal.js';
import { someOf } from '../core/screen-lines.js';
import { pathIs, serverRoot } from '../systems/pg-install.js';
import { lstat, readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePgControl, type PgControl } from '../systems/pg-control.js';
import { headOf, NotRegular } from '../core/read-regular.js';
import { MAJOR, settleMajor } from './data-folder-major.js';
import { userDataCounter, type UserData } from './user-data.js';

/**
 * `link`: a volume whose folder is a link, or leads out of the volumes folder (volume-scope.ts);
 * `plugin`: a volume of another driver than `local`, its data in the plugin's storage. Neither is read.
 */
type VolumeKind =
  'postgresql' | 'postgresql-tablespace' | 'redis' | 'mysql' | 'mongodb' | 'empty' | 'other' | 'unreadable' | 'link' | 'plugin';

interface PostgresFacts {
  /** The data folder inside the volume ("" when it is the volume's root, "pgdata" for PGDATA=.../data/pgdata). */
  subdir: string;
  /** The major version: what PG_VERSION says ("9.6", "15"), unless pg_control's catalog version says otherwise. */
  major: string;
  /** Set when PG_VERSION is not a major version, or disagrees with pg_control's catalog version: what was found and believed. */
  versionProblem?: string;
  control: PgControl | null;
  /** Why pg_control could not be read, when it could not. */
  controlError?: string;
  /** postmaster.pid is present: the server was running when the volume was left (or crashed). */
  postmasterPid: boolean;
  /** The WAL segments its start needs (the latest checkpoint's and its REDO point's) that its WAL folder lacks. */
  walProblem?: string;
  /** The newest WAL file's modification time: the last write the folder shows. */
  lastWalWriteAt: string | null;
  sizeBytes: number;
  userData: UserData;
  /** Local server binaries of this major version, or null with what to install. */
  binaries: { bin: string } | { missing: string };
  /**
   * The volume's other data folders, a line each: a volume may hold several (the postgres:18 image
   * mounts /var/lib/postgresql and keeps each major's in MAJOR/docker, for pg_upgrade --link).
   */
  otherDataFolders?: string[];
}

export interface Identified {
  kind: VolumeKind;
  /** For people: what was recognised and from which file. */
  detail: string;
  postgres?: PostgresFacts;
  /** Not read for want of permission (EACCES, EPERM): a reader that is not root, where Docker's volumes are root's alone. */
  denied?: boolean;
}

const exists = (path: string): Promise<boolean> => pathIs(path, 'exists');

/**
 * The first bytes of a file of the volume: a regular file inside it only (no link followed, no FIFO
 * waited on); anything else is named and not read.
 */
async function head(root: string, rel: string, bytes: number): Promise<Buffer> {
  try {
    return await headOf(join(root, rel), root, bytes);
  } catch (err) {
    if (err instanceof NotRegular) throw new Error(`${rel} is ${err.message}: not read (only regular files are)`, { cause: err });
    throw err;
  }
}

/** Total size of a folder's files (no symlinks followed), walked with bounded parallelism; `visit` sees each file. */
async function folderSize(dir: string, visit?: (path: string, size: number) => void): Promise<number> {
  let total = 0;
  const queue = [dir];
  while (queue.length) {
    const batch = queue.splice(0, 64);
    await Promise.all(
      batch.map(async (d) => {
        const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
        await Promise.all(
          entries.map(async (e) => {
            const p = join(d, e.name);
            if (e.isDirectory()) queue.push(p);
            else if (e.isFile()) {
              const st = await lstat(p).catch(() => null);
              total += st?.size ?? 0;
              if (st) visit?.(p, st.size);
            }
          }),
        );
      }),
    );
  }
  return total;
}

async function newestWal(dataDir: string): Promise<string | null> {
  for (const sub of ['pg_wal', 'pg_xlog']) {
    // A link (to WAL kept elsewhere, or anywhere) is not followed.
    if (!(await lstat(join(dataDir, sub)).catch(() => null))?.isDirectory()) continue;
    const names = await readdir(join(dataDir, sub)).catch(() => null);
    if (!names) continue;
    let newest = 0;
    for (const n of names.filter((x) => /^[0-9A-F]{24}$/.test(x))) {
      const st = await lstat(join(dataDir, sub, n)).catch(() => null);
      if (st && st.mtimeMs > newest) newest = st.mtimeMs;
    }
    return newest ? new Date(newest).toISOString() : null;
  }
  return null;
}

/** The server binaries of `major` on this machine, or what to install to get them. */
export async function localBinaries(major: string, root = serverRoot()): Promise<{ bin: string } | { missing: string }> {
  const bin = join(root, major, 'bin');
  if (await exists(join(bin, 'pg_ctl'))) return { bin };
  return {
    missing: `PostgreSQL ${major} server binaries (Debian/Ubuntu: apt-get install postgresql-${major} from apt.postgresql.org; or the postgres:${major} image through Docker)`,
  };
}

/**
 * A tablespace's own folder (relpath.h TABLESPACE_VERSION_DIRECTORY, PG_<major>_<catalog version>),
 * whose database folders each hold a PG_VERSION too, as base/'s do: neither is a data folder.
 */
const TABLESPACE_VERSION_DIR = /^PG_(9\.[0-6]|[1-9]\d)_\d{9}$/;
const isDatabaseFolder = (rel: string): boolean => {
  const parent = rel.split('/').at(-2);
  return parent === 'base' || (parent !== undefined && TABLESPACE_VERSION_DIR.test(parent));
};

/**
 * The folders holding PG_VERSION: the volume itself, or one or two levels down (PGDATA in a
 * subfolder, or one per major as the postgres:18 image keeps them); a database's own folder aside.
 */
async function findPgData(root: string): Promise<string[]> {
  if (await present(join(root, 'PG_VERSION'))) return [''];
  const level = async (rel: string): Promise<string[]> =>
    (await readdir(join(root, rel), { withFileTypes: true }).catch(() => []))
      .filter((e) => e.isDirectory())
      .map((e) => (rel ? `${rel}/${e.name}` : e.name));
  const found: string[] = [];
  const first = await level('');
  for (const d of first) if (await present(join(root, d, 'PG_VERSION'))) found.push(d);
  for (const d of first.filter((x) => !found.includes(x)))
    for (const dd of await level(d)) if (!isDatabaseFolder(dd) && (await present(join(root, dd, 'PG_VERSION')))) found.push(dd);
  return found.sort();
}

async function postgresFacts(root: string, subdir: string, binRoot: string): Promise<PostgresFacts> {
  const dataDir = subdir ? join(root, subdir) : root;
  const within = (rel: string): string => (subdir ? `${subdir}/${rel}` : rel);
  const written = (await head(root, within('PG_VERSION'), 64)).toString('utf8').trim();
  let control: PgControl | null = null;
  let controlError: string | undefined;
  try {
    control = parsePgControl(await head(root, within('global/pg_control'), 8192), MAJOR.test(written) ? written : undefined);
    if (!control.crcOk) controlError = 'the CRC of pg_control does not match its contents (damaged, or an unknown layout)';
  } catch (err) {
    controlError = err instanceof Error ? err.message : String(err);
    // pg_upgrade renames the old cluster's control file so it cannot start again (controldata.c disable_old_cluster).
    if (!(await present(join(dataDir, 'global', 'pg_control'))) && (await present(join(dataDir, 'global', 'pg_control.old'))))
      controlError = `${RETIRED}: its files may be hard links the upgraded cluster now owns`;
  }
  const { major, versionProblem } = settleMajor(written, control);
  const user = userDataCounter(dataDir);
  const [postmasterPid, lastWalWriteAt, sizeBytes, binaries] = await Promise.all([
    present(join(dataDir, 'postmaster.pid')),
    newestWal(dataDir),
    folderSize(dataDir, user.visit),
    localBinaries(major, binRoot),
  ]);
  const walProblem = control?.crcOk ? await missingStartWal(dataDir, control) : undefined;
  return {
    subdir,
    major,
    versionProblem,
    control,
    controlError,
    ...(walProblem ? { walProblem } : {}),
    postmasterPid,
    lastWalWriteAt,
    sizeBytes,
    userData: user.found,
    binaries,
  };
}

/** Identifies what one volume's data folder holds. */
export async function identify(volume: string, opts: { binRoot?: string } = {}): Promise<Identified> {
  let names: string[];
  let root: string;
  try {
    if ((await lstat(volume)).isSymbolicLink()) return { kind: 'link', detail: `${volume} is a symbolic link: not followed, not read` };
    root = await realpath(volume);
    names = await readdir(root);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const denied = code === 'EACCES' || code === 'EPERM';
    return { kind: 'unreadable', detail: `cannot read ${volume}: ${code ?? String(err)}`, ...(denied ? { denied } : {}) };
  }
  if (names.length === 0) return { kind: 'empty', detail: 'no files' };
  const subs = await findPgData(root);
  if (subs.length) return dataFolders(root, subs, opts.binRoot ?? serverRoot());
  const spaces = names.filter((n) => TABLESPACE_VERSION_DIR.test(n));
  if (spaces.length)
    return {
      kind: 'postgresql-tablespace',
      detail: `a PostgreSQL tablespace (${someOf(spaces)}): its tables' files, without the data folder whose pg_tblspc links to it; look for that cluster's volume`,
    };
  const has = (n: string): boolean => names.includes(n);
  if (has('dump.rdb')) {
    const magic = (await head(root, 'dump.rdb', 9).catch(() => Buffer.alloc(0))).toString('latin1');
    if (magic.startsWith('REDIS')) return { kind: 'redis', detail: `Redis RDB snapshot (dump.rdb, format ${magic.slice(5)})` };
  }
  if (has('appendonly.aof') || has('appendonlydir')) return { kind: 'redis', detail: 'Redis append-only file' };
  if (has('ibdata1') || (has('mysql') && (has('auto.cnf') || has('ib_logfile0'))) || has('aria_log_control'))
    return { kind: 'mysql', detail: 'MySQL/MariaDB data folder (ibdata1, mysql/)' };
  if (has('WiredTiger') || has('mongod.lock') || has('storage.bson'))
    return { kind: 'mongodb', detail: 'MongoDB data folder (WiredTiger)' };
  return { kind: 'other', detail: `${names.length} entr${names.length === 1 ? 'y' : 'ies'}: ${someOf(names)}` };
}

/** What a retired cluster's control file says of it. */
const RETIRED = 'global/pg_control was renamed pg_control.old: pg_upgrade retired this cluster';

/**
 * A volume's data folders, the one to look at first: a cluster whose pg_control reads (CRC checked)
 * before one whose does not (a retired or damaged one), then the newest checkpoint. The others are
 * named beside it.
 */
async function dataFolders(root: string, subs: string[], binRoot: string): Promise<Identified> {
  const read = await Promise.all(
    subs.map((sub) =>
      postgresFacts(root, sub, binRoot).then(
        (postgres) => ({ sub, postgres }),
        (err: unknown) => ({ sub, error: err instanceof Error ? err.message : String(err) }),
      ),
    ),
  );
  const facts = read.flatMap((r) => ('postgres' in r ? [r.postgres] : []));
  const score = (f: PostgresFacts): [number, string] => [f.control?.crcOk ? 1 : 0, f.control?.checkpointAt ?? ''];
  const best = facts.sort((a, b) => score(b)[0] - score(a)[0] || score(b)[1].localeCompare(score(a)[1]))[0];
  const where = (sub: string): string => (sub ? `${sub}/` : 'the volume itself');
  if (!best) {
    const first = read[0] as { sub: string; error: string };
    return { kind: 'unreadable', detail: `PG_VERSION found${first.sub ? ` in ${first.sub}/` : ''} but: ${first.error}` };
  }
  const others = read
    .filter((r) => r.sub !== best.subdir)
    .map((r) =>
      'postgres' in r
        ? `${where(r.sub)}: PostgreSQL ${r.postgres.major}, ${r.postgres.control ? `last checkpoint ${r.postgres.control.checkpointAt}` : `pg_control unreadable (${r.postgres.controlError ?? 'unknown'})`}`
        : `${where(r.sub)}: PG_VERSION found, but ${r.error}`,
    );
  const postgres = others.length ? { ...best, otherDataFolders: others } : best;
  const sub = best.subdir;
  return { kind: 'postgresql', detail: `PostgreSQL ${postgres.major} data folder${sub ? ` in ${sub}/` : ''}`, postgres };
}
