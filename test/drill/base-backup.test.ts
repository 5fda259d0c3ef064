import { execFileSync } from 'node:child_process';
import { localProcesses } from '../../src/systems/local-processes.js';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadBaseBackup } from '../../src/drill/base-backup.js';
import { DrillFailed } from '../../src/drill/exit-codes.js';
import type { ObjectStore } from '../../src/core/seams.js';
import { postgresAccount } from '../support/wale-archive.js';
import { BEFORE, hostileShapes, link, lzoTarOf, sentinelFolder, snapshot, type MemberSpec } from '../support/hostile-tar.js';

/** Just enough of an object store to hand partitions to the real lzop and tar. */
function bufferStore(objects: Map<string, Buffer>): ObjectStore {
  const missing = (key: string) => new Error(`no such key ${key}`);
  return {
    where: 'buffers',
    async *list() {},
    head: () => Promise.resolve(null),
    get: async ({ key }) => objects.get(key) ?? Promise.reject(missing(key)),
    getStream: async ({ key }) => (objects.has(key) ? Readable.from([objects.get(key)!]) : Promise.reject(missing(key))),
    put: async () => Promise.reject(new Error('read-only')),
    copy: async () => Promise.reject(new Error('read-only')),
    deleteMany: () => Promise.resolve(),
  };
}

