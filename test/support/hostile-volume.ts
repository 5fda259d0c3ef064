/**
 * What a tenant can leave in a Docker volume for a tool running as root to trip on: links to a
 * root-only file (symbolic, and a hard link: another name of the same file) and to the reader's own environment, links leading nowhere or in a loop, a FIFO and
 * a device, each planted in a data folder by name, and a volume whose PG_VERSION and pg_control are
 * FIFOs. Each shape says where it is (relative to the data folder) and what the copy must say of it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Text of the root-only file outside the volume: it must never reach a copy. */
export const ROOT_ONLY_TEXT = 'root-only-secret-H8w2';

export interface VolumeShape {
  label: string;
  /** Where it is, relative to the data folder. */
  rel: string;
  /** What the copy says of it when it skips it. */
  why: RegExp;
  plant(path: string, outside: string): void;
}

const link =
  (to: (outside: string) => string) =>
  (path: string, outside: string): void => {
    symlinkSync(to(outside), path);
  };

export const VOLUME_SHAPES: VolumeShape[] = [
  {
    label: 'a link to a root-only file outside',
    rel: 'base/stolen',
    why: /^a symbolic link to ".*root-only", outside the data folder$/,
    plant: link((outside) => join(outside, 'root-only')),
  },
  {
    label: 'a link to /proc/self/environ',
    rel: 'environ',
    why: /^a symbolic link to "\/proc\/self\/environ", outside the data folder$/,
    plant: link(() => '/proc/self/environ'),
  },
  {
    label: 'a relative link climbing out',
    rel: 'global/passwd',
    why: /^a symbolic link to "(\.\.\/)+etc\/passwd", outside the data folder$/,
    plant: link(() => `${'../'.repeat(24)}etc/passwd`),
  },
  {
    label: 'a hard link to a root-only file outside',
    rel: 'base/linked',
    why: /^a hard link with 2 names, 1 of them outside the volume$/,
    plant: (path, outside) => {
      linkSync(join(outside, 'root-only'), path);
    },
  },
  { label: 'a link leading nowhere', rel: 'gone', why: /which leads nowhere$/, plant: link((outside) => join(outside, 'not-there')) },
  { label: 'a link to a folder holding it', rel: 'global/loop', why: /\(a loop\)$/, plant: link(() => '..') },
  {
    label: 'a FIFO',
    rel: 'pg_stat/fifo',
    why: /^a FIFO$/,
    plant: (path) => {
      execFileSync('mkfifo', [path]);
    },
  },
  {
    label: 'a character device',
    rel: 'null',
    why: /^a character device$/,
    plant: (path) => {
      execFileSync('mknod', [path, 'c', '1', '3']);
    },
  },
];

/** A root-only folder outside any volume, holding a root-only file. */
export function outsideFolder(parent: string): string {
  const dir = mkdtempSync(join(parent, 'outside-'));
  chmodSync(dir, 0o700);
  writeFileSync(join(dir, 'root-only'), `${ROOT_ONLY_TEXT}\n`, { mode: 0o600 });
  return dir;
}

/** Plants every shape in the data folder `data`. */
export function plantShapes(data: string, outside: string, shapes = VOLUME_SHAPES): void {
  for (const s of shapes) {
    mkdirSync(dirname(join(data, s.rel)), { recursive: true });
    s.plant(join(data, s.rel), outside);
  }
}

/** Moves a cluster's WAL into another folder of its data folder, with pg_wal a relative link to it (as an image's POSTGRES_INITDB_WALDIR inside the volume does). */
export function walInside(data: string, folder = 'wal-inside'): void {
  renameSync(join(data, 'pg_wal'), join(data, folder));
  symlinkSync(folder, join(data, 'pg_wal'));
}

/** A volume whose PG_VERSION and global/pg_control are FIFOs: reading either would wait forever. */
export function fifoVolume(data: string): void {
  mkdirSync(join(data, 'global'), { recursive: true });
  execFileSync('mkfifo', [join(data, 'PG_VERSION'), join(data, 'global', 'pg_control')]);
}

/**
 * What `pg_upgrade --link` leaves in a volume holding both clusters: every file of the new cluster's
 * databases (`data`, a folder of the volume) is also a file of the old one, which stays beside it
 * (`old`, holding a second name of each).
 */
export function upgradedBeside(volume: string, data: string): void {
  const old = join(volume, 'old');
  for (const db of readdirSync(join(data, 'base'))) {
    mkdirSync(join(old, 'base', db), { recursive: true });
    for (const file of readdirSync(join(data, 'base', db))) linkSync(join(data, 'base', db, file), join(old, 'base', db, file));
  }
}
