/**
 * The drill's scratch folder: root's alone (0700), holding the data, socket and WAL folders its
 * scratch server's account is given while it runs (systems/postgres/), and the server's log, which
 * stays ours.
 */
import { chmod, lchown, lstat, mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunAs } from '../core/seams.js';
import { kindOf } from '../core/file-kind.js';
import { DrillFailed } from './exit-codes.js';
import { majorNumber } from './local-pg.js';

export interface Workdir {
  dir: string;
  dataDir: string;
  socketDir: string;
  /** The WAL the drill fetched, read by restore_command. */
  walDir: string;
}

/** What the name of a drill's scratch folder starts with. */
export const WORKDIR_PREFIX = 'dingo-drill-';

/** A fresh scratch folder under `parent` (its name starting with `prefix`) with its data, socket and WAL folders. */
export async function makeWorkdir(parent: string, prefix = WORKDIR_PREFIX): Promise<string> {
  await mkdir(parent, { recursive: true });
  const dir = await mkdtemp(join(parent, prefix));
  for (const sub of ['', 'data', 'sock', 'wal']) await mkdir(join(dir, sub), { recursive: true, mode: 0o700 });
  return dir;
}

/** The data, socket and WAL folders of a scratch folder. */
export function workdirPaths(dir: string): Workdir {
  return { dir, dataDir: join(dir, 'data'), socketDir: join(dir, 'sock'), walDir: join(dir, 'wal') };
}

/**
 * A folder of ours the server's account owns (0700), made where nothing was; with `exists: 'ok'`
 * a real folder already there is taken as it is. Anything else there (a link, a file) is refused
 * naming it: nothing is followed.
 */
export async function ownedFolder(path: string, as: RunAs | undefined, o: { exists?: 'ok' } = {}): Promise<void> {
  try {
    await mkdir(path, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || o.exists !== 'ok') throw err;
    await requireRealFolder(path);
  }
  if (as) await lchown(path, as.uid, as.gid);
}

/** Refuses, naming it, a path that is not a real folder (a link to one included). */
async function requireRealFolder(path: string): Promise<void> {
  const st = await lstat(path);
  if (!st.isDirectory()) {
    throw new DrillFailed(
      'not-restorable',
      `${JSON.stringify(path)} in the restored data folder is ${kindOf(st)}, not a folder: the drill follows no link`,
      {
        hint: 'The base backup holds something PostgreSQL does not make there; find out who wrote the archive before restoring it anywhere.',
      },
    );
  }
}

/** wal-e leaves the WAL folder out of the base backup; PostgreSQL needs it to exist, and a private data folder. */
export async function completeDataDir(dataDir: string, major: string, as: RunAs | undefined): Promise<void> {
  await requireRealFolder(dataDir);
  await ownedFolder(join(dataDir, majorNumber(major) >= 10 ? 'pg_wal' : 'pg_xlog'), as, { exists: 'ok' });
  await chmod(dataDir, 0o700);
}
