/**
 * What a drill leaves on a cell, removed: a container of ours with its scratch folder, and what an
 * interrupted drill left, found by our label and by our folders' names in the store.
 */
import type { CellDocker } from '../adapters/docker.js';
import { StepFailed } from '../core/errors.js';
import { escapeRegExp } from '../core/regexp.js';
import { oneLine } from '../core/display.js';
import { truncate } from '../core/screen-lines.js';
import { CELL_DRILL_PREFIX, CELL_STORE } from './cell-store.js';

/** Our label on every drill container on a cell: its value is the container's scratch folder. */
export const CELL_DRILL_LABEL = 'dingo-recover.cell-drill';

/** Removes a container of ours and its folder (never a path outside the store's drill folders). */
export async function removeOnCell(docker: CellDocker, name: string, folder: string): Promise<void> {
  const r = await docker.runner.run(docker.spec(['rm', '-f', '-v', name], true));
  if (r.exitCode !== 0 && !/No such container/i.test(r.stderr))
    throw docker.failure(docker.spec(['rm', '-f', '-v', name], true), r, `rm ${name}`);
  if (!folder.includes(`/${CELL_DRILL_PREFIX}`) || folder.includes('..')) throw new Error(`not a drill folder: ${folder}`);
  const rm = await docker.runner.run({ argv: ['rm', '-rf', '--one-file-system', folder], writes: true, sudo: true });
  if (rm.exitCode !== 0)
    throw new StepFailed(`rm -rf ${folder} on ${docker.runner.where} failed: ${oneLine(truncate(rm.stderr.trim(), 200))}`);
}

/**
 * What an interrupted drill left on the cell: each container of ours (our label; its value names its
 * folder), removed with its folder; then each folder of ours in the store (`store`, named by our
 * prefix) that no container named: a drill killed after making its folder and before its first
 * container, or after removing its container and before its folder, leaves only the folder. What
 * was removed, by name.
 */
export async function removeCellLeftovers(docker: CellDocker, store = CELL_STORE): Promise<string[]> {
  const spec = docker.spec(
    ['ps', '-a', '--filter', `label=${CELL_DRILL_LABEL}`, '--format', `{{.Names}}\t{{.Label "${CELL_DRILL_LABEL}"}}`],
    false,
  );
  const r = await docker.runner.run(spec);
  if (r.exitCode !== 0) throw docker.failure(spec, r, 'ps (drill leftovers)');
  const removed: string[] = [];
  for (const line of r.stdout.split('\n').filter((l) => l.trim())) {
    const [name = '', folder = ''] = line.split('\t');
    if (!name.startsWith(CELL_DRILL_PREFIX) || !folder.endsWith(`/${name.replace(/-load$/, '')}`)) continue;
    await removeOnCell(docker, name, folder);
    removed.push(name);
  }
  for (const folder of await drillFolders(docker, store)) {
    const name = folder.slice(folder.lastIndexOf('/') + 1);
    if (removed.some((n) => n.replace(/-load$/, '') === name)) continue;
    await removeOnCell(docker, name, folder);
    removed.push(folder);
  }
  return removed;
}

/** The folders of ours directly in the store (`find`, read only; a store not there holds none). */
async function drillFolders(docker: CellDocker, store: string): Promise<string[]> {
  const argv = ['find', store, '-mindepth', '1', '-maxdepth', '1', '-type', 'd', '-name', `${CELL_DRILL_PREFIX}*`];
  const r = await docker.runner.run({ argv, writes: false, sudo: true });
  if (r.exitCode !== 0 && !/No such file or directory/.test(r.stderr))
    throw new StepFailed(`${argv.join(' ')} on ${docker.runner.where} failed: ${oneLine(truncate(r.stderr.trim(), 200))}`, {
      hint: 'check the store on the cell (ls -ld); then resume',
    });
  const ours = new RegExp(`^${escapeRegExp(store)}/${escapeRegExp(CELL_DRILL_PREFIX)}[a-z0-9-]+$`);
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => ours.test(l))
    .sort();
}
