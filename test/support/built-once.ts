/**
 * What the suite builds slowly and the same way many times (a generated archive: a real server, its
 * rows, base backups and archived WAL), built once and kept by its content: the key is a hash of
 * everything the build depends on (its options, the sources of its builder, the server's version),
 * so a change to any of them builds it again. Kept in `node_modules/.cache/dingo-recover-built`
 * (or `$DINGO_TEST_BUILT_CACHE`), where the later passes of `.ci/run` and of a developer's machine
 * find what the first made; for a few hours only, as a build's times (a backup's end, a batch's
 * commit) age with it and a test may ask for a recent one (`--max-age 24h`).
 *
 * One worker builds an entry, in a folder named for it that holds its PID and start, renamed into
 * place once whole; another that wants it meanwhile waits for it, or builds it again when that
 * builder ended without finishing (what it left goes). Within one test process an entry is
 * handed out once: a second request for the same content builds it again, as a file that asks twice
 * for one kind of archive asks for two clusters (each initdb draws a system identifier of its own).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processStart } from '../../src/core/process-start.js';

/** The repository's root: the first folder up from here with a package.json (this module also runs built, from dist/ for the benchmarks). */
const REPO = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();
/** How long an entry is used: well within a day, the tightest age a test asks of what it built. */
const KEEP_MS = 6 * 60 * 60 * 1000;
const META = 'built.json';

/** Where the entries are kept: $DINGO_TEST_BUILT_CACHE, else the repository's node_modules/.cache. */
export function builtCacheDir(): string {
  return process.env.DINGO_TEST_BUILT_CACHE ?? join(REPO, 'node_modules', '.cache', 'dingo-recover-built');
}

/** The hash of `parts` and of the text of each of `sources` (files, relative to the repository's root). */
export function contentKey(parts: unknown, sources: readonly string[]): string {
  const h = createHash('sha256').update(JSON.stringify(parts));
  for (const s of sources) h.update(`\0${s}\0`).update(readFileSync(resolve(REPO, s)));
  return h.digest('hex').slice(0, 24);
}

/** The entries handed out in this process. */
const handedOut = new Set<string>();

export interface Built<M> {
  /** The entry's folder: read it, never change it (copy what is to be changed). */
  dir: string;
  meta: M;
}

/** When the entry at `dir` was built, or undefined when it is not (wholly) there. */
async function builtAt(dir: string): Promise<number | undefined> {
  return stat(join(dir, META)).then(
    (s) => s.mtimeMs,
    () => undefined,
  );
}

/** The builder's own: its PID and start, the folder's first file. */
const OWNER = '.builder';
const ownerOf = (pid: number): string => `${String(pid)} ${processStart(pid) ?? ''}`;

/** Whether the process that began the build in `work` still runs (false when none did, or the folder is gone). */
async function builderRuns(work: string): Promise<boolean> {
  const owner = await readFile(join(work, OWNER), 'utf8').catch(() => undefined);
  if (owner === undefined) return existsSync(work) && Date.now() - ((await stat(work).catch(() => undefined))?.mtimeMs ?? 0) < 10_000;
  return owner === ownerOf(Number(owner.split(' ')[0]));
}

/**
 * The entry `kind`-`key`, made by `build` in an empty folder (what it returns is kept beside what
 * it wrote) unless it was built within KEEP_MS, or is being built by another worker, which is waited
 * for; undefined when this process had it already: the caller builds its own.
 */
export async function builtOnce<M>(kind: string, key: string, build: (dir: string) => Promise<M>): Promise<Built<M> | undefined> {
  const cache = builtCacheDir();
  const dir = join(cache, `${kind}-${key}`);
  if (handedOut.has(dir)) return undefined;
  handedOut.add(dir);
  await mkdir(cache, { recursive: true, mode: 0o755 });
  await dropExpired(cache);
  const work = join(cache, `.building-${kind}-${key}`);
  for (;;) {
    if ((await builtAt(dir)) !== undefined) return { dir, meta: JSON.parse(await readFile(join(dir, META), 'utf8')) as M };
    const mine = await mkdir(work, { mode: 0o700 }).then(
      () => true,
      (err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        return false;
      },
    );
    if (mine) break;
    if (!(await builderRuns(work))) await moveAsideAndRemove(cache, work);
    else await new Promise((r) => setTimeout(r, 200));
  }
  try {
    await writeFile(join(work, OWNER), ownerOf(process.pid));
    const meta = await build(work);
    await writeFile(join(work, META), JSON.stringify(meta));
    await rm(join(work, OWNER));
    await rename(work, dir);
    return { dir, meta };
  } catch (err) {
    await moveAsideAndRemove(cache, work);
    throw err;
  }
}

/** Moves `path` aside (so no one starts on it) and removes it; nothing when another process moved it first. */
async function moveAsideAndRemove(cache: string, path: string): Promise<void> {
  const aside = join(cache, `.old-${basename(path)}-${String(process.pid)}`);
  const moved = await rename(path, aside).then(
    () => true,
    () => false,
  );
  if (moved) await rm(aside, { recursive: true, force: true });
}

/** Entries built longer than KEEP_MS ago go, and what a build that ended unfinished left, and what was moved aside to go. */
async function dropExpired(cache: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(cache)) {
    const path = join(cache, name);
    const keep = name.startsWith('.building-')
      ? await builderRuns(path)
      : !name.startsWith('.old-') && now - ((await builtAt(path)) ?? 0) <= KEEP_MS;
    if (!keep) await moveAsideAndRemove(cache, path);
  }
}
