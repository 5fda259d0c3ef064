/**
 * The base backup and the WAL are fetched side by side into the scratch folder. When either fails (a
 * partition refused, a WAL object unreadable), the drill removes that folder next: the other fetch must
 * have ended by then, or it writes on in a folder being removed and outlives the drill.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import type { ObjectRef } from '../../src/core/seams.js';
import type { DrillServer } from '../../src/drill/cluster-setup.js';
import { restoreBaseAndWal, sideBySide } from '../../src/drill/fetch-archive.js';
import { makeWorkdir, workdirPaths } from '../../src/drill/workdir.js';
import { localProcesses } from '../../src/systems/local-processes.js';
import type { BaseBackupInfo } from '../../src/wale/report.js';
import { TestStore } from '../support/memory-store.js';

const BUCKET = 'fetch-archive';
const PREFIX = 'backups/x/wal/';
const START = '000000010000000000000002';
const PARTITION = `${PREFIX}basebackups_005/base_${START}_00000040/tar_partitions/part_00000000.tar.lzo`;
/** More WAL files than the fetch's eight workers take at once. */
const WAL_NAMES = Array.from({ length: 12 }, (_, i) => `0000000100000000000000${(2 + i).toString(16).toUpperCase().padStart(2, '0')}`);

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const latest = {
  name: `base_${START}_00000040`,
  startSegment: START,
  startOffset: 64,
  partitions: [PARTITION],
} as BaseBackupInfo;

it('stops the WAL fetch when the base backup fails, and fails only once nothing is writing in the scratch folder', async () => {
  dir = mkdtempSync(join(tmpdir(), 'fetch-archive-'));
  const paths = workdirPaths(await makeWorkdir(dir));
  const store = new TestStore(BUCKET);
  const when = new Date('2026-01-01T00:00:00Z');
  store.add(PARTITION, 'not an lzop file', when);
  for (const name of WAL_NAMES) store.add(`${PREFIX}wal_005/${name}.lzo`, 'not an lzop file', when);

  // The WAL objects answer only once the test lets them (with what lzop cannot read: a damaged file,
  // after which a fetch goes on to the next); the partition fails at once.
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const walAsked: string[] = [];
  store.getStream = async (ref: ObjectRef): Promise<Readable> => {
    if (ref.key === PARTITION) throw new Error('the partition is refused');
    walAsked.push(ref.key);
    await held;
    return Readable.from([Buffer.from('not an lzop file')]);
  };

  let settled = false;
  const signal = new AbortController().signal;
  const from = { store, bucket: BUCKET, prefix: PREFIX, signal, processes: localProcesses, say: () => undefined, warnings: [] };
  const fetching = restoreBaseAndWal(from, latest, paths, { major: '15' } as DrillServer, undefined).finally(() => (settled = true));
  fetching.catch(() => undefined);

  for (let i = 0; i < 100 && walAsked.length < 8; i++) await new Promise((r) => setTimeout(r, 10));
  expect(walAsked).toHaveLength(8);
  await new Promise((r) => setTimeout(r, 100));
  // The base backup failed long since; its failure waits on the WAL object still being fetched.
  expect(settled).toBe(false);

  release();
  await expect(fetching).rejects.toThrow(/the partition is refused/);
  // Stopped: the WAL objects the workers had asked for before the failure, and none after.
  expect(walAsked).toHaveLength(8);
  expect(readdirSync(paths.walDir)).toEqual([]);
});

it('side by side, either failure tells the other to stop, waits for it, and goes on as the first failure', async () => {
  for (const failingFirst of ['a', 'b'] as const) {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let told: AbortSignal | undefined;
    const fails = (): Promise<never> => Promise.reject(new Error(`${failingFirst} failed`));
    const waits = async (signal: AbortSignal): Promise<string> => {
      told = signal;
      await held;
      signal.throwIfAborted();
      return 'done';
    };
    let settled = false;
    const both = (
      failingFirst === 'a' ? sideBySide(undefined, fails, waits) : sideBySide(new AbortController().signal, waits, fails)
    ).finally(() => (settled = true));
    both.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(told?.aborted).toBe(true);
    expect(settled).toBe(false);
    release();
    await expect(both).rejects.toThrow(`${failingFirst} failed`);
  }
});
