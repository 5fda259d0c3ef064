/**
 * A run killed while its scratch PostgreSQL ran leaves that server running: pg_ctl detaches it from
 * the run's process group, so it outlives the kill, serving the user's database from the run's
 * scratch folder. The resume stops it before removing the copy under it.
 */
import { tmpdir } from 'node:os';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeLeftovers, scratchFolder } from '../../../src/actions/support/restore-copy.js';
import type { StepContext } from '../../../src/engine/executor/index.js';
import { DEFAULT_SETTINGS } from '../../../src/engine/runbook/index.js';
import { makeCluster } from '../../support/pg-volumes.js';
import { testRuntime } from '../../support/runtime.js';
import { running } from '../../support/proc.js';

const RUN_ID = `20261125-170000-${String(process.pid % 10000).padStart(4, '0')}`;
const scratch = scratchFolder(tmpdir(), RUN_ID);
let leftover: number | undefined;

afterAll(() => {
  // Whatever the test's end, no server of it outlives it.
  if (leftover !== undefined && running(leftover)) process.kill(leftover, 'SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

describe('removeLeftovers after a run killed while its scratch PostgreSQL ran', () => {
  it('stops the server an interrupted attempt left running, then removes its copy', async () => {
    mkdirSync(scratch, { mode: 0o711 });
    const data = join(scratch, 'dingo-drill-left', 'data');
    await makeCluster(data, 'shop', 'CREATE TABLE orders (id int);', 'run');
    leftover = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(running(leftover), 'the server runs before the resume').toBe(true);
    const notes: string[] = [];
    const ctx = {
      runId: RUN_ID,
      runtime: testRuntime(),
      settings: DEFAULT_SETTINGS,
      note: (t: string) => void notes.push(t),
    } as unknown as StepContext;
    await removeLeftovers(ctx);
    expect(running(leftover), 'the leftover server is gone').toBe(false);
    expect(existsSync(join(scratch, 'dingo-drill-left'))).toBe(false);
    expect(notes.join('\n')).toContain(`stopped the scratch PostgreSQL (pid ${leftover}) an interrupted attempt left running on ${data}`);
  }, 60_000);
});
