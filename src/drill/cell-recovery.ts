/**
 * The drill's scratch server on the cell, asked through `docker exec psql` over its socket, and the
 * wait until it has replayed the archive: polled half a second after it starts, then less and less
 * often, up to every 10 s, so an hour of replay is not a journal of thousands of cell commands (each a
 * session of its own through `bosh ssh`).
 */
import { pollDelays } from '../core/poll-delays.js';
import { CellScratch } from '../systems/cell-scratch.js';
import { StepFailed } from '../core/errors.js';
import { DrillFailed } from './exit-codes.js';

/** The server's socket, in the container's private /tmp (no TCP). */
export const SOCKET_DIR = '/tmp';
/** The first pause between two polls of recovery, and the longest. */
const FIRST_POLL_MS = 500;
const LONGEST_POLL_MS = 10_000;

/** psql's exit code when it could not connect (psql/startup.c EXIT_BADCONN). */
const CANNOT_CONNECT = 2;

/** One query as the postgres account over the server's socket: its output, trimmed, and whether it ran. */
export async function cellPsql(
  box: CellScratch,
  sql: string,
  database = 'postgres',
): Promise<{ ok: boolean; out: string; err: string; exitCode: number }> {
  const r = await box.exec(['psql', '-X', '-w', '-At', '-h', SOCKET_DIR, '-d', database, '-c', sql]);
  return { ok: r.exitCode === 0, out: r.stdout.trim(), err: r.stderr.trim(), exitCode: r.exitCode };
}

/**
 * Until recovery has ended and the server answers; a server that stopped fails the drill with its last
 * FATAL lines. One cell command a poll while it replays: the server is the container's first process
 * and runs with hot_standby off, so psql started in the container and turned away (it could not
 * connect) says the server still runs and does not accept clients yet. Only another failure (the
 * container is gone or stopped: the daemon refused `docker exec`) asks Docker whether it still runs.
 */
export async function waitRecovered(
  box: CellScratch,
  signal: AbortSignal | undefined,
  timeoutMs: number,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  const started = performance.now();
  let paused = 0;
  const elapsed = (): number => Math.max(performance.now() - started, paused);
  const pauses = pollDelays(LONGEST_POLL_MS, FIRST_POLL_MS);
  for (;;) {
    signal?.throwIfAborted();
    // The daemon refusing `docker exec` (the container is not running) is asked about below.
    const r = await cellPsql(box, 'select pg_catalog.pg_is_in_recovery()').catch((err: unknown) => {
      if (err instanceof StepFailed) return null;
      throw err;
    });
    if (r?.ok && r.out === 'f') return;
    if ((!r || (!r.ok && r.exitCode !== CANNOT_CONNECT)) && !(await box.running())) {
      const log = await box.log();
      // A full disk is the cell's, not the archive's: said as such, with how full the store is.
      if (CellScratch.saysNoSpace(log)) throw await box.storeFull(`while PostgreSQL replayed the archive in ${box.name}`, log);
      const fatal = log.split('\n').filter((l) => /FATAL|PANIC/.test(l));
      throw new DrillFailed(
        'not-restorable',
        `PostgreSQL stopped during recovery${fatal.length ? `: ${fatal.slice(-3).join(' | ')}` : ''}`,
      );
    }
    if (elapsed() > timeoutMs) throw new DrillFailed('could-not-run', `recovery did not end within ${Math.round(timeoutMs / 60_000)} min`);
    const pause = pauses.next().value;
    await sleep(pause);
    paused += pause;
  }
}
