/** SIGKILL the swap mid-quarantine and mid-copy, rerun, and check that nothing was lost. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMoto, type Moto } from '../support/moto.js';
import type { ProgressEvent } from '../../src/archive/swap.js';
import { fingerprint, seedArchive, sentinelOrder } from '../support/archive-fixture.js';
import { ifStarted } from '../support/started.js';

let moto: Moto;
let dir: string;
const BUCKET = 'crash-swap';
const OLD = 'backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/';
const NEW = 'backups/78218ded-0000-4000-8000-000000000002/wal/';
const STAMP = '20260317T180520Z';
const Q = `backups/78218ded-0000-4000-8000-000000000002/wal.quarantine-${STAMP}/`;
const CHILD = join(import.meta.dirname, '..', 'support', 'swap-child.ts');
const ROOT = join(import.meta.dirname, '..', '..');

interface ChildRun {
  killed: boolean;
  done: boolean;
  report?: { copy: { copied: number; skipped: number; objects: number }; quarantine: { copied: number; alreadyQuarantined: number } };
  events: ProgressEvent[];
  stderr: string;
}

/** Run the swap; SIGKILL it as soon as `killWhen` says so. */
function runChild(killWhen?: (e: ProgressEvent) => boolean): Promise<ChildRun> {
  // `node --import tsx` rather than the tsx CLI, which would run the swap in a grandchild SIGKILL cannot reach.
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...moto.env,
      S3_ENDPOINT: moto.endpoint,
      BUCKET,
      FROM: OLD,
      TO: NEW,
      STAMP,
      PLAN_FILE: join(dir, 'plan.json'),
      CONCURRENCY: '2',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: ChildRun = { killed: false, done: false, events: [], stderr: '' };
  child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('DONE ')) {
      run.done = true;
      run.report = JSON.parse(line.slice(5)) as ChildRun['report'];
    } else if (line.startsWith('{')) {
      const e = JSON.parse(line) as ProgressEvent;
      run.events.push(e);
      if (!run.killed && killWhen?.(e)) {
        run.killed = true;
        child.kill('SIGKILL');
      }
    }
  });
  return new Promise((resolve) =>
    child.on('close', () => {
      resolve(run);
    }),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swap-crash-'));
  moto = await startMoto();
  await moto.createBucket(BUCKET);
  await seedArchive(moto.store, BUCKET, NEW, {
    segments: 40,
    backups: ['base_000000010000000000000002_00000028'],
    sysid: '6262323410585460999',
  });
  await seedArchive(moto.store, BUCKET, OLD, {
    segments: 150,
    backups: ['base_000000010000000000000004_00000040', 'base_000000010000000000000002_00000040'],
    sysid: '6262323410585460850',
  });
});
afterAll(async () => {
  await ifStarted(moto)?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('finishes after SIGKILL mid-quarantine and mid-copy without losing an object', async () => {
  const source = await fingerprint(moto.store, BUCKET, OLD);
  const original = await fingerprint(moto.store, BUCKET, NEW);

  const first = await runChild((e) => e.phase === 'quarantine-copy' && e.objectsDone >= 10);
  expect(first.killed).toBe(true);
  expect(first.done).toBe(false);
  // Killed before the quarantine verified: nothing deleted from the target yet.
  expect(await fingerprint(moto.store, BUCKET, NEW)).toEqual(original);

  const second = await runChild((e) => e.phase === 'copy' && e.objectsDone >= 30);
  expect(second.killed).toBe(true);
  expect(second.done).toBe(false);
  expect(await fingerprint(moto.store, BUCKET, Q)).toEqual(original);
  const partial = await fingerprint(moto.store, BUCKET, NEW);
  expect(Object.keys(partial).length).toBeLessThan(Object.keys(source).length);

  const third = await runChild();
  expect(third.stderr).toBe('');
  expect(third.done).toBe(true);
  // The rerun copied only what the killed run had not, and quarantined nothing twice.
  const total = Object.keys(source).length;
  expect(third.report!.copy.skipped).toBe(Object.keys(partial).length);
  expect(third.report!.copy.copied).toBe(total - Object.keys(partial).length);
  expect(third.report!.quarantine).toMatchObject({ copied: 0, alreadyQuarantined: Object.keys(original).length });

  expect(await fingerprint(moto.store, BUCKET, NEW)).toEqual(source);
  expect(await fingerprint(moto.store, BUCKET, Q)).toEqual(original);
  expect(await fingerprint(moto.store, BUCKET, OLD)).toEqual(source);
  const order = await sentinelOrder(moto.store, BUCKET, NEW);
  expect(order).toEqual({ keys: (await sentinelOrder(moto.store, BUCKET, OLD)).keys, strict: true });
});
