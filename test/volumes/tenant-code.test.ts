/**
 * volumes look and dump on a copy of a cluster holding a tenant's code that reading it could run (real
 * PostgreSQL 15): file_fdw foreign tables whose program is a shell command, one inheriting from an
 * ordinary table and one a partition, views over SECURITY DEFINER functions doing COPY ... TO PROGRAM,
 * a C function whose library sits in the data folder. No marker is ever written, the counts are those
 * of the ordinary tables, the foreign tables are named and left out; the server runs as its sandbox's
 * own account in a network namespace of its own, and the tenant's superuser is one no longer in the copy.
 */
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyTree } from '../../src/volumes/copy.js';
import { dumpDatabases, lookInside, verifyDumps } from '../../src/volumes/look.js';
import { startScratchServer } from '../../src/volumes/scratch-server.js';
import { READER_ROLE } from '../../src/systems/pg-reader.js';
import { makeCluster, PG_BIN } from '../support/pg-volumes.js';
import { markerFilesUnder, markerFolder, markersIn, tenantCodeSql, tenantLibrary } from '../support/drill-hostile.js';

let root: string;
let markers: string;
let original: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'look-tenant-code-'));
  await chmod(root, 0o755);
  markers = await markerFolder(root);
  original = join(root, 'volume', 'pgdata');
  const library = tenantLibrary(root, markers);
  await makeCluster(original, 'shop', `${tenantCodeSql(markers, library).join(';\n')};`, 'stop', undefined, PG_BIN, [library]);
}, 120_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** A copy of the volume's cluster, root's as `volumes look` makes it, and a work folder beside it. */
async function copyForLook(name: string): Promise<{ copy: string; work: string }> {
  const copy = join(root, name, 'data');
  await copyTree(original, copy);
  await chmod(copy, 0o700);
  const work = mkdtempSync(join(root, 'work-'));
  return { copy, work };
}

describe("volumes look on a copy holding a tenant's code", () => {
  it('counts the ordinary tables, names the foreign ones, and writes no marker', async () => {
    const { copy, work } = await copyForLook('look');
    const look = await lookInside({ dataDir: copy, major: '15', workDir: work, tables: 20 });
    const shop = look.databases.find((d) => d.name === 'shop')!;
    const table = (name: string) => shop.largestTables.find((t) => t.table === name);
    expect(table('orders')).toMatchObject({ schema: 'public', rows: 1234, rowsExact: true });
    // In UTC and ISO whatever the database's own DateStyle and TimeZone; counted without planning a scan, which would fold its index expression.
    expect(table('orders')!.newest).toBe('2024-01-01 20:34:00+00');
    expect(table('events')).toMatchObject({ rows: 1000, rowsExact: true });
    expect(table('events_low')).toMatchObject({ rows: 1000, rowsExact: true });
    expect(Date.parse(table('events')!.newest!)).toBe(Date.parse('2024-02-01T00:00:00Z') + 999_000);
    expect(shop.foreignTables).toEqual(['public.events_high', 'public.orders_more']);
    expect(look.notes).toContain('took SUPERUSER and CREATEROLE from tenant_admin in the copy');

    const dumps = await dumpDatabases({ dataDir: copy, major: '15', workDir: work, databases: ['shop'], outDir: join(root, 'dumps') });
    expect(dumps[0]!.rowCounts).toEqual({ 'public.events': 1000, 'public.events_low': 1000, 'public.ops_log': 3, 'public.orders': 1234 });
    // The restore check restores as a role that is no superuser: the superuser makes the dump's file_fdw (an
    // extension), but that role may not use it, and the dump's C function is refused; no program is ever run.
    const [check] = await verifyDumps(dumps, { work: { in: tmpdir() } });
    expect(check).toMatchObject({
      restored: false,
      differences: [expect.stringMatching(/permission denied for language c/)],
    });

    expect(await markersIn(markers)).toEqual([]);
    expect(markerFilesUnder(root)).toEqual([]);
  }, 240_000);

  it('runs the server as an account of its own in a network namespace of its own; its reader is no superuser and cannot run programs', async () => {
    const { copy, work } = await copyForLook('isolated');
    const server = await startScratchServer({ dataDir: copy, major: '15', workDir: work });
    try {
      const pid = await server.pid();
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const uid = statSync(copy).uid;
      expect(uid).toBeGreaterThanOrEqual(0x70000000);
      expect(status).toMatch(new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'));
      expect(status).toMatch(/^CapEff:\s+0+$/m);
      expect(readlinkSync(`/proc/${pid}/ns/net`)).not.toBe(readlinkSync('/proc/self/ns/net'));
      // No interface up in its namespace, not even loopback.
      const links = readFileSync(`/proc/${pid}/net/dev`, 'utf8').split('\n').slice(2).filter(Boolean);
      expect(links.map((l) => l.trim().split(':')[0])).toEqual(['lo']);
      expect(readFileSync(`/proc/${pid}/net/route`, 'utf8').trim().split('\n')).toHaveLength(1);

      expect(await server.read('shop', 'select current_user, pg_catalog.current_setting($$transaction_read_only$$)')).toEqual([
        [READER_ROLE, 'on'],
      ]);
      const roles = await server.query(
        'shop',
        `select rolname, rolsuper from pg_catalog.pg_roles where rolname in ('tenant_admin', '${READER_ROLE}') order by 1`,
      );
      expect(roles).toEqual([
        [READER_ROLE, 'f'],
        ['tenant_admin', 'f'],
      ]);
      // What a tenant's function could make the reader do is refused: programs (also through a superuser's function), files, libraries, writes.
      for (const [sql, refusal] of [
        ['select public.admin_rows()', /pg_execute_server_program/],
        ["select pg_catalog.pg_read_file('/etc/shadow')", /permission denied/],
        ["copy (select 1) to program 'touch MARKER_reader'", /pg_execute_server_program/],
        ["load '/nonexistent/evil.so'", /permission denied|access to library/],
        ['create table public.mine (x int)', /read-only transaction/],
        ["select pg_catalog.set_config('transaction_read_only', 'off', false)", /read-write|read-only/],
      ] as const)
        await expect(server.read('shop', sql)).rejects.toThrow(refusal);
      expect(await server.read('shop', 'select pg_catalog.count(*) from only public.events_low')).toEqual([['1000']]);
      // Planning any query of public.orders folds its index expression, a bootstrap superuser's SECURITY DEFINER function.
      await expect(server.read('shop', 'select pg_catalog.count(*) from only public.orders')).rejects.toThrow(
        /tenant code ran as the superuser/,
      );
    } finally {
      await server.stop();
    }
    expect(await markersIn(markers)).toEqual([]);
    expect(markerFilesUnder(root)).toEqual([]);
  }, 180_000);
});
