/**
 * `docker stop`, `docker start` and `docker logs` on the simulated cell. Stopping a patroni
 * container kills it (137, it outlasts the grace period); the hooks let the world react, as
 * patroni does when it starts on an empty data folder.
 */
import { type CellHooks, type CellWorld, fail, findContainer, ok, type Out, type SimContainer } from './cell-world.js';

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
function transition(found: SimContainer[], running: boolean, now: Date, hook: ((c: SimContainer) => void) | undefined): void {
  for (const c of found) {
    if (c.running === running) continue;
    c.running = running;
    c.exitCode = running ? 0 : 137;
    if (running) c.startedAt = now.toISOString();
    else c.finishedAt = now.toISOString();
    c.pg = { ...c.pg, ready: running };
    hook?.(c);
  }
}

export function stop(state: CellWorld, a: string[], now: Date, hooks: CellHooks): Out {
  const names = a[0] === '-t' || a[0] === '--time' ? a.slice(2) : a;
  const found = resolveAll(state, names, (missing) => `Error: failed to stop containers: [${missing.join(' ')}]\n`);
  if (!Array.isArray(found)) return found;
  transition(found, false, now, hooks.onStop?.bind(hooks));
  return echo(names);
}

export function start(state: CellWorld, a: string[], now: Date, hooks: CellHooks): Out {
  const found = resolveAll(state, a, (missing) => `Error: failed to start containers: ${missing.join(', ')}\n`);
  if (!Array.isArray(found)) return found;
  transition(found, true, now, hooks.onStart?.bind(hooks));
  return echo(a);
}

export function logs(state: CellWorld, a: string[]): Out {
  let tail: number | undefined;
  let name: string | undefined;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--tail') tail = Number(a[++i]);
    else if (a[i] === '--since')
      i++; // the simulated log has no timestamps to filter on
    else name = a[i];
  }
  const c = name ? findContainer(state, name) : undefined;
  if (!c) return fail(1, `Error response from daemon: No such container: ${name ?? ''}\n`);
  const lines = tail === undefined || Number.isNaN(tail) ? c.logs : tail === 0 ? [] : c.logs.slice(-tail);
  return ok(lines.map((l) => `${l}\n`).join(''));
}
