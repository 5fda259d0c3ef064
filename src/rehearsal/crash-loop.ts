/**
 * A crash loop under Docker 1.11's restart policy `always`, on the cell's clock. At each exit the daemon
 * counts a restart (RestartCount) and marks the container Restarting, Running too (daemon/monitor.go,
 * container/state.go SetRestarting), then starts it again after a delay (restartmanager/restartmanager.go):
 * 100 ms after the first exit, twice the last delay after each run shorter than 10 s, 100 ms again after a
 * longer run, with no ceiling in 1.11 (later releases stop at one minute). Between the delays it runs one
 * more failing attempt, Running and not Restarting, until it exits again. So a look at once finds it
 * running with its count unchanged; the count grows, ever more slowly, as the cell's time passes.
 */
import { type CellWorld, type CrashLoop, logLine, type SimContainer } from './cell-world.js';

/** A run this long or longer sets the delay back to its first (restartmanager.go: executionDuration >= 10 s). */
const RESET_AFTER_MS = 10_000;
const FIRST_DELAY_MS = 100;

/**
 * How long a Dingo node runs before it exits on "system ID mismatch" once its data is in /data. The image's
 * `scripts/run.sh` (dingo-postgresql-release, images/postgresql95-patroni) sleeps 3 s before its first look
 * for the container's registration in etcd; then `scripts/postgres/start_pg.sh` runs, and Patroni (Python)
 * starts, reads `/initialize` from etcd and exits: 3 s and the start of a Python program, put at 2 s. Shorter
 * than 10 s, so the delays double.
 */
export const MISMATCH_ATTEMPT_MS = 5_000;

/**
 * The code such a node exits with: 0. Patroni exits 1 (patroni/ha.py: `sys.exit(1)` after "system ID
 * mismatch"), but `start_pg.sh` runs it as `python /patroni.py … | indent_patroni`, a pipeline without
 * `pipefail`, whose status is sed's; run.sh ends with that script. Docker keeps it while restarting
 * (container/state.go SetRestarting: the exit status's code).
 */
const MISMATCH_EXIT_CODE = 0;

/** The loop of a container whose attempt that began at `start` fails, and every later one. */
export function crashLoopFrom(start: Date, attemptMs = MISMATCH_ATTEMPT_MS): CrashLoop {
  return { phase: 'running', at: start.toISOString(), delayMs: 0, attemptMs };
}

/** What the restart policy did on the cell by `now`: each crash-looping container's exits and restarts. */
export function advanceCrashLoops(state: CellWorld, now: Date): void {
  for (const c of Object.values(state.containers)) advanceCrashLoop(c, now);
}

/** Brings a crash-looping container's state up to `now`: each exit counted, each attempt's failing line logged as it exits. */
export function advanceCrashLoop(c: SimContainer, now: Date): void {
  const loop = c.crashLoop;
  if (!loop) return;
  for (;;) {
    const at = Date.parse(loop.at);
    if (loop.phase === 'running') {
      const exit = at + loop.attemptMs;
      if (now.getTime() < exit) return;
      c.restartCount = (c.restartCount ?? 0) + 1;
      loop.delayMs = loop.attemptMs >= RESET_AFTER_MS || loop.delayMs === 0 ? FIRST_DELAY_MS : loop.delayMs * 2;
      Object.assign(loop, { phase: 'restarting', at: new Date(exit).toISOString() });
      c.finishedAt = loop.at;
      c.exitCode = MISMATCH_EXIT_CODE;
      // It failed as before: its last line again.
      const last = c.logs.at(-1);
      if (last) logLine(c, new Date(exit), last);
    } else {
      const start = at + loop.delayMs;
      if (now.getTime() < start) return;
      Object.assign(loop, { phase: 'running', at: new Date(start).toISOString() });
      c.startedAt = loop.at;
    }
  }
}
