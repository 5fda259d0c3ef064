/**
 * Which members of a base backup's tar the drill writes. A tenant wrote the tar, and the drill runs
 * as root: only regular files and folders whose names stay inside the data folder are admitted.
 * PostgreSQL's own links are never taken from the tar: a `pg_wal`/`pg_xlog` link becomes an empty
 * folder of ours, and a tablespace link (`pg_tblspc/<oid>`) is refused, since its data lives outside
 * the data folder and the drill restores nothing there.
 */

/** What a member is, as node-tar reads it: its type, name and mode. */
export interface TarMember {
  type: string;
  path: string;
  mode?: number;
  linkpath?: string;
}

export type Admission =
  | { admit: 'file' | 'dir'; name: string }
  /** The data folder itself ("./", or "/" as wal-e writes it): nothing to write. */
  | { admit: 'root' }
  /** PostgreSQL's WAL folder, a link in the tar: an empty folder of ours in its place. */
  | { admit: 'wal-dir'; name: string }
  | { refuse: string };

const FILES = new Set(['File', 'OldFile', 'ContiguousFile']);
const WAL_DIRS = new Set(['pg_wal', 'pg_xlog']);

/** Modes the drill writes, whatever the tar says: the server account's alone, as initdb makes them. */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

const KINDS: Record<string, string> = {
  SymbolicLink: 'a symbolic link',
  Link: 'a hard link',
  CharacterDevice: 'a character device',
  BlockDevice: 'a block device',
  FIFO: 'a FIFO',
};

/** A member's name with control characters escaped, quoted. */
export function memberName(path: string): string {
  return JSON.stringify(path);
}

/**
 * The member's name as segments inside the data folder, or why it leaves it. wal-e names the data folder
 * itself "/": its first member is the folder under the name '' (wal_e/tar_partition.py `partition` appends
 * the walk's root, `_segmentation_guts` names members by what follows the root), which Python's tarfile
 * writes as "/" for a folder; its own extraction reads that back as the folder.
 */
function normalised(path: string): string[] | string {
  if (/^\/+$/.test(path)) return [];
  if (path.startsWith('/')) return 'an absolute name';
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return 'a name with ".." in it';
  return parts;
}

/** Whether the drill writes this member, and as what; a refusal says what the member is. */
export function admit(m: TarMember): Admission {
  const parts = normalised(m.path);
  if (typeof parts === 'string') return { refuse: `${parts}, which would land outside the data folder` };
  const name = parts.join('/');
  if (m.type === 'SymbolicLink' && parts.length === 1 && WAL_DIRS.has(name)) return { admit: 'wal-dir', name };
  if ((m.type === 'SymbolicLink' || m.type === 'Link') && parts.length === 2 && parts[0] === 'pg_tblspc') {
    return {
      refuse: `a tablespace link (to ${memberName(m.linkpath ?? '')}): tablespaces outside the data folder cannot be restored by the drill`,
    };
  }
  const kind = KINDS[m.type];
  if (kind) return { refuse: m.linkpath === undefined ? kind : `${kind} to ${memberName(m.linkpath)}` };
  const isFile = FILES.has(m.type);
  if (!isFile && m.type !== 'Directory') return { refuse: `a member of type ${m.type}, neither a regular file nor a folder` };
  const special = (m.mode ?? 0) & 0o7000;
  if (special) return { refuse: `a ${isFile ? 'file' : 'folder'} with the ${setBits(special)} bit` };
  if (parts.length === 0) return isFile ? { refuse: 'a file named as the data folder itself' } : { admit: 'root' };
  return { admit: isFile ? 'file' : 'dir', name };
}

function setBits(bits: number): string {
  return [
    [0o4000, 'setuid'],
    [0o2000, 'setgid'],
    [0o1000, 'sticky'],
  ]
    .filter(([b]) => bits & (b as number))
    .map(([, n]) => n)
    .join(' and ');
}
