/**
 * `docker ps` on the simulated cell, as Docker 1.11 answers it (docker/docker v1.11.0
 * `api/client/ps.go`, `api/client/formatter/custom.go`): running containers only unless `-a`,
 * newest first; `--format` a Go template over `.ID`, `.Image`, `.Names`, `.Status` (and the literal
 * text between them), else the default table. Any other placeholder fails as Docker's template
 * does, so a rehearsal notices a listing the real cell would not print.
 */
import { type CellWorld, fail, NEVER, ok, type Out, type SimContainer } from './cell-world.js';

const PLACEHOLDER = /\{\{\s*\.(\w+)\s*\}\}/g;
const KNOWN = new Set(['ID', 'Image', 'Names', 'Status']);

function status(c: SimContainer): string {
  if (c.running) return 'Up';
  return c.finishedAt === NEVER ? 'Created' : `Exited (${String(c.exitCode)})`;
}

function field(c: SimContainer, name: string, noTrunc: boolean): string {
  switch (name) {
    case 'ID':
      return noTrunc ? c.id : c.id.slice(0, 12);
    case 'Image':
      return c.image;
    case 'Names':
      return c.name;
    default:
      return status(c);
  }
}

export function ps(state: CellWorld, a: string[]): Out {
  let all = false;
  let noTrunc = false;
  let format: string | undefined;
  for (let i = 0; i < a.length; i++) {
    const arg = a[i]!;
    if (arg === '-a' || arg === '--all') all = true;
    else if (arg === '--no-trunc') noTrunc = true;
    else if (arg === '--format') format = a[++i];
    else return fail(125, `flag provided but not defined: ${arg}\nSee 'docker ps --help'.\n`);
  }
  const listed = Object.values(state.containers)
    .filter((c) => all || c.running)
    .sort((x, y) => y.startedAt.localeCompare(x.startedAt));
  if (format === undefined) {
    const header =
      'CONTAINER ID        IMAGE                                COMMAND                  CREATED             STATUS              PORTS                     NAMES';
    const rows = listed.map((c) =>
      [
        c.id.slice(0, 12).padEnd(20),
        c.image.padEnd(37),
        '"/scripts/run.sh "'.padEnd(25),
        ''.padEnd(20),
        status(c).padEnd(20),
        ''.padEnd(26),
        c.name,
      ].join(''),
    );
    return ok([header, ...rows].map((l) => `${l}\n`).join(''));
  }
  const unknown = [...format.matchAll(PLACEHOLDER)].find((m) => !KNOWN.has(m[1]!));
  if (unknown)
    return fail(1, `Template parsing error: template: :1:2: executing "" at <.${unknown[1]!}>: can't evaluate field ${unknown[1]!}\n`);
  const template = format.replace(/\\t/g, '\t');
  return ok(listed.map((c) => `${template.replace(PLACEHOLDER, (_m, name: string) => field(c, name, noTrunc))}\n`).join(''));
}
