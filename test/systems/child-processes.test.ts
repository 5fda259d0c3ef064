/**
 * The children a process gives src/systems/child-processes.ts are killed at its exit, whichever load of the
 * module they were given to: a process that loads it twice (a test worker loads the project's modules anew
 * for each file it runs) keeps one registry and one exit hook, not one more per load, which Node warns of
 * past ten ("MaxListenersExceededWarning: … 11 exit listeners added to [process]").
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { running } from '../support/proc.js';

const MODULE = new URL('../../src/systems/child-processes.ts', import.meta.url).href;

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) if (running(pid)) process.kill(pid, 'SIGKILL');
});

/** A process that loads the module LOADS times, gives each load a `sleep`, prints what it holds, then exits. */
async function exitWith(loads: number): Promise<{ pids: number[]; exitHooks: number; warned: boolean }> {
  const script = `
    import { spawn } from 'node:child_process';
    // Hooks of the process's own (the TypeScript loader has one on some Nodes) are not the module's.
    const before = process.listenerCount('exit');
    const pids = [];
    for (let i = 0; i < ${loads}; i++) {
      const { endsWithUs } = await import(${JSON.stringify(MODULE)} + '?load=' + i);
      pids.push(endsWithUs(spawn('sleep', ['60'], { stdio: 'ignore' })).pid);
    }
    process.stdout.write(JSON.stringify({ pids, exitHooks: process.listenerCount('exit') - before }), () => process.exit(0));
  `;
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
  const said = JSON.parse(stdout) as { pids: number[]; exitHooks: number };
  started.push(...said.pids);
  return { ...said, warned: stderr.includes('MaxListenersExceededWarning') };
}

describe('the children given to this process', () => {
  it('are killed at its exit, given to any of the loads of the module, through one exit hook', async () => {
    const { pids, exitHooks, warned } = await exitWith(12);
    expect(pids).toHaveLength(12);
    expect(exitHooks).toBe(1);
    expect(warned).toBe(false);
    // SIGKILLed as the process exited: gone a moment later.
    await vi.waitFor(() => {
      expect(pids.filter(running)).toEqual([]);
    });
  });
});
