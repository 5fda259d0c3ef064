/**
 * Volumes a tenant prepared for a tool running as root: a real PostgreSQL 15 cluster whose data
 * folder also holds links to a root-only file, to /proc/self/environ, out and nowhere and in a loop,
 * a FIFO and a device (its WAL kept in another folder of the data folder behind a pg_wal link), and
 * a volume whose PG_VERSION and pg_control are FIFOs; and a volume `pg_upgrade --link` left its old
 * cluster in, beside the new one, each file of the new cluster's databases a second name of the old one's. `volumes find` does not hang on the FIFOs and
 * says what it did not read; `volumes look` copies only what the data folder holds, the server
 * account's alone, and lists what it skipped; the original is left as it was.
 */
import {
  type Stats,
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepFailed } from '../../src/core/errors.js';
import { copyTree, digestTree } from '../../src/volumes/copy.js';
import { runCli } from '../support/cli.js';
import {
  fifoVolume,
  outsideFolder,
  plantShapes,
  ROOT_ONLY_TEXT,
  upgradedBeside,
  VOLUME_SHAPES,
  walInside,
} from '../support/hostile-volume.js';
import { makeCluster, manifest } from '../support/pg-volumes.js';

const HOSTILE = 'hostile0000000000000000000000000000000000000000000000000000000001';
const FIFOS = 'fifos00000000000000000000000000000000000000000000000000000000002';
const UPGRADED = 'upgraded000000000000000000000000000000000000000000000000000000003';
/** In the look's environment: what /proc/self/environ would give away. */
const ENV_SECRET = 'look-env-secret-Pq71';
/** The account the scratch server runs as, which owns the copy. */

let base: string;
let root: string;
let outside: string;
let before: Map<string, string>;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'hostile-volumes-'));
  chmodSync(base, 0o755);
  root = join(base, 'volumes');
  outside = outsideFolder(base);
  const data = join(root, HOSTILE, '_data');
  await makeCluster(data, 'shop', 'CREATE TABLE orders(id int); INSERT INTO orders SELECT generate_series(1, 50);', 'stop');
  walInside(data);
  plantShapes(data, outside);
  fifoVolume(join(root, FIFOS, '_data'));
  const upgraded = join(root, UPGRADED, '_data', 'pgdata');
  await makeCluster(upgraded, 'shop', 'CREATE TABLE orders(id int); INSERT INTO orders SELECT generate_series(1, 70);', 'stop');
  upgradedBeside(join(root, UPGRADED, '_data'), upgraded);
  before = manifest(root);
}, 120_000);

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

/** Every path under `dir`, relative, with its lstat. */
function walk(dir: string): [string, Stats][] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((rel) => [rel, lstatSync(join(dir, rel))]);
}

describe('volumes a tenant prepared', () => {
  it('volumes find reads no FIFO, never hangs, and says PG_VERSION was not read', async () => {
    const r = await runCli(['volumes', 'find', '--volumes-root', root, '--json'], { timeoutMs: 60_000 });
    expect(r.signal, r.stderr).toBeUndefined();
    expect(r.code, r.stderr).toBe(0);
    const found = JSON.parse(r.stdout) as { volumes: { name: string; kind: string; detail: string }[]; candidates: { name: string }[] };
    expect(found.volumes.find((v) => v.name === FIFOS)).toMatchObject({
      kind: 'unreadable',
      detail: 'PG_VERSION found but: PG_VERSION is a FIFO: not read (only regular files are)',
    });
    expect(found.candidates.map((c) => c.name).sort()).toEqual([HOSTILE, UPGRADED]);
  }, 90_000);

  it("volumes look copies only what the data folder holds, the server account's alone, and lists what it skipped", async () => {
    const scratch = join(base, 'scratch');
    const r = await runCli(['volumes', 'look', HOSTILE, '--volumes-root', root, '--scratch', scratch, '--json'], {
      env: { AWS_SECRET_ACCESS_KEY: ENV_SECRET },
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      copy: { dir: string };
      look: { databases: { name: string; largestTables: { table: string; rows: number }[] }[] };
    };
    expect(out.look.databases.find((d) => d.name === 'shop')?.largestTables).toEqual([
      expect.objectContaining({ table: 'orders', rows: 50 }),
    ]);
    for (const s of VOLUME_SHAPES) {
      const line = new RegExp(`^\\.\\.\\. did not copy ${JSON.stringify(s.rel).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: (.*)$`, 'm');
      const said = line.exec(r.stderr);
      expect(said?.[1], `${s.label}\n${r.stderr}`).toMatch(s.why);
    }
    const copied = walk(out.copy.dir);
    for (const [rel, st] of copied) {
      expect([rel, st.isFile() || st.isDirectory(), st.mode & 0o7777, st.uid, st.gid]).toEqual([
        rel,
        true,
        st.isDirectory() ? 0o700 : 0o600,
        // Root's again once its server stopped: no later server, each of another account, reads it.
        0,
        0,
      ]);
      if (st.isFile()) {
        const text = readFileSync(join(out.copy.dir, rel), 'latin1');
        expect(text).not.toContain(ROOT_ONLY_TEXT);
        expect(text).not.toContain(ENV_SECRET);
      }
    }
    const names = copied.map(([rel]) => rel);
    for (const s of VOLUME_SHAPES) expect(names).not.toContain(s.rel);
    // The WAL behind the pg_wal link inside the data folder was copied as what it is: a real folder.
    expect(readdirSync(join(out.copy.dir, 'pg_wal')).some((n) => /^[0-9A-F]{24}$/.test(n))).toBe(true);
    expect(manifest(root)).toEqual(before);
  }, 150_000);

  it('volumes look copies the files pg_upgrade --link shared between two clusters of the volume, and reads their rows', async () => {
    const scratch = join(base, 'scratch-upgraded');
    const r = await runCli(['volumes', 'look', UPGRADED, '--volumes-root', root, '--scratch', scratch, '--json'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { look: { databases: { name: string; largestTables: { table: string; rows: number }[] }[] } };
    expect(out.look.databases.find((d) => d.name === 'shop')?.largestTables).toEqual([
      expect.objectContaining({ table: 'orders', rows: 70 }),
    ]);
    expect(r.stderr).not.toContain('did not copy');
    expect(manifest(root)).toEqual(before);
  }, 150_000);

  it.each([
    ['pg_wal', 'wal-elsewhere'],
    ['pg_tblspc/16400', 'tablespace'],
  ])('a copy refuses a %s link out of the data folder, naming it', async (rel, target) => {
    const data = mkdtempSync(join(base, 'data-'));
    mkdirSync(join(data, 'pg_tblspc'));
    writeFileSync(join(data, 'PG_VERSION'), '15\n');
    mkdirSync(join(outside, target), { recursive: true });
    symlinkSync(join(outside, target), join(data, rel));
    const dest = join(base, `copy-${relative(base, data)}`);
    const err = await copyTree(data, dest).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as Error).message).toBe(
      `the data folder's ${rel} is a symbolic link to ${JSON.stringify(join(outside, target))}, outside the data folder: the look copies only what the data folder holds`,
    );
    // Its digest, taken read-only, refuses it the same way.
    await expect(digestTree(data)).rejects.toThrow(StepFailed);
  });
});
