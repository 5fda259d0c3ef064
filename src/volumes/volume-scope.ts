/**
 * A volume's folder as Docker keeps it: `<root>/<name>` and its `_data`, neither a symbolic link, and
 * its real path inside the volumes folder. A tenant's link is never followed out of Docker's storage;
 * moby refuses such a path too (volume/local/local.go `Remove`: EvalSymlinks, then `scopedPath`).
 */
import { lstat, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { oneLine } from '../core/display.js';
import { inside } from '../core/read-regular.js';
import type { EngineVolume } from '../core/seams.js';

/** The folder to read a volume's data in, or why it is not read. */
export type Scoped = { path: string } | { refused: string };

const quoted = (text: string): string => `"${oneLine(text)}"`;

/** What a link at `path` (the volume's folder or its `_data`) is, said without following it. */
async function linkAt(realRoot: string, path: string, which: string): Promise<string> {
  const target = await readlink(path);
  const real = await realpath(path).catch(() => null);
  if (real !== null && inside(realRoot, real))
    return `${which} is a symbolic link to ${quoted(target)} (Docker makes none here): not followed, not read`;
  return `${which} is a link out of the volumes folder to ${quoted(target)}: not followed, not read`;
}

/**
 * `<root>/<name>/_data` when it is a folder, else `<root>/<name>` (a folder of volumes without
 * Docker's `_data`); refused when either is a link or leads out of `root`.
 */
export async function volumeFolder(root: string, name: string): Promise<Scoped> {
  const realRoot = await realpath(root);
  const dir = join(root, name);
  const data = join(dir, '_data');
  const own = await lstat(dir);
  if (own.isSymbolicLink()) return { refused: await linkAt(realRoot, dir, 'its folder') };
  // Not listed (a folder only root may read): said so when its folder is read.
  const st = await lstat(data).catch(() => null);
  if (st?.isSymbolicLink()) return { refused: await linkAt(realRoot, data, 'its _data') };
  const path = st?.isDirectory() ? data : dir;
  const real = await realpath(path).catch(() => null);
  if (real !== null && !inside(realRoot, real))
    return { refused: `its folder leads out of the volumes folder, to ${quoted(real)}: not read` };
  return { path };
}

/** The Engine's own volume driver, whose volumes are folders of its volumes folder. */
export const LOCAL_DRIVER = 'local';

/**
 * The folder of the local driver's volumes on the Engine's host (/var/lib/docker/volumes): the one
 * its mountpoints, `<root>/<name>/_data`, are in for the most volumes; undefined when none is so.
 */
export function engineVolumesRoot(volumes: readonly EngineVolume[]): string | undefined {
  const roots = new Map<string, number>();
  for (const v of volumes) {
    const mp = v.mountpoint;
    if (v.driver !== LOCAL_DRIVER || basename(mp) !== '_data' || basename(dirname(mp)) !== v.name) continue;
    const root = dirname(dirname(mp));
    roots.set(root, (roots.get(root) ?? 0) + 1);
  }
  return [...roots].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/** A local volume the Engine lists: its mountpoint must be `<root>/<name>/_data`, no link, inside `root`. */
export async function engineVolumeFolder(root: string | undefined, v: EngineVolume): Promise<Scoped> {
  if (root === undefined || v.mountpoint !== join(root, v.name, '_data'))
    return {
      refused: `the Engine says its data is at ${quoted(v.mountpoint)}, out of the local driver's volumes folder${root ? ` ${quoted(root)}` : ''}: not read`,
    };
  const scoped = await volumeFolder(root, v.name).catch(() => ({ path: v.mountpoint }));
  return 'refused' in scoped ? scoped : { path: v.mountpoint };
}
