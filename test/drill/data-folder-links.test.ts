/**
 * What the drill writes into a restored data folder follows no link: were a link there (extraction
 * admits none), setting the archive's files aside, writing the drill's own, removing signal files
 * and making the WAL folder each refuse it naming the path, and nothing outside changes.
 */
import { lstat, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DrillFailed } from '../../src/drill/exit-codes.js';
import { writeRecoveryConfig } from '../../src/drill/recovery-config.js';
import { completeDataDir } from '../../src/drill/workdir.js';
import { postgresAccount } from '../support/wale-archive.js';
import { sentinelFolder, snapshot } from '../support/hostile-tar.js';

let dir: string;
let sentinel: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drill-links-'));
  sentinel = await sentinelFolder(dir);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A data folder holding the archive's settings, with `name` a link to `target` (outside). */
async function dataWithLink(name: string, target: string): Promise<string> {
  const data = await mkdtemp(join(dir, 'data-'));
  await mkdir(join(data, 'global'));
  for (const f of ['postgresql.conf', 'pg_hba.conf']) await writeFile(join(data, f), "# the archive's\n");
  await rm(join(data, name), { force: true });
  await symlink(target, join(data, name));
  return data;
}

const settings = (dataDir: string) => ({
  dataDir,
  major: '15',
  restoreCommand: 'cp %p %f',
  port: 5433,
  socketDir: '/tmp/s',
  as: postgresAccount(),
});

describe("the drill's writes into a restored data folder", () => {
  it.each([
    ['postgresql.conf', 'conf-made'],
    ['pg_ident.conf', 'ident-made'],
    ['postgresql.auto.conf', 'root-owned-wal/keep'],
    ['recovery.signal', 'root-owned-wal/keep'],
    ['standby.signal', 'root-owned-wal'],
  ])('refuse a %s that is a link out, naming it, and change nothing outside', async (name, target) => {
    const data = await dataWithLink(name, join(sentinel, target));
    const before = await snapshot(sentinel);
    const err = await writeRecoveryConfig(settings(data)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DrillFailed);
    expect((err as Error).message).toBe(
      `${JSON.stringify(join(data, name))} in the restored data folder is a symbolic link, not a regular file: the drill follows no link`,
    );
    expect(await snapshot(sentinel)).toEqual(before);
  });

  it('write the settings as new regular files of the server account, 0600', async () => {
    const data = await mkdtemp(join(dir, 'data-'));
    await writeFile(join(data, 'postgresql.conf'), "# the archive's\n");
    const written = await writeRecoveryConfig(settings(data));
    const as = postgresAccount();
    for (const name of written) {
      const st = await lstat(join(data, name));
      expect([name, st.isFile(), st.mode & 0o7777]).toEqual([name, true, 0o600]);
      expect([st.uid, st.gid]).toEqual([as.uid, as.gid]);
    }
    expect(await readdir(data)).toContain('postgresql.conf.from-archive');
  });

  it('refuse a pg_wal that is a link to a root-owned folder outside, which is neither chowned nor written', async () => {
    const data = await dataWithLink('pg_wal', join(sentinel, 'root-owned-wal'));
    const before = await snapshot(sentinel);
    const err = await completeDataDir(data, '15', postgresAccount()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DrillFailed);
    expect((err as Error).message).toBe(
      `${JSON.stringify(join(data, 'pg_wal'))} in the restored data folder is a symbolic link, not a folder: the drill follows no link`,
    );
    expect(await snapshot(sentinel)).toEqual(before);
  });

  it('make the WAL folder of the major a real folder of the server account', async () => {
    const data = await mkdtemp(join(dir, 'data-'));
    await completeDataDir(data, '9.6', postgresAccount());
    const st = await lstat(join(data, 'pg_xlog'));
    expect([st.isDirectory(), st.mode & 0o7777]).toEqual([true, 0o700]);
    expect((await lstat(data)).mode & 0o7777).toBe(0o700);
  });
});
