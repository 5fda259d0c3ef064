/**
 * The copy a look inside works on, and the proof the original was left alone. The original is
 * only ever opened read-only (O_NOATIME where the kernel allows, so even its access times stay),
 * its symlinks are followed and copied as what they point to (a pg_wal link must never lead the
 * scratch server back into the original), and its digest is taken while copying and again at the end.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { chown, lstat, mkdir, open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeDigest {
  /** sha256 over every entry's path, type, size, mode, modification time and contents, in path order. */
  digest: string;
  files: number;
  bytes: number;
  /** Symlinks that were followed, relative path → target. */
  followedLinks: Record<string, string>;
}

export interface CopyOptions {
  /** Owner of the copy (the account the scratch server runs as). */
  owner?: { uid: number; gid: number };
}

async function openReadOnly(path: string): Promise<import('node:fs/promises').FileHandle> {
  try {
    return await open(path, constants.O_RDONLY | constants.O_NOATIME);
  } catch (err) {
    // O_NOATIME is refused (EPERM) on files of another owner unless we are root; plain read-only then.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    return open(path, constants.O_RDONLY);
  }
}

/**
 * Walks `src` in path order; with `dest`, copies each entry there while hashing it. Returns the
 * digest of `src` as read.
 */
async function walk(src: string, dest: string | null, opts: CopyOptions): Promise<TreeDigest> {
  const tree = createHash('sha256');
  const out: TreeDigest = { digest: '', files: 0, bytes: 0, followedLinks: {} };
  const visit = async (rel: string): Promise<void> => {
    const from = rel ? join(src, rel) : src;
    let st = await lstat(from);
    if (st.isSymbolicLink()) {
      const { readlink } = await import('node:fs/promises');
      out.followedLinks[rel] = await readlink(from);
      st = await stat(from);
    }
    const to = dest === null ? null : rel ? join(dest, rel) : dest;
    if (st.isDirectory()) {
      tree.update(`d\0${rel}\0${st.mode}\0${st.mtimeMs}\n`);
      if (to) {
        await mkdir(to, { recursive: true, mode: st.mode & 0o7777 });
        if (opts.owner) await chown(to, opts.owner.uid, opts.owner.gid);
      }
      const names = (await readdir(from)).sort();
      for (const n of names) await visit(rel ? `${rel}/${n}` : n);
      return;
    }
    if (!st.isFile()) {
      tree.update(`s\0${rel}\0${st.mode}\n`); // sockets, fifos: nothing to copy
      return;
    }
    const fh = await openReadOnly(from);
    const wh = to ? await open(to, 'wx', st.mode & 0o7777) : null;
    const h = createHash('sha256');
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        h.update(buf.subarray(0, bytesRead));
        if (wh) await wh.write(buf, 0, bytesRead);
      }
    } finally {
      await fh.close();
      await wh?.close();
    }
    if (to && opts.owner) await chown(to, opts.owner.uid, opts.owner.gid);
    out.files++;
    out.bytes += st.size;
    tree.update(`f\0${rel}\0${st.size}\0${st.mode}\0${st.mtimeMs}\0${h.digest('hex')}\n`);
  };
  await visit('');
  out.digest = tree.digest('hex');
  return out;
}

/** The digest of a folder, read-only. */
export function digestTree(src: string): Promise<TreeDigest> {
  return walk(src, null, {});
}

/** Copies `src` to `dest` (which must not exist yet) and returns the digest of `src` as it was read. */
export async function copyTree(src: string, dest: string, opts: CopyOptions = {}): Promise<TreeDigest> {
  const exists = await lstat(dest).then(
    () => true,
    () => false,
  );
  if (exists) throw new Error(`${dest} already exists; a copy is only made into a new folder`);
  return walk(src, dest, opts);
}
