/**
 * The simulated cell's crash loop follows Docker 1.11's restart manager on the cell's clock: a look
 * at once finds the container running its attempt, RestartCount unchanged; each exit is counted and
 * followed by a delay (Restarting) of 100 ms, doubled after each run shorter than 10 s, back to 100 ms
 * after a longer one; a stop by hand ends the loop.
 */
import { describe, expect, it } from 'vitest';
import { advanceCrashLoop, crashLoopFrom } from '../../src/rehearsal/crash-loop.js';
import { restarting, type CellWorld, type SimContainer } from '../../src/rehearsal/cell-world.js';
import { start, stop } from '../../src/rehearsal/cell-lifecycle.js';
import { inspect } from '../../src/rehearsal/cell-inspect.js';

const T0 = Date.parse('2016-03-17T18:00:00.000Z');
const at = (ms: number): Date => new Date(T0 + ms);

function looping(attemptMs: number): SimContainer {
  return {
    id: 'a'.repeat(64),
    name: 'cf-node',
    image: 'cfcommunity/postgresql-patroni:9.5',
    env: [],
    mounts: [],
    running: true,
    exitCode: 137,
    startedAt: at(0).toISOString(),
    finishedAt: '0001-01-01T00:00:00Z',
    logs: ['CRITICAL: system ID mismatch'],
    pg: { ready: false, inRecovery: false, pollsUntilPromoted: 0, roles: {} },
    crashLoop: crashLoopFrom(at(0), attemptMs),
  };
}

/** RestartCount and Restarting of a fresh loop looked at `ms` after its first attempt began. */
function lookAt(attemptMs: number, ms: number): { count: number; restarting: boolean } {
  const c = looping(attemptMs);
  advanceCrashLoop(c, at(ms));
  return { count: c.restartCount ?? 0, restarting: restarting(c) };
}

describe('a crash loop on the cell clock', () => {
  it('runs its first attempt until it exits: no restart counted before', () => {
    expect(lookAt(3000, 0)).toEqual({ count: 0, restarting: false });
    expect(lookAt(3000, 2999)).toEqual({ count: 0, restarting: false });
  });

  it('counts the exit and waits 100 ms, then 200, then 400, each attempt shorter than 10 s', () => {
    // Exits at 3000, 6100, 9300; restarts at 3100, 6300, 9700.
    expect(lookAt(3000, 3000)).toEqual({ count: 1, restarting: true });
    expect(lookAt(3000, 3099)).toEqual({ count: 1, restarting: true });
    expect(lookAt(3000, 3100)).toEqual({ count: 1, restarting: false });
    expect(lookAt(3000, 6100)).toEqual({ count: 2, restarting: true });
    expect(lookAt(3000, 6299)).toEqual({ count: 2, restarting: true });
    expect(lookAt(3000, 6300)).toEqual({ count: 2, restarting: false });
    expect(lookAt(3000, 9300)).toEqual({ count: 3, restarting: true });
    expect(lookAt(3000, 9699)).toEqual({ count: 3, restarting: true });
    expect(lookAt(3000, 9700)).toEqual({ count: 3, restarting: false });
  });

  it('grows its delays without a ceiling, so the count grows ever more slowly', () => {
    const after = (minutes: number) => lookAt(3000, minutes * 60_000).count;
    expect(after(1)).toBeLessThan(12);
    expect(after(10) - after(5)).toBeLessThan(after(5));
    // 100 ms × 2^11 = 205 s: the twelfth delay alone is longer than three minutes.
    expect(after(60)).toBeLessThan(20);
  });

  it('waits 100 ms after every exit of an attempt that ran 10 s or more', () => {
    // Exits at 12000, 24100, 36200.
    expect(lookAt(12_000, 36_200)).toEqual({ count: 3, restarting: true });
    expect(lookAt(12_000, 36_300)).toEqual({ count: 3, restarting: false });
  });

  it('logs its failing line again at each exit, at the time of the exit, and dates the attempt it runs', () => {
    const c = looping(3000);
    advanceCrashLoop(c, at(7000));
    expect(c.logs).toEqual(Array(3).fill('CRITICAL: system ID mismatch'));
    expect(c.logsAt?.slice(1)).toEqual([at(3000).toISOString(), at(6100).toISOString()]);
    expect(c.startedAt).toBe(at(6300).toISOString());
    expect(c.finishedAt).toBe(at(6100).toISOString());
  });

  it("shows, in docker inspect, no process and its last exit's code while restarting, a process and 0 while an attempt runs", () => {
    const c = looping(3000);
    const cell: CellWorld = { ip: '10.58.111.150', dockerVersion: '1.11.0', containers: { [c.name]: c }, files: {} };
    const state = (ms: number) => {
      advanceCrashLoop(c, at(ms));
      const [json] = JSON.parse(inspect(cell, [c.name]).stdout) as { State: Record<string, unknown> }[];
      const { Running, Restarting, Pid, ExitCode } = json!.State;
      return { Running, Restarting, Pid, ExitCode };
    };
    // The stop before it (137) is not what a start shows; the node's own exit is 0, its start script's status.
    expect(state(0)).toEqual({ Running: true, Restarting: false, Pid: expect.any(Number), ExitCode: 0 });
    expect(state(0).Pid).not.toBe(0);
    expect(state(3050)).toEqual({ Running: true, Restarting: true, Pid: 0, ExitCode: 0 });
    expect(state(3100)).toMatchObject({ Running: true, Restarting: false, ExitCode: 0 });
    expect(state(3100).Pid).not.toBe(0);
    expect(stop(cell, [c.name], at(4000), {}).exitCode).toBe(0);
    expect(state(4000)).toEqual({ Running: false, Restarting: false, Pid: 0, ExitCode: 137 });
  });

  it('does nothing to a container that is not in one', () => {
    const c = looping(3000);
    delete c.crashLoop;
    advanceCrashLoop(c, at(60_000));
    expect(c.restartCount).toBeUndefined();
    expect(restarting(c)).toBe(false);
  });

  it('ends with a stop by hand; a start by hand sets RestartCount back to 0', () => {
    const c = looping(3000);
    const cell: CellWorld = { ip: '10.58.111.150', dockerVersion: '1.11.0', containers: { [c.name]: c }, files: {} };
    advanceCrashLoop(c, at(10_000));
    expect(c.restartCount).toBe(3);
    expect(stop(cell, [c.name], at(10_000), {}).exitCode).toBe(0);
    expect(start(cell, [c.name], at(20_000), {}).exitCode).toBe(0);
    expect(c.crashLoop).toBeUndefined();
    expect(c.restartCount).toBeUndefined();
    advanceCrashLoop(c, at(60_000));
    expect({ running: c.running, restarting: restarting(c), count: c.restartCount }).toEqual({
      running: true,
      restarting: false,
      count: undefined,
    });
  });
});
