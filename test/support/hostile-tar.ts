/**
 * Tar members a tenant can put in a base backup to reach outside the drill's scratch folder, written
 * byte for byte with node-tar's Header (GNU tar refuses to write some of them), and a sentinel folder
 * outside the scratch folder whose listing, owners and modes show whether anything reached it.
 */
import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Header, type types } from 'tar';

type EntryTypeName = types.EntryTypeName;

export interface MemberSpec {
  path: string;
  type: EntryTypeName;
  mode?: number;
  linkpath?: string;
  body?: string;
}

function block(spec: MemberSpec): Buffer {
  const body = Buffer.from(spec.body ?? '');
  const header = new Header({
    path: spec.path,
    type: spec.type,
    mode: spec.mode ?? (spec.type === 'Directory' ? 0o700 : 0o600),
    uid: 0,
    gid: 0,
    size: spec.type === 'File' ? body.length : 0,
    mtime: new Date('2026-01-01T00:00:00Z'),
    linkpath: spec.linkpath,
    devmaj: spec.type === 'CharacterDevice' ? 1 : 0,
    devmin: spec.type === 'CharacterDevice' ? 3 : 0,
  });
  header.encode();
  const padded = Buffer.alloc(Math.ceil(body.length / 512) * 512);
  body.copy(padded);
  return Buffer.concat([header.block!, padded]);
}

/** A tar of these members, in order, ended as tar ends one. */
function tarOf(members: MemberSpec[]): Buffer {
  return Buffer.concat([...members.map(block), Buffer.alloc(1024)]);
}

/** A tar of these members compressed by the real lzop, as wal-e stores a partition. */
export function lzoTarOf(members: MemberSpec[]): Buffer {
  return execFileSync('lzop', ['-q', '-c'], { input: tarOf(members) });
}

/** Enough `..` to climb from any scratch folder to the root. */
const UP = Array.from({ length: 16 }, () => '..').join('/');

export interface HostileShape {
  label: string;
  /** The hostile member, after a regular file the partition extracts first. */
  member: MemberSpec;
  /** What the refusal must say (it always names the member). */
  says: RegExp;
}

/** A regular file before the hostile member: what the partition wrote before it, which must not survive it. */
export const BEFORE: MemberSpec = { path: 'global/written-before', type: 'File', body: 'extracted before the hostile member\n' };

/** Every shape of member the drill refuses, aimed at `sentinel` (a folder outside the scratch folder). */
export function hostileShapes(sentinel: string): HostileShape[] {
  return [
    {
      label: 'a postgresql.conf link to a file not there yet',
      member: link('postgresql.conf', join(sentinel, 'conf-made')),
      says: /a symbolic link/,
    },
    {
      label: 'a pg_ident.conf link to a file not there yet',
      member: link('pg_ident.conf', join(sentinel, 'ident-made')),
      says: /a symbolic link/,
    },
    { label: 'an absolute name', member: { path: join(sentinel, 'absolute'), type: 'File', body: 'x' }, says: /an absolute name/ },
    { label: 'a name climbing out with ..', member: { path: `${UP}${sentinel}/climbed`, type: 'File', body: 'x' }, says: /"\.\."/ },
    { label: 'a plain ../x', member: { path: '../x', type: 'File', body: 'x' }, says: /"\.\."/ },
    {
      label: 'a hard link to /etc/passwd',
      member: { path: 'global/passwd', type: 'Link', linkpath: '/etc/passwd' },
      says: /a hard link to "\/etc\/passwd"/,
    },
    { label: 'a character device', member: { path: 'global/null', type: 'CharacterDevice', mode: 0o666 }, says: /a character device/ },
    { label: 'a FIFO', member: { path: 'PG_VERSION', type: 'FIFO' }, says: /a FIFO/ },
    { label: 'a setuid file', member: { path: 'global/setuid', type: 'File', mode: 0o4755, body: '#!/bin/sh\n' }, says: /setuid/ },
    { label: 'a setgid folder', member: { path: 'base/shared', type: 'Directory', mode: 0o2775 }, says: /setgid/ },
    {
      label: 'a tablespace link',
      member: link('pg_tblspc/16999', join(sentinel, 'tablespace')),
      says: /tablespaces outside the data folder cannot be restored by the drill/,
    },
    { label: 'a link elsewhere in the data folder', member: link('base/1/16384', join(sentinel, 'table')), says: /a symbolic link/ },
  ];
}

export function link(path: string, to: string): MemberSpec {
  return { path, type: 'SymbolicLink', linkpath: to };
}

/** A folder outside any scratch folder: root's, holding a folder a pg_wal link would aim at. */
export async function sentinelFolder(parent: string): Promise<string> {
  const dir = await mkdtemp(join(parent, 'sentinel-'));
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'root-owned-wal'), { mode: 0o700 });
  await writeFile(join(dir, 'root-owned-wal', 'keep'), 'root only\n', { mode: 0o600 });
  return dir;
}

/**
 * Every path under `dir` with its type, owner, mode, size and modification time, and each of the
 * `shared` system files (/etc/passwd) with its type, owner, mode, link count and first line: other
 * tests add and remove accounts meanwhile, so its size and time move, but a member written through
 * a link to it would change its first line, and a hard link made to it its link count.
 */
export async function snapshot(dir: string, shared: string[] = []): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const see = async (path: string): Promise<void> => {
    const st = await lstat(path);
    out[path] = `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${st.mtimeMs} ${st.nlink}`;
    if (st.isDirectory()) for (const name of (await readdir(path)).sort()) await see(join(path, name));
  };
  await see(dir);
  for (const p of shared) {
    const st = await lstat(p);
    const first = (await readFile(p, 'utf8')).split('\n', 1)[0];
    out[p] = `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.nlink} ${first}`;
  }
  return out;
}
