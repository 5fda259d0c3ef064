/**
 * A drill, and restore-to-time's look and dump, of an archive holding a tenant's code that reading it
 * could run (real PostgreSQL 15 archived as wal-e does, into moto): file_fdw foreign tables whose
 * program is a shell command (an inheritance child of public.orders, a partition of public.events),
 * views over SECURITY DEFINER functions doing COPY ... TO PROGRAM (owned by a superuser role of the
 * tenant's, and by the bootstrap superuser), a view over a C function whose library is in the data
 * folder. The operator's queries give the right rows for ordinary tables, or fail saying why; no
 * marker is ever written; the server runs as its sandbox's own account in a network namespace of its own.
 */
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunAs } from '../../src/core/seams.js';
import { runDrill } from '../../src/drill/drill.js';
import { DrillFailed } from '../../src/drill/exit-codes.js';
import { dumpDatabases, lookInside, readDatabases } from '../../src/volumes/look.js';
import { startMoto, type Moto } from '../support/moto.js';
import { generateWaleArchive, uploadArchive, type GeneratedArchive } from '../support/wale-archive.js';
import { markerFilesUnder, markerFolder, markersIn, tenantCodeSql, tenantLibrary } from '../support/drill-hostile.js';
import { tearDownDrill, drillHere } from '../support/drill-fixtures.js';
import { atFirstStatement, postmasterFile } from '../support/pg-sandbox-watch.js';

const BUCKET = 'tenant-code-bucket';
const PREFIX = 'backups/tenant-code/wal/';
const URL = `s3://${BUCKET}/${PREFIX}`;

let moto: Moto;

/** The drill of this file's archive, as a run hands it its world; `o` adds or overrides options. */
const drillArchive = (o: Partial<Parameters<typeof runDrill>[0]> = {}) =>
  drillHere({
    url: URL,
    store: moto.store,
    deadlineMs: 300_000,
    ...o,
  });
let archive: GeneratedArchive;
let dir: string;
let markers: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drill-tenant-code-'));
  markers = await markerFolder(dir);
  const library = tenantLibrary(dir, markers);
  [moto, archive] = await Promise.all([
    startMoto(),
    generateWaleArchive({ dir, rowsBefore: 10, rowsAfter: 5, tenant: { sql: tenantCodeSql(markers, library), autoConf: [] } }),
  ]);
  await moto.createBucket(BUCKET);
  await uploadArchive(moto.store, archive.root, BUCKET, PREFIX);
  Object.assign(process.env, moto.env);
}, 120_000);

afterAll(() => tearDownDrill({ moto, archive, dir }));

/** How the postmaster ran, seen on the drill's first query. */
interface Seen {
  uid?: string;
  net?: string;
}

/** The machine's processes, the postmaster looked at from inside its sandbox before the drill's first statement. */
function watching(seen: Seen) {
  return atFirstStatement(async ({ spec, sandbox }) => {
    seen.uid = /^Uid:\s+(.*)$/m.exec(await postmasterFile(sandbox, spec.writable[0]!, 'status'))?.[1];
    seen.net = (await sandbox.runOk(['sh', '-c', `readlink /proc/$(head -n 1 ${spec.writable[0]!}/postmaster.pid)/ns/net`])).stdout.trim();
  });
}

async function queryFails(query: string): Promise<DrillFailed> {
  const err = await drillArchive({ query }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DrillFailed);
  expect((err as DrillFailed).outcome).toBe('query-failed');
  return err as DrillFailed;
}

