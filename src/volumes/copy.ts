/**
 * The copy a look inside works on, and the proof the original was left alone. A volume is its
 * owner's work and the tool runs as root, so the walk reads only what the data folder itself holds:
 * - regular files, each opened read-only without following a link or waiting on a FIFO
 *   (O_NOFOLLOW | O_NONBLOCK, O_NOATIME where the kernel allows, so even its access times stay),
 *   then checked to be the regular file seen, inside the data folder (its fd's path in /proc);
 * - folders;
 * - a link only when it leads to a file or folder inside the data folder (copied as what it points
 *   to, so a pg_wal link never leads the scratch server back into the original). A link out of the
 *   data folder is skipped and listed, and a pg_wal, pg_xlog or pg_tblspc/<oid> link out of it
 *   (WAL or a tablespace kept elsewhere) is refused naming it: the copy would not be the database.
 *   FIFOs, sockets and devices are skipped and listed, never opened;
 * - a file of several names (hard links) only when all its names are inside the volume, as
 *   `pg_upgrade --link` leaves an old and a new cluster's files; a name elsewhere (a root-only file
 *   linked into the volume) makes it skipped and listed, never read: its contents are not the tenant's.
 * The copy is the server account's alone: folders 0700, files 0600. Its digest is taken while
 * copying and again at the end.
 */
import { present } from '../core/file-kind.js';
import { createHash, type Hash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { chown, lstat, mkdir, open, readdir, readlink, realpath, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StepFailed } from '../core/errors.js';
import { kindOf } from '../core/file-kind.js';
import { inside, NotRegular, openRegular } from '../core/read-regular.js';

export interface TreeDigest {
  /** sha256 over every entry's path, type, size, mode, modification time and contents, in path order. */
  digest: string;
  files: number;
  bytes: number;
  /** Symlinks that were followed (they lead inside the data folder), relative path → target. */
  followedLinks: Record<string, string>;
  /** What was neither copied nor read, relative path → why (a link out of the data folder, a FIFO, a device…). */
  skipped: Record<string, string>;
}

export interface CopyOptions {
  /** Owner of the copy (the account the scratch server runs as). */
  owner?: { uid: number; gid: number };
  /** The folder a hard-linked file's other names must all be in (the volume holding the data folder); default the data folder. */
  linkScope?: string;
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
/** PostgreSQL's own links: the copy is not the database without what they lead to. */
const PG_LINK = /^(pg_wal|pg_xlog|pg_tblspc\/[^/]+)$/;

const shown = (path: string): string => JSON.stringify(path);

class Walk {
  readonly out: TreeDigest = { digest: '', files: 0, bytes: 0, followedLinks: {}, skipped: {} };
  private readonly tree: Hash = createHash('sha256');

  /** How many names each file of several names has inside the link scope, by device and inode. */
  private names = new Map<string, number>();

  constructor(
    private readonly root: string,
    private readonly dest: string | null,
    private readonly opts: CopyOptions,
  ) {}

  async run(): Promise<TreeDigest> {
    this.names = await namesInside(this.opts.linkScope ? await realpath(this.opts.linkScope) : this.root);
    await this.visit('', this.root, [this.root]);
    this.out.digest = this.tree.digest('hex');
    return this.out;
  }

  private skip(rel: string, why: string): void {
    this.out.skipped[rel] = why;
    this.tree.update(`s\0${rel}\0${why}\n`);
  }

  /** `rel` as the copy names it, read from `from` (the path itself, or where a link inside leads); `open` holds the folders followed into. */
  private async visit(rel: string, from: string, open: string[]): Promise<void> {
    let st = await lstat(from);
    if (st.isSymbolicLink()) {
      const target = await readlink(from);
      const real = await realpath(from).catch(() => null);
      if (real === null || !inside(this.root, real)) {
        const why = `a symbolic link to ${shown(target)}, ${real === null ? 'which leads nowhere' : 'outside the data folder'}`;
        if (PG_LINK.test(rel)) {
          throw new StepFailed(`the data folder's ${rel} is ${why}: the look copies only what the data folder holds`, {
            hint: `copy the data folder with what ${rel} leads to by hand into one folder, and look at that folder (--volumes-root)`,
          });
        }
        this.skip(rel, why);
        return;
      }
      if (open.includes(real)) {
        this.skip(rel, `a symbolic link to ${shown(target)}, a folder that holds it (a loop)`);
        return;
      }
      this.out.followedLinks[rel] = target;
      from = real;
      st = await lstat(real);
    }
    const to = this.dest === null ? null : rel ? join(this.dest, rel) : this.dest;
    if (st.isDirectory()) await this.folder(rel, from, st, to, open);
    else if (st.isFile()) await this.file(rel, from, to);
    else this.skip(rel, kindOf(st));
  }

  private async folder(rel: string, from: string, st: Stats, to: string | null, open: string[]): Promise<void> {
    this.tree.update(`d\0${rel}\0${st.mode}\0${st.mtimeMs}\n`);
    if (to) {
      await mkdir(to, { mode: DIR_MODE });
      if (this.opts.owner) await chown(to, this.opts.owner.uid, this.opts.owner.gid);
    }
    for (const n of (await readdir(from)).sort()) await this.visit(rel ? `${rel}/${n}` : n, join(from, n), [...open, from]);
  }

  private async file(rel: string, from: string, to: string | null): Promise<void> {
    const opened = await openRegular(from, this.root).catch((err: unknown) => {
      // It changed since it was listed: what it is now is not read either.
      if (err instanceof NotRegular) this.skip(rel, err.message);
      else throw err;
      return null;
    });
    if (!opened) return;
    const { fh, st } = opened;
    const inside = this.names.get(inodeKey(st)) ?? 0;
    if (st.nlink > 1 && inside < st.nlink) {
      await fh.close();
      this.skip(
        rel,
        `a hard link with ${st.nlink} names, ${st.nlink - inside} of them outside the ${this.opts.linkScope ? 'volume' : 'data folder'}`,
      );
      return;
    }
    let wh: FileHandle | null = null;
    const h = createHash('sha256');
    try {
      if (to) wh = await open(to, 'wx', FILE_MODE);
      if (wh && this.opts.owner) await wh.chown(this.opts.owner.uid, this.opts.owner.gid);
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
    this.out.files++;
    this.out.bytes += st.size;
    this.tree.update(`f\0${rel}\0${st.size}\0${st.mode}\0${st.mtimeMs}\0${h.digest('hex')}\n`);
  }
}

const inodeKey = (st: { dev: number; ino: number }): string => `${st.dev}:${st.ino}`;

/**
 * The names of each file of several names under `dir`, counted by device and inode: its own entries
 * only, no link followed (a file reached through a symbolic link is the name the link leads to).
 */
async function namesInside(dir: string): Promise<Map<string, number>> {
  const names = new Map<string, number>();
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        const st = await lstat(path);
        if (st.nlink > 1) names.set(inodeKey(st), (names.get(inodeKey(st)) ?? 0) + 1);
      }
    }
  };
  await walk(dir);
  return names;
}

