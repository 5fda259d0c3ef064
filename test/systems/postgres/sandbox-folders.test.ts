/**
 * The sandboxes' folders a run killed outright leaves in the tool's run folder: removed by the next
 * sweep when the process their name gives has ended (a zombie yet to be collected included), or when
 * that PID now belongs to a process started later; kept while their owner runs, and kept when their
 * name gives no owner. Id reservations stay.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processStart } from '../../../src/core/process-start.js';
import { zombie } from '../../support/proc.js';
import { newSandboxFolder, sweepEndedSandboxFolders } from '../../../src/systems/postgres/sandbox-folders.js';

let root: string;
let run: string;
const saved = process.env.DINGO_RECOVER_RUN_FOLDER;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sandbox-folders-'));
  run = join(root, 'run');
  mkdirSync(run, { mode: 0o700 });
  process.env.DINGO_RECOVER_RUN_FOLDER = run;
});

afterEach(() => {
  if (saved === undefined) delete process.env.DINGO_RECOVER_RUN_FOLDER;
  else process.env.DINGO_RECOVER_RUN_FOLDER = saved;
  rmSync(root, { recursive: true, force: true });
});

/** The PID of a process that has ended. */
const endedPid = (): number => {
  const done = spawnSync('sh', ['-c', 'echo $$']);
  return Number(done.stdout.toString().trim());
};

describe('the sandboxes’ folders', () => {
  it('are named for the process that makes them and its start', async () => {
    const folder = await newSandboxFolder();
    expect(folder.startsWith(join(run, `sandbox-${process.pid}-${processStart(process.pid)}-`))).toBe(true);
    expect(await sweepEndedSandboxFolders()).toEqual([]);
    expect(existsSync(folder)).toBe(true);
  });

  it('of an ended owner, or of a PID given again to a later process, are removed; the rest are kept', async () => {
    const mine = `sandbox-${process.pid}-${processStart(process.pid)}-aaaaaa`;
    const ended = `sandbox-${endedPid()}-${processStart(process.pid)}-bbbbbb`;
    const reused = `sandbox-${process.pid}-1-cccccc`;
    const unnamed = 'sandbox-dddddd';
    for (const name of [mine, ended, reused, unnamed]) mkdirSync(join(run, name, 'etc'), { recursive: true });
    mkdirSync(join(run, 'ids'));
    writeFileSync(join(run, 'ids', '1879048193'), '1\n');
    const removed = await sweepEndedSandboxFolders();
    expect(removed.sort()).toEqual([join(run, ended), join(run, reused)].sort());
    expect(readdirSync(run).sort()).toEqual(['ids', mine, unnamed].sort());
    expect(readdirSync(join(run, 'ids'))).toEqual(['1879048193']);
  });

  it('of an owner that has exited, its parent yet to collect it (a zombie), are removed', async () => {
    const z = await zombie();
    try {
      const start = processStart(z.pid);
      expect(start).toMatch(/^\d+$/);
      const ofZombie = `sandbox-${String(z.pid)}-${start!}-eeeeee`;
      mkdirSync(join(run, ofZombie, 'etc'), { recursive: true });
      expect(await sweepEndedSandboxFolders()).toEqual([join(run, ofZombie)]);
      expect(readdirSync(run)).toEqual([]);
    } finally {
      z.end();
    }
  });

  it('are not swept from a run folder that is not root’s alone', async () => {
    rmSync(run, { recursive: true });
    mkdirSync(run, { mode: 0o755 });
    await expect(sweepEndedSandboxFolders()).rejects.toThrow(/is not a folder of root's alone/);
  });
});
