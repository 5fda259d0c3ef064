/**
 * A drill of a hostile but valid archive: a real PostgreSQL 15 cluster prepared by a tenant (functions
 * shadowing the system ones, role and database search_paths before pg_catalog, postgresql.auto.conf
 * commands and missing libraries) archived as wal-e does, into moto. The drill proves it restorable
 * and none of the tenant's code runs; the scratch server never holds a credential.
 */
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DrillFailed } from '../../src/drill/exit-codes.js';
import { startMoto, type Moto } from '../support/moto.js';
import { DRILL_TABLE, generateWaleArchive, uploadArchive, type GeneratedArchive } from '../support/wale-archive.js';
import { markerFolder, markersIn, tenantAutoConf, tenantSql } from '../support/drill-hostile.js';
import { tearDownDrill, drillHere } from '../support/drill-fixtures.js';
import { atFirstStatement, postmasterFile, processesOf, watchingSandboxes } from '../support/pg-sandbox-watch.js';

const BUCKET = 'hostile-bucket';
const PREFIX = 'backups/hostile/wal/';
const SECRET = 'hostile-secret-V3p8sK';

/** A role of the tenant's application, with a session library and search_path of its own. */
const APP_ROLE = [
  'create role tenant_app login',
  `grant select on public.${DRILL_TABLE} to tenant_app`,
  "alter role tenant_app set session_preload_libraries = 'dingo_tenant_session'",
  'alter role tenant_app set search_path = tenant, pg_catalog, public',
];

let moto: Moto;
let archive: GeneratedArchive;
let dir: string;
let markers: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drill-hostile-'));
  markers = await markerFolder(dir);
  [moto, archive] = await Promise.all([
    startMoto(),
    generateWaleArchive({
      dir,
      rowsBefore: 400,
      rowsAfter: 200,
      extraWalSwitches: 1,
      tenant: { sql: [...tenantSql(markers), ...APP_ROLE], autoConf: tenantAutoConf(markers) },
    }),
  ]);
  await moto.createBucket(BUCKET);
  await uploadArchive(moto.store, archive.root, BUCKET, PREFIX);
  Object.assign(process.env, moto.env, { AWS_ACCESS_KEY_ID: 'AKIAHOSTILE0001', AWS_SECRET_ACCESS_KEY: SECRET });
}, 120_000);

afterAll(() => tearDownDrill({ moto, archive, dir }));

/** What the running scratch server looked like when the drill first sent it a statement. */
interface Seen {
  environ?: string;
  socketMode?: number;
}

/** The machine's processes, looking at the postmaster (its environment, its socket folder) before the drill's first statement. */
function watching(seen: Seen) {
  return atFirstStatement(async ({ spec, sandbox }) => {
    seen.environ = await postmasterFile(sandbox, spec.writable[0]!, 'environ');
    seen.socketMode = (await stat(spec.socketDir!)).mode & 0o777;
  });
}

/**
 * A server command line whose restore_command, asked for `segment`, waits ten minutes before it does
 * what the drill's own does: replay stops there, still in recovery, as behind a slow disk. Its wait
 * ignores SIGTERM, as a program the server started may, and so outlives the server's own shutdown.
 */
function holdingBack(segment: string) {
  const wait = `case %f in ${segment}) trap '' TERM; sleep 600;; esac; `;
  return (argv: string[]): string[] => argv.map((a) => (a.startsWith('restore_command=') ? a.replace('=', `=${wait}`) : a));
}

describe('a drill of a tenant-prepared archive', () => {
  it('counts the rows right, runs none of the archive code, and the server holds no credential', async () => {
    const seen: Seen = {};
    const report = await drillHere({
      url: `s3://${BUCKET}/${PREFIX}`,
      store: moto.store,
      processes: watching(seen),
      query: `select count(*) from ${DRILL_TABLE}`,
      expectRows: 1,
      deadlineMs: 300_000,
    });
    expect(report.query.rows).toEqual([[String(archive.rowsAfter)]]);
    expect(report.replay.lastSegment).toBe(archive.segments[archive.segments.length - 1]);
    expect(await markersIn(markers)).toEqual([]);
    expect(seen.environ).toMatch(/^PATH=/m);
    expect(seen.environ).not.toMatch(/AWS_|AKIAHOSTILE|hostile-secret|MOTO|PGOPTIONS/);
    expect(seen.socketMode).toBe(0o700);
  }, 180_000);

  it("lists the restored cluster's real databases, not the tenant's view of pg_database", async () => {
    const report = await drillHere({
      url: `s3://${BUCKET}/${PREFIX}`,
      store: moto.store,
      deadlineMs: 300_000,
    });
    expect(report.query.rows).toEqual([['postgres']]);
    expect(await markersIn(markers)).toEqual([]);
  }, 180_000);

  it("runs the query as --db-user without that role's settings or libraries", async () => {
    const report = await drillHere({
      url: `s3://${BUCKET}/${PREFIX}`,
      store: moto.store,
      dbUser: 'tenant_app',
      query: `select count(*), current_user from ${DRILL_TABLE}`,
      deadlineMs: 300_000,
    });
    expect(report.query.rows).toEqual([[String(archive.rowsAfter), 'tenant_app']]);
    expect(await markersIn(markers)).toEqual([]);
  }, 180_000);

  it('ends at its deadline a drill whose server is still replaying WAL, stopping the server and all of its account', async () => {
    // The server really stays in recovery: its restore_command never gets past the archive's last segment.
    const stuck = watchingSandboxes(({ proceed }) => proceed(), holdingBack(archive.segments[archive.segments.length - 1]!));
    const err = await drillHere({
      url: `s3://${BUCKET}/${PREFIX}`,
      store: moto.store,
      processes: stuck,
      deadlineMs: 20_000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DrillFailed);
    expect((err as DrillFailed).outcome).toBe('could-not-run');
    expect((err as DrillFailed).message).toBe(
      `the drill's deadline of 20.0 s passed while PostgreSQL was still replaying WAL (last WAL file restored: ${archive.segments[archive.segments.length - 2]})`,
    );
    expect((err as DrillFailed).hint).toMatch(/The scratch server was stopped.*--deadline/);
    const [account] = stuck.accounts;
    expect(account).toBeDefined();
    expect(processesOf(account!.uid)).toEqual([]);
  }, 180_000);
});