/** The real path of a data folder (or volume) that is no link itself: a link there is a tenant's, never followed. */
async function ownFolder(path: string): Promise<string> {
  if ((await lstat(path)).isSymbolicLink())
    throw new StepFailed(`${path} is a symbolic link to ${shown(await readlink(path))}: not followed, not read`, {
      hint: 'a link in place of a data folder or a volume is never followed out of it; copy what it leads to by hand, if it is the data, and look at that folder (--volumes-root)',
    });
  return realpath(path);
}

/** The digest of a data folder, read-only; `linkScope` as the copy was given it. */
export async function digestTree(src: string, linkScope?: string): Promise<TreeDigest> {
  if (linkScope) await ownFolder(linkScope);
  return new Walk(await ownFolder(src), null, { linkScope }).run();
}

/** Copies the data folder `src` to `dest` (which must not exist yet) and returns the digest of `src` as it was read. */
export async function copyTree(src: string, dest: string, opts: CopyOptions = {}): Promise<TreeDigest> {
  if (await present(dest)) throw new Error(`${dest} already exists; a copy is only made into a new folder`);
  const real = await ownFolder(src);
  if (opts.linkScope) await ownFolder(opts.linkScope);
  await mkdir(dirname(dest), { recursive: true });
  return new Walk(real, dest, opts).run();
}
