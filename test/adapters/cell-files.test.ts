import { describe, expect, it } from 'vitest';
import { listDir, moveContentsAside, pathExists } from '../../src/adapters/cell-files.js';
import { UsageError } from '../../src/core/errors.js';
import { CONTAINER, DATA_DIR, sampleCell } from '../support/sample-cell.js';
import { simRunner } from '../support/sim-runner.js';
import { Redactor } from '../../src/core/redact.js';

const QUARANTINE = `/var/vcap/store/dingo-recover-quarantine/2016-03-18T01-06-00Z/${CONTAINER}`;

describe('cell files', () => {
  it('moves the contents of a data folder aside with two sudo writes', async () => {
    const state = sampleCell();
    const runner = simRunner(state);
    expect(await moveContentsAside(runner, DATA_DIR, QUARANTINE, { redactor: new Redactor() })).toEqual({ moved: ['postgres0', 'wal-e'] });
    expect(await listDir(runner, DATA_DIR, { redactor: new Redactor() })).toEqual([]);
    expect(await listDir(runner, QUARANTINE, { redactor: new Redactor() })).toEqual(['postgres0', 'wal-e']);
    expect(await listDir(runner, `${QUARANTINE}/postgres0`, { redactor: new Redactor() })).toEqual(['PG_VERSION', 'global']);
    expect(await pathExists(runner, `${DATA_DIR}/postgres0`, { redactor: new Redactor() })).toBe(false);
    expect(await pathExists(runner, `${QUARANTINE}/postgres0`, { redactor: new Redactor() })).toBe(true);
    const writes = runner.specs.filter((s) => s.writes);
    expect(writes.map((s) => s.argv)).toEqual([
      ['mkdir', '-p', QUARANTINE],
      ['find', DATA_DIR, '-mindepth', '1', '-maxdepth', '1', '-exec', 'mv', '-t', QUARANTINE, '{}', '+'],
    ]);
    expect(writes.every((s) => s.sudo)).toBe(true);
  });

  it('does nothing to an empty folder, and says null for a missing one', async () => {
    const state = sampleCell();
    state.files[DATA_DIR] = [];
    const runner = simRunner(state);
    expect(await moveContentsAside(runner, DATA_DIR, QUARANTINE, { redactor: new Redactor() })).toEqual({ moved: [] });
    expect(runner.specs.some((s) => s.writes)).toBe(false);
    expect(await listDir(runner, '/var/vcap/store/nope', { redactor: new Redactor() })).toBeNull();
  });

  it('refuses folders that are not a container data folder', async () => {
    const runner = simRunner(sampleCell());
    for (const dir of [
      '/var/vcap/store',
      '/var/vcap/store/cf-containers-broker/x/../../data',
      `/var/vcap/store/cf-containers-broker/${CONTAINER}`,
      '/data',
      'var/vcap/store/cf-containers-broker/x/data',
    ]) {
      await expect(moveContentsAside(runner, dir, '/tmp/q', { redactor: new Redactor() })).rejects.toBeInstanceOf(UsageError);
    }
    await expect(moveContentsAside(runner, DATA_DIR, `${DATA_DIR}/aside`, { redactor: new Redactor() })).rejects.toThrow(/outside/);
    expect(runner.specs).toHaveLength(0);
  });

  it('honours another volumes root', async () => {
    const state = sampleCell();
    state.files['/srv/vols/c1/data'] = ['a'];
    const runner = simRunner(state);
    expect(
      await moveContentsAside(runner, '/srv/vols/c1/data', '/srv/q/c1', { redactor: new Redactor(), root: '/srv/vols', sudo: false }),
    ).toEqual({ moved: ['a'] });
    expect(runner.specs.every((s) => s.sudo === false)).toBe(true);
  });
});
