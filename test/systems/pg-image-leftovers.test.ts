/**
 * A scratch server's container the tool was killed before removing: the next attempt finds it by our
 * label and a bind mount under the run's scratch folder, stops it if it runs and removes it. Another
 * tool's container, or one of ours on another folder, is left alone. Through the real Engine client
 * against the fake Docker Engine API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerEngine } from '../../src/systems/docker-engine.js';
import { removeContainersOn } from '../../src/systems/pg-image.js';
import { startFakeEngine, type FakeEngine } from '../support/docker-engine-server.js';

let fake: FakeEngine;
let dir: string;

beforeAll(async () => {
  fake = await startFakeEngine({ volumes: [], containers: [], images: ['postgres:15'] });
  dir = mkdtempSync(join(tmpdir(), 'dingo-restore-leftovers-'));
});

afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('removeContainersOn', () => {
  it('removes only our containers on the folder, and names them', async () => {
    const engine = dockerEngine(`unix://${fake.socket}`);
    const ours = { 'dingo-recover.purpose': 'restore drill of a wal-e archive' };
    const make = (name: string, source: string, labels: Record<string, string>) =>
      engine.createContainer({
        name,
        image: 'postgres:15',
        binds: [{ source, target: '/var/lib/postgresql/data', readOnly: false }],
        labels,
      });
    const left = await make('dingo-recover-drill-left', join(dir, 'copy-1', 'data'), ours);
    const elsewhere = await make('dingo-recover-drill-elsewhere', join(`${dir}-other`, 'data'), ours);
    const theirs = await make('someone-elses', join(dir, 'copy-2'), {});

    expect(await removeContainersOn(engine, dir)).toEqual(['dingo-recover-drill-left']);
    const removed = (id: string) => fake.created.find((c) => c.id === id)?.removed;
    expect(removed(left)).toBe(true);
    expect(removed(elsewhere)).toBe(false);
    expect(removed(theirs)).toBe(false);
    // Run again, there is nothing left of ours on the folder.
    expect(await removeContainersOn(engine, dir)).toEqual([]);
  });
});
