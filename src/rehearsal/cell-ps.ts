/** `docker ps` on the simulated cell: the adapter's --format rows, or Docker 1.11's table. */
import { PS_FORMAT } from '../adapters/docker.js';
import { type CellWorld, fail, NEVER, ok, type Out, type SimContainer } from './cell-world.js';

export function ps(state: CellWorld, a: string[], now: Date): Out {
  const all = a.includes('-a') || a.includes('--all');
  const fi = a.indexOf('--format');
  // docker reads the two characters `\t` in a template as a tab.
  const format = fi >= 0 ? a[fi + 1]?.replace(/\\t/g, '\t') : undefined;
  const rows = Object.values(state.containers)
    .filter((c) => all || c.running)
    .sort((x, y) => y.startedAt.localeCompare(x.startedAt));
  if (format === PS_FORMAT.replace(/\\t/g, '\t'))
    return ok(rows.map((c) => `${c.id.slice(0, 12)}\t${c.name}\t${statusOf(c, now)}\n`).join(''));
  if (format !== undefined) return fail(1, `template: simulated docker 1.11 only knows --format '${PS_FORMAT}'\n`);
  return ok(table(rows, now));
}

const pad = (s: string, n: number): string => (s.length >= n ? s + ' ' : s.padEnd(n));

function table(rows: SimContainer[], now: Date): string {
  const header = `${pad('CONTAINER ID', 20)}${pad('IMAGE', 37)}${pad('COMMAND', 25)}${pad('CREATED', 20)}${pad('STATUS', 20)}${pad('PORTS', 26)}NAMES\n`;
  const row = (c: SimContainer): string =>
    `${pad(c.id.slice(0, 12), 20)}${pad(c.image, 37)}${pad('"/scripts/run.sh "', 25)}${pad(humanDuration(now.getTime() - Date.parse(c.startedAt)) + ' ago', 20)}${pad(statusOf(c, now), 20)}${pad(c.running ? '0.0.0.0:32785->5432/tcp' : '', 26)}${c.name}\n`;
  return header + rows.map(row).join('');
}

function statusOf(c: SimContainer, now: Date): string {
  if (c.running) return `Up ${humanDuration(now.getTime() - Date.parse(c.startedAt))}`;
  if (c.finishedAt === NEVER) return 'Created';
  return `Exited (${c.exitCode}) ${humanDuration(now.getTime() - Date.parse(c.finishedAt))} ago`;
}

/** go-units HumanDuration, which docker ps uses for STATUS. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}
