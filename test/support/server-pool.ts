/**
 * The servers a test run shares among its files, one file at a time (moto.ts, etcd.ts): a file claims
 * a server of the run no other file holds, and gives it back emptied (the server's own reset), whatever
 * failed. Each kind is listed in a folder of the run's own (ENV_PARENT_VAR): an entry `PORT.json` per
 * server, and beside it the folder `PORT.claim` while a file holds it (mkdir is atomic across the
 * workers). A server that is gone, or does not answer its reset, is left claimed: no file gets it again,
 * and the run's end stops it (server-registry.ts: shared servers are registered `shared`).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processStart } from '../../src/core/process-start.js';
import { killAll, REGISTRY_VAR } from './server-registry.js';
import { ENV_PARENT_VAR } from './test-environment.js';

interface PoolEntry {
  port: number;
  pid: number;
  /** Field 22 of /proc/PID/stat: the same PID with another start is another process. */
  start: string;
}

/** Empties the server on PORT for the next file; false when it does not answer. */
export type Reset = (port: number) => Promise<boolean>;

/** A server of the pool held by this file: `release` gives it back (emptied) or, when it cannot be emptied, stops it. */
export interface Held {
  entry: PoolEntry;
  release: () => Promise<void>;
}

/** The folder where this run's shared servers of KIND are listed, made if need be; undefined outside a vitest run. */
export function poolFolder(kind: string): string | undefined {
  const parent = process.env[ENV_PARENT_VAR];
  if (!parent || !process.env[REGISTRY_VAR]) return undefined;
  const folder = join(parent, `${kind}-pool`);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  return folder;
}

const claimOf = (folder: string, port: number): string => join(folder, `${String(port)}.claim`);

/** How a file gives a shared server back: emptied, then unclaimed; one that does not answer its reset is stopped. */
function releaser(folder: string, entry: PoolEntry, reset: Reset): () => Promise<void> {
  return async () => {
    if (await reset(entry.port)) rmdirSync(claimOf(folder, entry.port));
    else if (processStart(entry.pid) === entry.start) killAll([entry.pid], 3000);
  };
}

/** Claims a listed server no one holds, emptied (RESET) for this file; undefined when there is none. */
export async function claimShared(folder: string, reset: Reset): Promise<Held | undefined> {
  if (!existsSync(folder)) return undefined;
  for (const name of readdirSync(folder).filter((n) => n.endsWith('.json'))) {
    const entry = JSON.parse(readFileSync(join(folder, name), 'utf8')) as PoolEntry;
    try {
      mkdirSync(claimOf(folder, entry.port));
    } catch {
      continue;
    }
    if (processStart(entry.pid) === entry.start && (await reset(entry.port))) return { entry, release: releaser(folder, entry, reset) };
  }
  return undefined;
}

/**
 * Lists a server this file started (once it answers) in the pool, held by this file: other files
 * claim it once it is given back. The worker that started it may end before it does.
 */
export function listShared(folder: string, port: number, pid: number, reset: Reset): Held {
  mkdirSync(claimOf(folder, port));
  const entry: PoolEntry = { port, pid, start: processStart(pid) ?? '' };
  writeFileSync(join(folder, `${String(port)}.json`), JSON.stringify(entry), { mode: 0o600 });
  return { entry, release: releaser(folder, entry, reset) };
}