let dir: string;
const objects = new Map<string, Buffer>();
const PARTS = 8;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drill-base-'));
  // Every partition holds files in the same folders and no folder entries: the shape
  // that makes concurrent tar -x into one tree race on creating the parents.
  for (let p = 0; p < PARTS; p++) {
    const src = join(dir, `src${p}`);
    for (const sub of ['base/1', 'base/4', 'global', 'pg_xact']) {
      await mkdir(join(src, sub), { recursive: true });
      await writeFile(join(src, sub, `file${p}`), `${sub} ${p}\n`.repeat(1000));
    }
    const files = ['base/1', 'base/4', 'global', 'pg_xact'].map((sub) => `${sub}/file${p}`);
    const tar = execFileSync('tar', ['-c', '--no-recursion', '-C', src, ...files]);
    objects.set(`parts/part_${String(p).padStart(8, '0')}.tar.lzo`, execFileSync('lzop', ['-c'], { input: tar }));
  }
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('downloadBaseBackup', () => {
  it('extracts partitions sharing folders in parallel, every file in place, repeatedly', async () => {
    const keys = [...objects.keys()];
    for (let round = 0; round < 6; round++) {
      const data = join(dir, `data${round}`);
      await mkdir(data);
      const stats = await downloadBaseBackup({
        processes: localProcesses,
        store: bufferStore(objects),
        bucket: 'b',
        partitions: keys,
        dataDir: data,
        concurrency: PARTS,
      });
      expect(stats.partitions).toBe(PARTS);
      expect(stats.compressedBytes).toBe([...objects.values()].reduce((n, b) => n + b.length, 0));
      for (const sub of ['base/1', 'base/4', 'global', 'pg_xact']) {
        expect((await readdir(join(data, sub))).sort()).toEqual(Array.from({ length: PARTS }, (_, p) => `file${p}`).sort());
      }
      expect(await readFile(join(data, 'base/4/file3'), 'utf8')).toBe('base/4 3\n'.repeat(1000));
      // Only the data folder is left: the per-partition folders were merged away.
      expect((await readdir(dir)).filter((f) => f.startsWith(`data${round}.`))).toEqual([]);
    }
  });

  it('names a corrupt partition and cleans up its staging folder', async () => {
    const bad = new Map(objects);
    bad.set('parts/part_00000002.tar.lzo', Buffer.from('garbage, not lzop'));
    const data = join(dir, 'corrupt');
    await mkdir(data);
    const err = await downloadBaseBackup({
      processes: localProcesses,
      store: bufferStore(bad),
      bucket: 'b',
      partitions: [...bad.keys()],
      dataDir: data,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DrillFailed);
    expect(err).toMatchObject({ outcome: 'not-restorable' });
    expect((err as Error).message).toMatch(/part_00000002\.tar\.lzo could not be restored: lzop -dc failed/);
    expect((await readdir(dir)).filter((f) => f.startsWith('corrupt.'))).toEqual([]);
  });

  it('closes the download of a partition that fails before its body ends, and of every other', async () => {
    // Bodies as a connection hands them: some bytes, then more that have not come yet.
    const open: Readable[] = [];
    const store: ObjectStore = {
      ...bufferStore(objects),
      getStream: ({ key }) => {
        const body = new Readable({ read() {} });
        body.push(key.endsWith('part_00000002.tar.lzo') ? Buffer.from('garbage, not lzop') : objects.get(key)!.subarray(0, 64));
        open.push(body);
        return Promise.resolve(body);
      },
    };
    const data = join(dir, 'unfinished');
    await mkdir(data);
    const err = await downloadBaseBackup({
      processes: localProcesses,
      store,
      bucket: 'b',
      partitions: [...objects.keys()].slice(0, 3),
      dataDir: data,
      concurrency: 3,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ outcome: 'not-restorable' });
    expect(open).toHaveLength(3);
    expect(open.map((b) => b.destroyed)).toEqual([true, true, true]);
  });

  /** One partition of these members into a fresh data folder, as the server's account. */
  async function extractMembers(name: string, members: MemberSpec[]): Promise<{ data: string; err: unknown }> {
    const data = join(dir, name);
    await mkdir(data);
    const store = bufferStore(new Map([['p/part_00000000.tar.lzo', lzoTarOf(members)]]));
    const err = await downloadBaseBackup({
      processes: localProcesses,
      store,
      bucket: 'b',
      partitions: ['p/part_00000000.tar.lzo'],
      dataDir: data,
      as: postgresAccount(),
    }).then(
      () => null,
      (e: unknown) => e,
    );
    return { data, err };
  }

  it("writes regular files 0600 and folders 0700, the server account's, whatever modes and owners the tar gives", async () => {
    const { data, err } = await extractMembers('modes', [
      { path: './', type: 'Directory', mode: 0o777 },
      { path: 'base/', type: 'Directory', mode: 0o777 },
      { path: 'base/1/2', type: 'File', mode: 0o666, body: 'rows' },
      { path: 'global/pg_control', type: 'File', mode: 0o644, body: 'control' },
      link('pg_wal', '/var/lib/postgresql/wal'),
    ]);
    expect(err).toBeNull();
    const as = postgresAccount();
    for (const [rel, mode] of [
      ['base', 0o40700],
      ['base/1', 0o40700],
      ['base/1/2', 0o100600],
      ['global/pg_control', 0o100600],
      ['pg_wal', 0o40700],
    ] as const) {
      const st = await lstat(join(data, rel));
      expect([rel, st.mode], rel).toEqual([rel, mode]);
      expect([st.uid, st.gid]).toEqual([as.uid, as.gid]);
    }
    expect(await readdir(join(data, 'pg_wal'))).toEqual([]);
  });

  it.each(hostileShapes('/placeholder').map((s) => s.label))(
    "refuses %s before writing it, the partition's folder removed",
    async (label) => {
      const sentinel = await sentinelFolder(dir);
      const shape = hostileShapes(sentinel).find((s) => s.label === label)!;
      const before = await snapshot(sentinel, ['/etc/passwd']);
      const name = `hostile-${label.replace(/\W+/g, '-')}`;
      const { err } = await extractMembers(name, [BEFORE, shape.member, { path: 'after', type: 'File', body: 'x' }]);
      expect(err).toBeInstanceOf(DrillFailed);
      expect(err).toMatchObject({ outcome: 'not-restorable' });
      expect((err as Error).message).toContain(`s3://b/p/part_00000000.tar.lzo holds ${JSON.stringify(shape.member.path)}`);
      expect((err as Error).message).toMatch(shape.says);
      expect(await snapshot(sentinel, ['/etc/passwd'])).toEqual(before);
      expect((await readdir(dir)).filter((f) => f.startsWith(`${name}.`))).toEqual([]);
      expect(await readdir(join(dir, name))).toEqual([]);
    },
  );
});
