import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { endChild } from '../support/end-child.js';
import { running } from '../support/proc.js';

const started: ReturnType<typeof spawn>[] = [];
// Whatever a test's end, none of its children outlives it.
afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** A node child that has said it is ready, ignoring SIGTERM when asked to. */
async function child(ignoreTerm: boolean): Promise<ReturnType<typeof spawn>> {
  const code = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} setInterval(() => {}, 1000); console.log('ready');`;
  const c = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(c);
  await new Promise((resolve) => c.stdout.once('data', resolve));
  return c;
}

describe('ending a server the tests started', () => {
  it('ends a server that obeys SIGTERM with SIGTERM', async () => {
    const c = await child(false);
    await endChild(c, 30_000);
    expect(c.signalCode).toBe('SIGTERM');
    expect(running(c.pid!)).toBe(false);
  });

  it('kills one that ignores SIGTERM once the grace period is over, and settles only when it has exited', async () => {
    const c = await child(true);
    await endChild(c, 300);
    expect(c.signalCode).toBe('SIGKILL');
    expect(running(c.pid!)).toBe(false);
  });

  it('settles at once for one that had already exited', async () => {
    const c = await child(false);
    c.kill('SIGKILL');
    await new Promise((resolve) => c.once('exit', resolve));
    await endChild(c);
    expect(c.signalCode).toBe('SIGKILL');
  });
});
