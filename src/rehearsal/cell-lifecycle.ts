/**
 * `docker stop`, `docker start` and `docker logs` on the simulated cell. Stopping a patroni
 * container kills it: the image's run.sh, PID 1, does not pass SIGTERM on, so Docker waits the
 * whole grace period (`-t`, 10 s by default) and uses the force (seed 003's docker.stderr.log:
 * "failed to exit within 10 seconds of SIGTERM - using the force"), exit 137. The hooks let the
 * world react, as patroni does when it starts on an empty data folder.
 */
import { type CellHooks, type CellWorld, envOf, fail, findContainer, ok, type Out, type SimContainer } from './cell-world.js';

/** The containers named, or Docker's answer naming those that do not exist. */
function resolveAll(state: CellWorld, names: string[], failure: (missing: string[]) => string): SimContainer[] | Out {
  const missing = names.filter((n) => !findContainer(state, n));
  if (missing.length === 0) return names.map((n) => findContainer(state, n)!);
  return fail(1, missing.map((n) => `Error response from daemon: No such container: ${n}\n`).join('') + failure(missing));
}

const echo = (names: string[]): Out => ok(names.map((n) => `${n}\n`).join(''));

/**
 * Stop or start the containers found: each one not already so changes state and its hook runs.
 * Patroni containers do not exit within the grace period; docker kills them (137).
 */
function transition(
  found: SimContainer[],
  running: boolean,
  at: (c: SimContainer) => Date,
  hook: ((c: SimContainer) => void) | undefined,
): void {
  for (const c of found) {
    if (c.running === running) continue;
    const now = at(c);
    c.running = running;
    c.exitCode = running ? 0 : 137;
    if (running) c.startedAt = now.toISOString();
    else c.finishedAt = now.toISOString();
    c.pg = { ...c.pg, ready: running };
    // A start by hand sets RestartCount back to 0 (daemon/start.go containerStart: ResetRestartManager(true));
    // a stop by hand ends a crash loop.
    if (running) delete c.restartCount;
    delete c.patroni;
    delete c.crashLoop;
    hook?.(c);
  }
}

export function stop(state: CellWorld, a: string[], now: Date, hooks: CellHooks): Out {
  const timed = a[0] === '-t' || a[0] === '--time';
  const grace = timed ? Number(a[1]) : 10;
  const names = timed ? a.slice(2) : a;
  if (!Number.isInteger(grace) || grace < 0)
    return fail(1, `invalid argument "${a[1] ?? ''}" for -t: strconv.ParseInt: parsing "${a[1] ?? ''}": invalid syntax\n`);
  const found = resolveAll(state, names, (missing) => `Error: failed to stop containers: [${missing.join(' ')}]\n`);
  if (!Array.isArray(found)) return found;
  // A patroni container outlasts the grace period: it is killed when the period is over.
  const killedAt = (c: SimContainer): Date => (envOf(c).PATRONI_SCOPE && hooks.elapse ? hooks.elapse(grace * 1000) : now);
  transition(found, false, killedAt, hooks.onStop?.bind(hooks));
  return echo(names);
}

export function start(state: CellWorld, a: string[], now: Date, hooks: CellHooks): Out {
  const found = resolveAll(state, a, (missing) => `Error: failed to start containers: ${missing.join(', ')}\n`);
  if (!Array.isArray(found)) return found;
  transition(found, true, () => now, hooks.onStart?.bind(hooks));
  return echo(a);
}

/** The drivers Docker 1.11's client reads logs of (api/client/logs.go `validDrivers`). */
const READABLE_DRIVERS = new Set(['json-file', 'journald']);

/**
 * `docker logs [-t] [--since WHEN] [--tail N] NAME`. `--since` takes an RFC 3339 time, Unix seconds,
 * or a Go duration back from the cell's clock (Docker 1.11's `timetypes.GetTimestamp`); `-t` puts
 * each line's time before it, RFC 3339 with nine fraction digits. A container whose log driver is
 * neither json-file nor journald is refused by the client before it asks the daemon.
 */
export function logs(state: CellWorld, a: string[], now: Date = new Date()): Out {
  let tail: number | undefined;
  let since: number | undefined;
  let stamps = false;
  let name: string | undefined;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--tail') tail = Number(a[++i]);
    else if (a[i] === '--since') {
      since = sinceOf(a[++i] ?? '', now);
      if (Number.isNaN(since)) return fail(1, `Error response from daemon: invalid value for since: ${a[i] ?? ''}\n`);
    } else if (a[i] === '-t' || a[i] === '--timestamps') stamps = true;
    else name = a[i];
  }
  const c = name ? findContainer(state, name) : undefined;
  if (!c) return fail(1, `Error response from daemon: No such container: ${name ?? ''}\n`);
  const driver = c.logDriver ?? 'json-file';
  if (!READABLE_DRIVERS.has(driver))
    return fail(1, `"logs" command is supported only for "json-file" and "journald" logging drivers (got: ${driver})\n`);
  const dated = c.logs.map((line, i) => ({ line, at: c.logsAt?.[i] ?? c.startedAt }));
  const kept = since === undefined ? dated : dated.filter((l) => Date.parse(l.at) >= since);
  const lines = tail === undefined || Number.isNaN(tail) ? kept : tail === 0 ? [] : kept.slice(-tail);
  return ok(lines.map((l) => `${stamps ? `${nanoTime(l.at)} ` : ''}${l.line}\n`).join(''));
}

/** `--since`'s value as epoch milliseconds, NaN when it is none of the forms Docker takes. */
function sinceOf(value: string, now: Date): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const duration = /^(\d+)(h|m|s)$/.exec(value);
  if (duration) return now.getTime() - Number(duration[1]) * { h: 3_600_000, m: 60_000, s: 1000 }[duration[2] as 'h' | 'm' | 's'];
  return /^\d{4}-\d\d-\d\dT/.test(value) ? Date.parse(value) : NaN;
}

/** `2016-03-18T01:05:20.732000000Z`: Docker's RFC3339NanoFixed. */
function nanoTime(iso: string): string {
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 19)}.${String(d.getUTCMilliseconds()).padStart(3, '0')}000000Z`;
}
