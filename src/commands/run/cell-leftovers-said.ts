/**
 * What a run's drills made on a cell and never removed, read from its journal: a session that ended at
 * once (a signal, a crash, SIGKILL) left the drill's container, its folder in the cell's store, or
 * both (systems/cell-leftovers.ts). A resume removes them before it drills again; an abandoned run is
 * never resumed, so `abandon` says what is left on which cell and how to remove it there.
 */
import { CELL_DRILL_LABEL } from '../../systems/cell-leftovers.js';
import { CELL_DRILL_PREFIX } from '../../systems/cell-store.js';
import type { JournalEvent } from '../../engine/journal/index.js';
import { pasteCommand } from '../../core/shell-quote.js';

/** What one cell still holds of the run's drills. */
export interface CellLeftovers {
  /** The cell as the journal names it ("cell 10.58.111.150 …"). */
  where: string;
  containers: string[];
  folders: string[];
  /** The cell's docker command as the run gave it (its binary, its --host), without sudo. */
  docker: string[];
}

const FOLDER = new RegExp(`^(?:${CELL_DRILL_LABEL.replace(/\./g, '\\.')}=)?(/\\S*/${CELL_DRILL_PREFIX}[0-9a-f]+)$`);

/** The argument after `flag` in `argv`, when there is one. */
function after(argv: readonly string[], flag: string): string | undefined {
  const at = argv.indexOf(flag);
  return at >= 0 ? argv[at + 1] : undefined;
}

/** The drill containers and folders the run's cell commands made and no later one removed, by cell. */
export function cellLeftovers(events: readonly JournalEvent[]): CellLeftovers[] {
  const cells = new Map<string, { containers: Set<string>; folders: Set<string>; docker: string[] }>();
  for (const e of events) {
    if (e.type !== 'command' || e.system !== 'cell') continue;
    const cell = cells.get(e.where) ?? { containers: new Set<string>(), folders: new Set<string>(), docker: ['docker'] };
    cells.set(e.where, cell);
    const argv = e.argv;
    const folders = argv.flatMap((a) => FOLDER.exec(a)?.[1] ?? []);
    const removes = argv.includes('rm') && (e.exitCode === 0 || /No such container/i.test(e.output));
    if (removes && argv.includes('-rf')) for (const f of folders) cell.folders.delete(f);
    if (removes && argv.includes('-f') && argv.includes('-v'))
      for (const name of argv.filter((a) => a.startsWith(CELL_DRILL_PREFIX))) cell.containers.delete(name);
    // A command whose answer was lost may have taken effect: what it would have made is counted as made.
    if (e.exitCode !== 0 && !e.lost) continue;
    if (argv.includes('mkdir')) for (const f of folders) cell.folders.add(f);
    const name = argv.includes('run') ? after(argv, '--name') : undefined;
    if (name?.startsWith(CELL_DRILL_PREFIX)) {
      cell.containers.add(name);
      const docker = argv.slice(0, argv.indexOf('run'));
      cell.docker = docker[0] === 'sudo' ? docker.slice(docker[1] === '-n' ? 2 : 1) : docker;
      for (const f of folders) cell.folders.add(f);
    }
  }
  return [...cells.entries()]
    .map(([where, c]) => ({ where, containers: [...c.containers], folders: [...c.folders], docker: c.docker }))
    .filter((c) => c.containers.length > 0 || c.folders.length > 0);
}

/** A line for each cell: what is left there and the commands that remove it, as root on the cell. */
export function cellLeftoverLines(left: readonly CellLeftovers[]): string[] {
  return left.map((c) => {
    const what = [...c.containers.map((n) => `container ${n}`), ...c.folders.map((f) => `folder ${f}`)].join(', ');
    const commands = [
      ...(c.containers.length ? [pasteCommand([...c.docker, 'rm', '-f', '-v', ...c.containers])] : []),
      ...(c.folders.length ? [pasteCommand(['rm', '-rf', '--one-file-system', ...c.folders])] : []),
    ].join(' && ');
    return `left on ${c.where} by a drill of this run that its session could not finish (a copy of the user's data): ${what}; remove it there as root: ${commands}`;
  });
}
