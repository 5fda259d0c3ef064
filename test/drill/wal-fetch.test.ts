import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWalFileName, walObjectKey } from '../../src/drill/wal-fetch.js';
import { startMoto, type Moto } from '../support/moto.js';
import { generateWaleArchive, uploadArchive, type GeneratedArchive } from '../support/wale-archive.js';
import { runCli } from '../support/cli.js';
import { tearDownDrill } from '../support/drill-fixtures.js';

const BUCKET = 'walfetch-bucket';
const PREFIX = 'backups/1b2c3d4e-guid/wal/';

let moto: Moto;
let archive: GeneratedArchive;
let dir: string;
let s3Args: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drill-walfetch-'));
  [moto, archive] = await Promise.all([startMoto(), generateWaleArchive({ dir, rowsBefore: 200, rowsAfter: 50 })]);
  await moto.createBucket(BUCKET);
  await uploadArchive(moto.store, archive.root, BUCKET, PREFIX);
  s3Args = ['--from', `s3://${BUCKET}/${PREFIX}`, '--s3-endpoint', moto.endpoint, '--s3-path-style'];
});

afterAll(() => tearDownDrill({ moto, archive, dir }));

describe('wal-fetch names and keys', () => {
  it('accepts what PostgreSQL asks for and maps it to wal_005/<name>.lzo', () => {
    expect(isWalFileName('000000010000000000000002')).toBe(true);
    expect(isWalFileName('000000010000000000000002.00000028.backup')).toBe(true);
    expect(isWalFileName('00000002.history')).toBe(true);
    expect(isWalFileName('RECOVERYXLOG')).toBe(false);
    expect(isWalFileName('../../etc/passwd')).toBe(false);
    expect(walObjectKey('p/wal/', '00000002.history')).toBe('p/wal/wal_005/00000002.history.lzo');
  });
});

describe('dingo-recover wal-fetch (real child process, moto, lzop)', () => {
  it('writes the decompressed segment to DEST, byte for byte, and leaves no temporary file', async () => {
    const seg = archive.startSegment;
    const out = await mkdtemp(join(dir, 'out-'));
    const r = await runCli(['wal-fetch', seg, join(out, 'RECOVERYXLOG'), ...s3Args], { env: moto.env });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const expected = execFileSync('lzop', ['-dc', join(archive.root, 'wal_005', `${seg}.lzo`)], { maxBuffer: 64 * 1024 * 1024 });
    const got = await readFile(join(out, 'RECOVERYXLOG'));
    expect(got.length).toBe(16 * 1024 * 1024);
    expect(got.equals(expected)).toBe(true);
    expect(await readdir(out)).toEqual(['RECOVERYXLOG']);
  });

  it('fetches a backup label by its .backup name, relative to the working folder like %p', async () => {
    const out = await mkdtemp(join(dir, 'out-'));
    const label = (await readdir(join(archive.root, 'wal_005'))).find((f) => f.endsWith('.backup.lzo'))!.replace(/\.lzo$/, '');
    const r = await runCli(['wal-fetch', label, 'label', ...s3Args], { env: moto.env, cwd: out });
    expect(r.code).toBe(0);
    expect(await readFile(join(out, 'label'), 'utf8')).toMatch(new RegExp(`^START WAL LOCATION: \\S+ \\(file ${archive.startSegment}\\)`));
  });

  it('exits 1 silently for a file the archive does not hold (restore_command contract)', async () => {
    const out = await mkdtemp(join(dir, 'out-'));
    const r = await runCli(['wal-fetch', '00000002.history', join(out, 'x'), ...s3Args], { env: moto.env });
    expect(r).toEqual({ code: 1, stdout: '', stderr: '' });
    expect(await readdir(out)).toEqual([]);
  });

  it('exits 1 and says why when S3 fails for another reason (no such bucket)', async () => {
    const out = await mkdtemp(join(dir, 'out-'));
    const args = ['--from', 's3://no-such-bucket-here/wal/', '--s3-endpoint', moto.endpoint, '--s3-path-style'];
    const r = await runCli(['wal-fetch', archive.startSegment, join(out, 'x'), ...args], { env: moto.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bucket "no-such-bucket-here" does not exist/);
    expect(await readdir(out)).toEqual([]);
  });

  it('exits 2 for a name PostgreSQL would never ask for', async () => {
    const r = await runCli(['wal-fetch', '../../../etc/shadow', '/tmp/x', ...s3Args], { env: moto.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not a WAL file name/);
  });

  it("exits 1 with lzop's complaint when the archived file is not lzop data, writing nothing", async () => {
    const bad = '0000000100000000000000AA';
    await moto.store.put({ bucket: BUCKET, key: walObjectKey(PREFIX, bad) }, 'not lzop at all');
    const out = await mkdtemp(join(dir, 'out-'));
    const r = await runCli(['wal-fetch', bad, join(out, 'x'), ...s3Args], { env: moto.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/lzop -dc failed/);
    expect(await readdir(out)).toEqual([]);
  });
});
