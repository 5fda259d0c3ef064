/**
 * `docker ps` on the simulated cell, as Docker 1.11 answers it (docker/docker v1.11.0
 * `api/client/ps.go`, `api/client/formatter/custom.go`): running containers only unless `-a`,
 * newest first; `--format` a Go template over `.ID`, `.Image`, `.Names`, `.Status` (and the literal
 * text between them), else the default table. Any other placeholder fails as Docker's template
 * does, so a rehearsal notices a listing the real cell would not print.
 */
import { type CellWorld, fail, NEVER, ok, type Out, restarting, type SimContainer } from './cell-world.js';

const PLACEHOLDER = /\{\{\s*\.(\w+)\s*\}\}/g;
const KNOWN = new Set(['ID', 'Image', 'Names', 'Status']);

/**
 * How long ago, in Docker 1.11's words: `units.HumanDuration` of docker/go-units (`duration.go`, as the
 * daemon vendored it before 1.13: moby's `vendor/src/github.com/docker/go-units/duration.go`), whole units
 * rounded down and a single second singular ("1 second"). Later go-units rounds hours to the nearest.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${String(seconds)} seconds`;
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${String(minutes)} minutes`;
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${String(hours)} hours`;
  if (hours < 24 * 7 * 2) return `${String(Math.floor(hours / 24))} days`;
  if (hours < 24 * 30 * 3) return `${String(Math.floor(hours / 24 / 7))} weeks`;
  if (hours < 24 * 365 * 2) return `${String(Math.floor(hours / 24 / 30))} months`;
  return `${String(Math.floor(hours / 24 / 365))} years`;
}

/** The STATUS column, as the daemon words a container's state at `now` (container/state.go `State.String`). */
function status(c: SimContainer, now: Date): string {
  const since = (at: string): string => humanDuration(now.getTime() - Date.parse(at));
  if (c.running) {
    // Between a crash loop's attempts: its last exit's code, and how long ago it exited.
    if (restarting(c)) return `Restarting (${String(c.exitCode)}) ${since(c.finishedAt)} ago`;
    return `Up ${since(c.startedAt)}`;
  }
  return c.finishedAt === NEVER ? 'Created' : `Exited (${String(c.exitCode)}) ${since(c.finishedAt)} ago`;
}

function field(c: SimContainer, name: string, noTrunc: boolean, now: Date): string {
  switch (name) {
    case 'ID':
      return noTrunc ? c.id : c.id.slice(0, 12);
    case 'Image':
      return c.image;
    case 'Names':
      return c.name;
    default:
      return status(c, now);
  }
}

export function ps(state: CellWorld, a: string[], now: Date): Out {
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
        status(c, now).padEnd(20),
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
  return ok(listed.map((c) => `${template.replace(PLACEHOLDER, (_m, name: string) => field(c, name, noTrunc, now))}\n`).join(''));
}
