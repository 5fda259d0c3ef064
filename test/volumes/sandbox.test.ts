/**
 * volumes look on a copy of a tenant-prepared cluster (real PostgreSQL 15): functions shadowing the
 * system ones it calls, role and database search_paths before pg_catalog, a session library set on the
 * role, postgresql.auto.conf commands and a missing preload library. The look reads the right rows,
 * none of the tenant's code runs, the socket folder is 0700 and the dump 0600.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { chmod, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyTree } from '../../src/volumes/copy.js';
import { dumpDatabases, lookInside, verifyDumps } from '../../src/volumes/look.js';
import { makeCluster } from '../support/pg-volumes.js';
import { markerFolder, markersIn, tenantAutoConf, tenantSql } from '../support/drill-hostile.js';
import { appendFileSync } from 'node:fs';

let root: string;
let markers: string;
let original: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'look-hostile-'));
  await chmod(root, 0o755);
  markers = await markerFolder(root);
  original = join(root, 'volume', 'pgdata');
  const inShop = [
    ...tenantSql(markers).filter((s) => !s.startsWith('alter ')),
    'create table public.orders (id int primary key, at timestamptz not null)',
    "insert into public.orders select g, timestamptz '2024-01-01' + g * interval '1 minute' from generate_series(1, 1234) g",
    'alter database shop set search_path = tenant, pg_catalog, public',
  ];
  const onRole = [
    'alter role postgres set search_path = tenant, pg_catalog, public',
    "alter role postgres set session_preload_libraries = 'dingo_tenant_session'",
  ];
  await makeCluster(original, 'shop', `${inShop.join(';\n')};`, 'stop', `${onRole.join(';\n')};`);
  appendFileSync(join(original, 'postgresql.auto.conf'), `${tenantAutoConf(markers).join('\n')}\n`);
}, 120_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** A copy of the cluster at `source` in `<root>/<name>/data`, root's as a volume's copy is, and a work folder beside it. */
async function copyForLook(source: string, name: string): Promise<{ copy: string; work: string }> {
  const copy = join(root, name, 'data');
  await copyTree(source, copy);
  await chmod(copy, 0o700);
  const work = mkdtempSync(join(root, 'work-'));
  return { copy, work };
}

describe('volumes look on a tenant-prepared copy', () => {
  it('reads the right rows, runs none of its code, serves on a 0700 socket folder and dumps 0600', async () => {
    const { copy, work } = await copyForLook(original, 'copy');

    const look = await lookInside({ dataDir: copy, major: '15', workDir: work });
    const shop = look.databases.find((d) => d.name === 'shop')!;
    expect(shop.bytes).toBeGreaterThan(1_000_000);
    expect(shop.largestTables.find((t) => t.table === 'orders')).toMatchObject({ schema: 'public', rows: 1234, rowsExact: true });
    expect(shop.largestTables.find((t) => t.table === 'orders')!.bytes).toBeGreaterThan(0);

    const dumps = await dumpDatabases({ dataDir: copy, major: '15', workDir: work, databases: ['shop'], outDir: join(root, 'dumps') });
    expect(dumps[0]!.rowCounts).toEqual({ 'public.orders': 1234 });
    expect((await stat(dumps[0]!.file)).mode & 0o777).toBe(0o600);

    const sockets = (await readdir(work)).filter((f) => f.startsWith('sock-'));
    expect(sockets.length).toBeGreaterThan(0);
    for (const s of sockets) expect((await stat(join(work, s))).mode & 0o777).toBe(0o700);
    expect(await markersIn(markers)).toEqual([]);
  }, 180_000);
});

describe('the proof that a dump restores', () => {
  it('with no dump, starts no scratch server and makes no folder', async () => {
    const work = join(root, 'no-dumps-check');
    expect(await verifyDumps([], { work, binRoot: join(root, 'no-postgresql-here') })).toEqual([]);
    await expect(stat(work)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it("runs what the dump makes run as a role that is no superuser: an index expression's COPY TO PROGRAM is refused", async () => {
    const source = join(root, 'indexed', 'pgdata');
    // The index is built while the function is harmless; then the function is made to mark: a restore builds the index again.
    const sql = [
      'create schema tenant',
      'create function tenant.mark(what text) returns void language plpgsql as $f$ begin null; end $f$',
      "create function tenant.key(i int) returns int language plpgsql immutable as $f$ begin perform tenant.mark('restore'); return i; end $f$",
      'create table public.orders (id int primary key)',
      'insert into public.orders select g from generate_series(1, 50) g',
      'create index on public.orders ((tenant.key(id)))',
      `create or replace function tenant.mark(what text) returns void language plpgsql as $f$ begin execute pg_catalog.format('copy (select 1) to program %L', 'cat > /dev/null; env > ${markers}/' || what); end $f$`,
    ];
    await makeCluster(source, 'shop', `${sql.join(';\n')};`, 'stop');
    const { copy, work } = await copyForLook(source, 'indexed-copy');
    const dumps = await dumpDatabases({
      dataDir: copy,
      major: '15',
      workDir: work,
      databases: ['shop'],
      outDir: join(root, 'indexed-dumps'),
    });
    const [check] = await verifyDumps(dumps, { work: { in: tmpdir() } });
    expect(check).toMatchObject({ database: 'shop', restored: false });
    expect(check!.differences.join('\n')).toMatch(/permission denied|must be superuser|pg_execute_server_program/);
    expect(await markersIn(markers)).toEqual([]);
  }, 180_000);
});
