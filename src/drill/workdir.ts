/**
 * The drill's scratch folder: data and socket folders PostgreSQL's account owns and can reach,
 * with a socket path short enough for a Unix socket.
 */
import { chmod, chown, lchown, lstat, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalProcesses, RunAs } from '../core/seams.js';
import { kindOf } from '../core/file-kind.js';
import { DrillFailed } from './exit-codes.js';
import { majorNumber } from './local-pg.js';
import { MAX_SOCKET_PATH, socketFits } from '../systems/pg-sandbox.js';

export interface Workdir {
  dir: string;
  dataDir: string;
  socketDir: string;
  /** The WAL the drill fetched, read by restore_command. */
  walDir: string;
}

/** A fresh scratch folder under `parent` with its data and sock folders. */
export async function makeWorkdir(parent: string, as: RunAs | undefined, processes: LocalProcesses): Promise<string> {
  const base = parent;
  await mkdir(base, { recursive: true });
  const dir = await mkdtemp(join(base, 'dingo-drill-'));
  for (const sub of ['', 'data', 'sock', 'wal']) {
    const path = join(dir, sub);
    await mkdir(path, { recursive: true, mode: 0o700 });
    if (as) await chown(path, as.uid, as.gid);
  }
  if (as) {
    const probe = await processes.run(['test', '-w', dir], { as });
    if (probe.code !== 0) {
      await rm(dir, { recursive: true, force: true });
      throw new DrillFailed('could-not-run', `the ${as.name} user cannot reach the scratch folder ${dir}`, {
        hint: `Point --workdir at a folder every user can traverse (e.g. /tmp or /var/tmp), since PostgreSQL runs as ${as.name}.`,
      });
    }
  }
  return dir;
}

/** The data and socket folders of a scratch folder; throws when the socket path would be too long. */
export function workdirPaths(dir: string): Workdir {
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'sock');
  if (!socketFits(socketDir)) {
    throw new DrillFailed(
      'could-not-run',
      `the scratch folder ${dir} is too deep for a Unix socket path (${MAX_SOCKET_PATH} bytes at most)`,
      {
        hint: 'Point --workdir at a shorter path, e.g. /tmp or /var/tmp.',
      },
    );
  }
  return { dir, dataDir, socketDir, walDir: join(dir, 'wal') };
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
