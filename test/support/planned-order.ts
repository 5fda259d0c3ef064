/**
 * The order of a pass's files, planned as vitest's pool runs them (each file to the first worker that
 * frees). A pool has more workers than cores, so that files which wait (on a server, a child, a
 * director's task) leave the cores to others: the workers past the cores are the waiting files' to
 * take. When a worker frees, the file it takes is the longest whose waiting still fits in them
 * (what the running files wait, a worker less the share of a core each keeps busy, at most the
 * workers less the cores); else the one that waits least; and first of all the longest, when it would
 * end in the last part of the pass if started any later. Longest first alone started the files of
 * minutes together: three through bosh ssh, which mostly wait on a director, left two cores half idle
 * for two and a half minutes; taking only the files that work first left them waiting together later.
 */

/** A file to place: how long it runs, and the share of a core it keeps busy meanwhile. */
export interface FileCost<T> {
  file: T;
  wall: number;
  /** CPU-seconds per second; a file durations.json does not know counts as a whole core. */
  cores: number;
}

/** Where the planning stands when a worker frees. */
interface Moment {
  /** Seconds since the pass began. */
  now: number;
  /** When the pass should end: its files' CPU on the cores, or their seconds on the workers, the longer. */
  end: number;
  /** Workers the running files wait in: each a worker less the share of a core it keeps busy. */
  waiting: number;
  /** Workers past the cores: what the running files may wait in. */
  slack: number;
}

/**
 * The part of the pass a file must end in, started at the latest: a file that waits, put off to the
 * very end, ran among the last with the cores idle around it; the last part is the short files'.
 */
const ENDS_BY = 0.85;

/** The part of a worker a file waits in. */
const waits = (f: { cores: number }): number => 1 - Math.min(1, f.cores);

/**
 * The index in `left` (longest first) of the file to start: the longest, when it would end past
 * ENDS_BY of the pass if started any later; else the longest whose waiting fits in the slack the
 * running files leave; else the one that waits least.
 */
function nextFile(left: readonly FileCost<unknown>[], at: Moment): number {
  if ((left[0]?.wall ?? 0) >= ENDS_BY * at.end - at.now) return 0;
  const room = at.slack - at.waiting;
  const fit = left.findIndex((f) => waits(f) <= room + 1e-9);
  if (fit >= 0) return fit;
  return left.reduce((best, f, i) => (waits(f) < waits(left[best] ?? f) ? i : best), 0);
}

/** The files in the order a pool of `workers` on `cores` cores should take them (see nextFile). */
export function plannedOrder<T>(costs: readonly FileCost<T>[], workers: number, cores: number): T[] {
  const left = [...costs].sort((a, b) => b.wall - a.wall);
  const known = costs.filter((f) => Number.isFinite(f.wall));
  const end = Math.max(known.reduce((sum, f) => sum + f.wall * f.cores, 0) / cores, known.reduce((sum, f) => sum + f.wall, 0) / workers);
  const running: { cores: number; ends: number }[] = [];
  const slack = Math.max(0, workers - cores);
  const order: T[] = [];
  let now = 0;
  while (left.length) {
    if (running.length >= workers) {
      running.sort((a, b) => a.ends - b.ends);
      now = running.shift()?.ends ?? now;
    }
    const waiting = running.reduce((sum, r) => sum + waits(r), 0);
    const [next] = left.splice(nextFile(left, { now, end, waiting, slack }), 1);
    if (!next) break;
    order.push(next.file);
    running.push({ cores: next.cores, ends: now + next.wall });
  }
  return order;
}
