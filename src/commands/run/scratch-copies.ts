/**
 * The copies of the user's data a run keeps while it goes on, and which go when it is abandoned: the
 * restored copies in `<temp>/dingo-restore-<run-id>/`, a rehearsal world's databases in
 * `<temp>/dingo-world-<run-id>/`, a restore check's cluster a killed attempt left in
 * `<temp>/dingo-restore-check-…` (named in its step's journaled plan), and the copy of a volume, in the
 * run's folder (`copies/`) or in the folder the operator named (its step's plan names it; the volume
 * itself is untouched), a drill's folder a killed session left (`<temp>/dingo-drill-<run-id>-<step>`),
 * and a killed session's `bosh ssh` files (`<temp>/dingo-bosh-ssh-<run-id>/`: a v1 deployment's manifest,
 * a command's staged input). The dumps (`dumps/`) are what the run made
 * for the user, and stay. A server still running on a copy (a run an older version started) is stopped
 * first. Nothing but these folders of the tool's own making is removed; each is named with its size.
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { formatBytes } from '../../core/format.js';
import { stopServersOn } from '../../volumes/scratch-server.js';
import { drillScratchPrefix } from '../../actions/support/drill-scratch.js';
import { boshScratchName } from '../../systems/bosh-ssh/index.js';
import { isOwnFolder } from '../../core/own-folder.js';

/** The bytes a folder holds (what it holds, links not followed). */
async function sizeOf(path: string): Promise<number> {
  const st = await lstat(path).catch(() => null);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of await readdir(path).catch(() => [] as string[])) total += await sizeOf(join(path, name));
  return total;
}

/** Every data folder under `dir` (a folder holding PG_VERSION), at most two levels down. */
async function dataFolders(dir: string, depth = 2): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  if (names.includes('PG_VERSION')) return [dir];
  if (depth === 0) return [];
  const found: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if ((await lstat(path).catch(() => null))?.isDirectory()) found.push(...(await dataFolders(path, depth - 1)));
  }
  return found;
}

/** The run's folders of copies that are there: real folders (never a link), of this process's account. */
async function copiesOf(o: { runId: string; runDir: string; scratch: string; plans: Record<string, unknown>[] }): Promise<string[]> {
  const checks = o.plans
    .flatMap((plan) => Object.values(plan))
    .filter((v): v is string => typeof v === 'string' && dirname(v) === o.scratch && basename(v).startsWith('dingo-restore-check-'));
  // A volume's copy made in a folder the operator named (volumes.copy's plan: that folder, the copy's own folder in it, its time).
  const volumeCopies = o.plans
    .filter((p) => typeof p.scratch === 'string' && typeof p.dir === 'string' && typeof p.at === 'string' && dirname(p.dir) === p.scratch)
    .map((p) => p.dir as string);
  // A drill's fetched and restored archive, and a bosh ssh session's files, that a killed session left.
  const leftBehind = (await readdir(o.scratch).catch(() => [] as string[]))
    .filter((name) => name.startsWith(drillScratchPrefix(o.runId)) || name === boshScratchName(o.runId))
    .map((name) => join(o.scratch, name));
  const candidates = [
    join(o.scratch, `dingo-restore-${o.runId}`),
    join(o.scratch, `dingo-world-${o.runId}`),
    ...leftBehind,
    ...checks,
    ...volumeCopies,
    join(o.runDir, 'copies'),
  ];
  const there: string[] = [];
  for (const path of candidates) {
    const st = await lstat(path).catch(() => null);
    if (st && isOwnFolder(st) && !there.includes(path)) there.push(path);
  }
  return there;
}

/** Removes the run's copies of the user's data; a line for each removed, with its size. */
export async function removeScratchCopies(o: {
  runId: string;
  runDir: string;
  scratch: string;
  plans: Record<string, unknown>[];
}): Promise<string[]> {
  const lines: string[] = [];
  for (const folder of await copiesOf(o)) {
    for (const data of await dataFolders(folder)) {
      for (const pid of await stopServersOn(data)) lines.push(`stopped the PostgreSQL (pid ${pid}) still running on ${data}`);
    }
    const bytes = await sizeOf(folder);
    await rm(folder, { recursive: true, force: true });
    const what =
      basename(folder) === boshScratchName(o.runId)
        ? "a bosh ssh session's files (a deployment's manifest, a command's input)"
        : "the run's copies of the user's data";
    lines.push(`removed ${folder} (${formatBytes(bytes)}): ${what}`);
  }
  return lines;
}
