/**
 * The one layout difference between the archives of Dingo's 9.x and those of 10 and later: the WAL
 * folder of the data folder, pg_xlog before 10 and pg_wal from 10 on. No 9.x server can run here,
 * so a 9.6-shaped base backup (its tar partition as wal-e 0.9 wrote it: pg_xlog/ present and empty,
 * PG_VERSION 9.6) is restored as the drill restores it, next to the same backup in 10's shape.
 */
import { localProcesses } from '../../src/systems/local-processes.js';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { downloadBaseBackup } from '../../src/drill/base-backup.js';
import { completeDataDir } from '../../src/drill/workdir.js';
import { BUCKET } from '../support/archive-builder.js';
import { TestStore } from '../support/memory-store.js';

const scratch = mkdtempSync(join(tmpdir(), 'wal-folder-layout-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** A tar partition of a data folder of `major` whose WAL folder is `walDir` (left empty, as wal-e leaves it), lzop'd. */
function partition(major: string, walDir: string): Buffer {
  const src = mkdtempSync(join(scratch, 'src-'));
  for (const d of ['base/1', 'global', walDir, `${walDir}/archive_status`]) mkdirSync(join(src, d), { recursive: true });
  writeFileSync(join(src, 'PG_VERSION'), `${major}\n`);
  writeFileSync(join(src, 'backup_label'), 'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n');
  writeFileSync(join(src, 'global', 'pg_control'), Buffer.alloc(8192));
  const tar = execFileSync('tar', ['-c', '--owner=0', '--group=0', '-C', src, ...readdirSync(src)]);
  return execFileSync('lzop', ['-c'], { input: tar });
}

async function restored(major: string, walDir: string): Promise<string[]> {
  const store = new TestStore(BUCKET);
  const key = `backups/layout-${major}/wal/basebackups_005/base_000000010000000000000002_00000040/tar_partitions/part_00000000.tar.lzo`;
  store.add(key, partition(major, walDir), new Date('2016-03-17T02:11:50Z'));
  const dataDir = join(scratch, `data-${major}`);
  mkdirSync(dataDir, { mode: 0o700 });
  await downloadBaseBackup({ processes: localProcesses, store, bucket: BUCKET, partitions: [key], dataDir });
  await completeDataDir(dataDir, major, undefined);
  return readdirSync(dataDir).sort();
}

describe('the WAL folder of a restored base backup', () => {
  it('is pg_xlog for a 9.6 backup, and no pg_wal is made beside it', async () => {
    const names = await restored('9.6', 'pg_xlog');
    expect(names).toContain('pg_xlog');
    expect(names).not.toContain('pg_wal');
  });

  it('is pg_wal for a 10 backup, and no pg_xlog is made beside it', async () => {
    const names = await restored('10', 'pg_wal');
    expect(names).toContain('pg_wal');
    expect(names).not.toContain('pg_xlog');
  });

  it('is made for a 9.6 backup whose tar left pg_xlog out', async () => {
    const store = new TestStore(BUCKET);
    const src = mkdtempSync(join(scratch, 'bare-'));
    mkdirSync(join(src, 'global'));
    writeFileSync(join(src, 'PG_VERSION'), '9.6\n');
    const key = 'backups/bare/wal/basebackups_005/base_000000010000000000000002_00000040/tar_partitions/part_00000000.tar.lzo';
    store.add(key, execFileSync('lzop', ['-c'], { input: execFileSync('tar', ['-c', '-C', src, ...readdirSync(src)]) }), new Date());
    const dataDir = join(scratch, 'data-bare');
    mkdirSync(dataDir, { mode: 0o700 });
    await downloadBaseBackup({ processes: localProcesses, store, bucket: BUCKET, partitions: [key], dataDir });
    await completeDataDir(dataDir, '9.6', undefined);
    expect(readdirSync(dataDir).sort()).toEqual(['PG_VERSION', 'global', 'pg_xlog']);
  });
});
