/**
 * What the suite writes into a folder that outlives a run (the fake commands' client, the images'
 * cache and its memo of ldd, the PostgreSQL majors' links) is written beside its place as
 * `<path>.<pid>.part` and renamed into it. A run killed before the rename leaves its part behind:
 * the next run's global setup removes the parts whose writer has ended (removeEndedParts), never one
 * a live process may still be writing.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { alive } from './server-registry.js';

const PART = /\.(\d+)\.part$/;

/** The part of `path` this process writes before renaming it into place. */
export function partOf(path: string): string {
  return `${path}.${String(process.pid)}.part`;
}

/** Removes the parts in `dir` (files or folders) whose writing process has ended; returns their paths. */
export function removeEndedParts(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    // No such folder yet: nothing was written there.
    return [];
  }
  const ended = names.filter((name) => {
    const pid = Number(PART.exec(name)?.[1] ?? 0);
    return pid > 0 && pid !== process.pid && !alive(pid);
  });
  for (const name of ended) rmSync(join(dir, name), { recursive: true, force: true });
  return ended.map((name) => join(dir, name));
}