describe("a drill of an archive holding a tenant's code", () => {
  it('answers on ordinary tables as its sandbox’s own account, in a network namespace of its own, and runs no code of the archive', async () => {
    const seen: Seen = {};
    const processes = watching(seen);
    const report = await drillArchive({
      processes,
      query: `select (select count(*) from only public.orders), (select count(*) from public.events_low), current_user,
        (select count(*) from pg_catalog.pg_db_role_setting s join pg_catalog.pg_roles r on r.oid = s.setrole where r.rolname = current_user)`,
    });
    // The archive's role of the reader's name lost its settings, in every database too.
    expect(report.query.rows).toEqual([['1234', '1000', 'dingo_recover_reader', '0']]);
    const [account] = processes.accounts as [RunAs];
    expect(account.uid).toBeGreaterThanOrEqual(0x70000000);
    expect(seen.uid?.split(/\s+/)).toEqual([account.uid, account.uid, account.uid, account.uid].map(String));
    expect(seen.net).toMatch(/^net:\[\d+\]$/);
    expect(seen.net).not.toBe(readlinkSync('/proc/self/ns/net'));
    expect(await markersIn(markers)).toEqual([]);
  }, 180_000);

  it('--db-user a role that is a member of superusers runs the query with none of their powers', async () => {
    const report = await drillArchive({
      dbUser: 'tenant_ops',
      query: "select current_user, pg_catalog.pg_has_role('postgres', 'member'), pg_catalog.pg_has_role('tenant_admin', 'member')",
    });
    expect(report.query.rows).toEqual([['tenant_ops', 'f', 't']]);
  }, 180_000);

  it("refuses, saying why, a query reaching a foreign table, a superuser's function or the archive's library", async () => {
    expect((await queryFails('select count(*) from public.orders')).message).toMatch(/foreign-data wrapper "file_fdw" has no handler/);
    expect((await queryFails('select count(*) from public.events')).message).toMatch(/foreign-data wrapper "file_fdw" has no handler/);
    expect((await queryFails('select count(*) from public.orders_report')).message).toMatch(/pg_execute_server_program/);
    expect((await queryFails('select count(*) from public.orders_boot')).message).toMatch(/pg_execute_server_program/);
    expect((await queryFails('select count(*) from public.orders_native')).message).toMatch(/permission denied for function native/);
    expect(await markersIn(markers)).toEqual([]);
  }, 300_000);

  it("restore-to-time's look at a copy paused as a hot standby counts the ordinary tables, names the foreign ones and runs no code of the archive", async () => {
    let databases: Awaited<ReturnType<typeof readDatabases>> = [];
    const report = await drillArchive({
      keep: true,
      pause: true,
      target: { stop: { kind: 'immediate' }, exclusive: false, timeline: 'latest' },
      look: async (copy) => {
        expect(copy.paused).toBe(true);
        databases = await readDatabases(
          { query: async (database, sql) => (await copy.cluster.query(sql, { ...copy.conn, database })).rows, lines: copy.lines },
          20,
        );
      },
    });
    const workdir = report.workdir!;
    try {
      expect(report.paused).toBe(true);
      const db = databases.find((d) => d.name === 'postgres')!;
      expect(db.largestTables.find((t) => t.table === 'orders')).toMatchObject({ rows: 1234, rowsExact: true });
      expect(db.largestTables.find((t) => t.table === 'events')).toMatchObject({ rows: 1000, rowsExact: true });
      expect(db.largestTables.find((t) => t.table === 'orders')!.newest).toBe('2024-01-01 20:34:00+00');
      // No role can be made at the pause: a table is read as its owner, never when that role is or may become a superuser.
      expect(db.largestTables.find((t) => t.table === 'ops_log')).toMatchObject({
        rowsExact: false,
        note: expect.stringMatching(/its owner tenant_ops is, or is a member of, postgres, tenant_admin/),
      });
      expect(db.foreignTables).toEqual(['public.events_high', 'public.orders_more']);
      // Read while PostgreSQL held the copy paused at its target.
      expect(await readFile(join(workdir, 'postgresql.log'), 'utf8')).toMatch(/pausing at the end of recovery/);
      expect(await markersIn(markers)).toEqual([]);
      expect(markerFilesUnder(workdir)).toEqual([]);
    } finally {
      await rm(workdir, { recursive: true, force: true });
    }
  }, 240_000);

  it("restore-to-time's look and dump count the ordinary tables, name the foreign ones, and leave the dump's functions as they were", async () => {
    const report = await drillArchive({ keep: true });
    const workdir = report.workdir!;
    try {
      const look = await lookInside({ dataDir: join(workdir, 'data'), major: '15', workDir: workdir, tables: 20 });
      const db = look.databases.find((d) => d.name === 'postgres')!;
      expect(db.largestTables.find((t) => t.table === 'orders')).toMatchObject({ rows: 1234, rowsExact: true });
      expect(db.largestTables.find((t) => t.table === 'events')).toMatchObject({ rows: 1000, rowsExact: true });
      expect(db.foreignTables).toEqual(['public.events_high', 'public.orders_more']);
      const out = join(workdir, 'dumps');
      const [dump] = await dumpDatabases({
        dataDir: join(workdir, 'data'),
        major: '15',
        workDir: workdir,
        databases: ['postgres'],
        outDir: out,
      });
      expect(dump!.rowCounts).toMatchObject({ 'public.orders': 1234, 'public.events': 1000, 'public.events_low': 1000 });
      const script = execFileSync('/usr/lib/postgresql/15/bin/pg_restore', ['-f', '-', dump!.file]).toString();
      expect(script).toMatch(/FUNCTION public\.admin_rows\(\)[\s\S]*SECURITY DEFINER/);
      expect(script).toContain('ALTER FUNCTION public.admin_rows() OWNER TO tenant_admin;');
      expect(await markersIn(markers)).toEqual([]);
      expect(markerFilesUnder(workdir)).toEqual([]);
    } finally {
      await rm(workdir, { recursive: true, force: true });
    }
  }, 240_000);
});
