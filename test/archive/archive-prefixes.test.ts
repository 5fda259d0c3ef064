/** Finding the archives under `backups/`: one listing per archive, whatever each holds; a store without StartAfter in one scan. */
import { describe, expect, it } from 'vitest';
import { archiveOf, findArchives } from '../../src/archive/archive-prefixes.js';
import { TestStore } from '../support/memory-store.js';

const GUIDS = ['0d4e0c6a-0000-4000-8000-00000000000a', '6e101b27-ee1b-4f4d-a032-4401a3709ec3', 'f1e2d3c4-0000-4000-8000-00000000000f'];
const T = new Date('2026-03-17T18:00:00Z');

function store(honoursStartAfter: boolean): TestStore {
  const s = new TestStore('wal', { honoursStartAfter });
  for (const g of GUIDS) {
    s.add(`backups/${g}/wal/basebackups_005/base_000000010000000000000002_00000040_backup_stop_sentinel.json`, '{}', T);
    for (let i = 0; i < 2500; i++) s.add(`backups/${g}/wal/wal_005/${i.toString(16).toUpperCase().padStart(24, '0')}.lzo`, 10, T);
  }
  // An archive whose backups and WAL are gone: only Dingo's sysid is left, and it is found wanting.
  s.add('backups/9a9a9a9a-0000-4000-8000-000000000009/wal/sysids/sysid', '1', T);
  s.add(`backups/${GUIDS[1]}/wal.quarantine-20260317T180520Z/wal_005/000000010000000000000001.lzo`, 10, T);
  s.add('backups/README', 'not an archive', T);
  s.add('backups/loose/wal_005', 'a file named like the WAL folder', T);
  return s;
}

const expected = {
  archives: [...GUIDS.map((g) => `backups/${g}/wal/`), 'backups/9a9a9a9a-0000-4000-8000-000000000009/wal/'].sort(),
  setAside: [`backups/${GUIDS[1]}/wal.quarantine-20260317T180520Z/`],
};

describe('findArchives', () => {
  it('names each archive from its first key and lists on past it: a request or so per archive, not one per 1000 WAL keys', async () => {
    const s = store(true);
    expect(await findArchives(s, 'wal', 'backups/')).toEqual(expected);
    // Five archives and the folder set aside, and the end: far fewer than the 8 pages of WAL keys.
    expect(s.listRequests).toBeLessThanOrEqual(7);
  });

  it('reads a store that ignores StartAfter in one scan, to the same archives', async () => {
    const s = store(false);
    expect(await findArchives(s, 'wal', 'backups/')).toEqual(expected);
    expect(s.listCalls).toHaveLength(2);
  });

  it('takes the prefix itself when it is an archive', async () => {
    expect(await findArchives(store(true), 'wal', `backups/${GUIDS[0]}/wal/`)).toEqual({
      archives: [`backups/${GUIDS[0]}/wal/`],
      setAside: [],
    });
    expect(archiveOf('backups/x/wal/wal_005/A.lzo', '')).toBe('backups/x/wal/');
    expect(archiveOf('backups/x/wal_005', '')).toBeNull();
  });
});
