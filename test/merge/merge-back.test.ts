/**
 * The merge back on real PostgreSQL 15: the copy as it was just before a bad write (a cluster read
 * through the scratch server's reader role, as the plan step reads the restored copy) and the live
 * database behind a container of a simulated cell (docker exec … psql over the cell seam, run against
 * a real server). The bad write deletes rows and updates others in one transaction; later
 * transactions change rows again and insert new ones.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionRegistry } from '../../src/actions/index.js';
import { mergeApplyActions } from '../../src/actions/merge-apply.js';
import { mergeBackActions } from '../../src/actions/merge-back.js';
import { restoreTimeActions } from '../../src/actions/restore-time/steps.js';
import { applyPatch, liveLines, liveQuery } from '../../src/adapters/pg-merge.js';
import { CellDocker } from '../../src/adapters/docker.js';
import { appLogin } from '../../src/adapters/postgres.js';
import type { ObjectStore } from '../../src/core/seams.js';
import { loadRunbook } from '../../src/engine/runbook/index.js';
import { patchState, type Expected } from '../../src/merge/patch-state.js';
import { choosePatch, diffTables, type MergeSide } from '../../src/merge/plan.js';
import { copyValue } from '../../src/merge/json-rows.js';
import { jsonText, qualified } from '../../src/merge/row-literals.js';
import { parsedRow, rowsByKey, textArray, type TableRow } from '../../src/merge/table-rows.js';
import { readShape, type TableShape } from '../../src/merge/table-shape.js';
import type { QueryLines } from '../../src/systems/pg-query.js';
import { startScratchServer, type ScratchServer } from '../../src/volumes/scratch-server.js';
import { ROOT } from '../support/cli.js';
import { makeCluster } from '../support/pg-volumes.js';
import { pitrContext } from '../support/pitr-context.js';
import { testChoices } from '../support/choices.js';
import { CONTAINER, NEW_GUID, SUPERUSER_PASSWORD } from '../support/sample-cell.js';
import { cellWithPostgres, type CellWithPostgres } from './cell-with-postgres.js';

const plan = mergeBackActions.find((a) => a.name === 'pitr.merge-plan')!;
const apply = mergeApplyActions.find((a) => a.name === 'pitr.merge-apply')!;
const CELL = '10.58.111.150';

/** What the copy and the live database both held before the bad write: hostile values among them. */
const BEFORE = String.raw`
CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, total numeric(10,2), placed_at timestamptz);
INSERT INTO orders SELECT g, 'customer ' || g, g * 1.5, timestamptz '2026-11-01 00:00:00+00' + g * interval '1 hour' FROM generate_series(1, 50) g;
CREATE TABLE odd (id text PRIMARY KEY, body text, raw bytea, doc jsonb, tags text[], nums int[], amount float8, at timestamp, span interval, n numeric);
INSERT INTO odd VALUES
  ('q''uote', 'it''s "quoted" \ back\\slash \x41 $$ $q$ ''); DROP TABLE orders; --', '\x00ff5c27'::bytea, '{"a": "b\"c", "nested": [1, null, "é"]}', '{"a,b","c\"d",NULL,"\\"}', '{1,NULL,3}', 0.1, '2016-11-21 14:01:59.123456', '1 day 02:03:04.5', 1e-20),
  (E'uni-\u2603-\u202e', E'line1\nline2\ttab\r:var :''x'' \\set', NULL, 'null', '{}', NULL, 'NaN', NULL, NULL, NULL),
  ('nul', NULL, '\x'::bytea, '[]', NULL, '{}', '-Infinity', 'infinity', '-1 mon', '123456789012345678901234567890.000000000000000001'),
  ('emoji 😀', '𝕏 ü', '\x5c78'::bytea, '{"k": "\\u00e9"}', '{"",""}', '{-2147483648}', 1.7976931348623157e308, '1999-12-31 23:59:59', '0', -0.0);
CREATE TABLE notes (id int PRIMARY KEY, order_id int REFERENCES orders (id) ON DELETE CASCADE, body text);
INSERT INTO notes VALUES (1, 10, 'on an order the bad write deletes'), (2, 30, 'kept');
CREATE TABLE flags (id int PRIMARY KEY, order_id int CONSTRAINT flags_order REFERENCES orders (id) ON DELETE SET NULL);
INSERT INTO flags VALUES (1, 11);
CREATE TABLE audits (id int PRIMARY KEY, order_id int REFERENCES orders (id));
CREATE TABLE "Weird Name" ("Key col" int PRIMARY KEY, "v'al" text, "gen" int GENERATED ALWAYS AS ("Key col" * 2) STORED);
INSERT INTO "Weird Name" ("Key col", "v'al") VALUES (1, 'one'), (2, 'two');
CREATE TABLE nokey (a int, b text);
INSERT INTO nokey VALUES (1, 'x');
CREATE TABLE invoices (id int PRIMARY KEY, parent_id int REFERENCES invoices (id), note text);
INSERT INTO invoices VALUES (3, NULL, 'root'), (2, 3, 'child'), (1, 2, 'grandchild'), (4, NULL, 'kept');
CREATE TABLE lines (id int PRIMARY KEY, invoice_id int NOT NULL REFERENCES invoices (id), item text);
INSERT INTO lines VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 3, 'c'), (4, 4, 'd');
CREATE TABLE ping (id int PRIMARY KEY, pong_id int);
CREATE TABLE pong (id int PRIMARY KEY, ping_id int CONSTRAINT pong_ping REFERENCES ping (id) DEFERRABLE);
ALTER TABLE ping ADD CONSTRAINT ping_pong FOREIGN KEY (pong_id) REFERENCES pong (id) DEFERRABLE;
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
INSERT INTO ping VALUES (1, 1);
INSERT INTO pong VALUES (1, 1);
COMMIT;
CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
INSERT INTO accounts SELECT g, g FROM generate_series(1, 80) g;
CREATE TABLE hen (id int PRIMARY KEY, egg_id int);
CREATE TABLE egg (id int PRIMARY KEY, hen_id int CONSTRAINT egg_hen REFERENCES hen (id) DEFERRABLE);
ALTER TABLE hen ADD CONSTRAINT hen_egg FOREIGN KEY (egg_id) REFERENCES egg (id);
`;

/** The bad write, one transaction: its id printed last. */
const BAD_WRITE = `BEGIN;
SET CONSTRAINTS ALL DEFERRED;
DELETE FROM orders WHERE id BETWEEN 10 AND 14;
UPDATE orders SET total = 0 WHERE id IN (20, 21, 22);
DELETE FROM odd;
DELETE FROM "Weird Name" WHERE "Key col" = 2;
DELETE FROM lines WHERE id <> 4;
DELETE FROM invoices WHERE id <> 4;
DELETE FROM ping;
DELETE FROM pong;
UPDATE accounts SET balance = 0 WHERE id = 60;
SELECT txid_current();
COMMIT;`;

/** Good writes after it: a row it changed changed again, a row it did not touch changed, a new row. */
const LATER = `UPDATE orders SET total = 99 WHERE id = 22;
UPDATE orders SET customer = 'renamed' WHERE id = 30;
INSERT INTO orders VALUES (100, 'new', 1, now());`;

let work: string;
let copyData: string;
let cell: CellWithPostgres;
let incidentXid: string;
let copy: ScratchServer | undefined;

/** The copy's scratch server, started for reading (the plan step starts its own: never two on the copy). */
async function readCopy(): Promise<ScratchServer> {
  if (!copy) copy = await startScratchServer({ dataDir: copyData, major: '15', workDir: join(work, 'copy') });
  return copy;
}

/** The copy as the plan reads it: catalog answers whole, a table's rows streamed. */
async function copySide(): Promise<MergeSide> {
  const s = await readCopy();
  return { query: s.read, lines: s.readLines };
}

/** A table's rows by key, read as the merge reads them. */
async function rowsOf(lines: QueryLines, shape: TableShape): Promise<Map<string, TableRow>> {
  const rows = new Map<string, TableRow>();
  for await (const batch of rowsByKey(lines, 'shop', shape)) for (const r of batch) rows.set(r.keyText, parsedRow(r));
  return rows;
}

async function stopCopy(): Promise<void> {
  await copy?.stop();
  copy = undefined;
}

const livePsql = (db: string, sql: string, role?: string): string => cell.psql(db, sql, role);
const docker = (): CellDocker => cell.docker();

/** The live database as the plan reads it: through the container, as the role apps bind with. */
async function live(): Promise<MergeSide> {
  const d = docker();
  const info = (await d.inspect(CONTAINER))!;
  const apps = appLogin(info, d.redactor)!;
  return { query: liveQuery(d, CONTAINER, apps), lines: liveLines(d, CONTAINER, apps) };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'merge-back-'));
  chmodSync(work, 0o755);
  copyData = join(work, 'copy', 'data');
  await makeCluster(copyData, 'shop', BEFORE, 'stop');
  cell = await cellWithPostgres(join(work, 'cell'));
  livePsql('postgres', 'CREATE DATABASE shop OWNER appuser;');
  livePsql('shop', BEFORE, 'appuser');
  incidentXid = livePsql('shop', BAD_WRITE, 'appuser').trim();
  livePsql('shop', LATER, 'appuser');
}, 180_000);

afterAll(async () => {
  await stopCopy();
  (cell as CellWithPostgres | undefined)?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A step's context: a live run in `runDir`, the cell above, answering `choose`. */
function stepContext(runDir: string, choose: Record<string, string> = {}) {
  const { ctx, said } = pitrContext({} as ObjectStore, runDir, choose);
  const warned: string[] = [];
  Object.assign(ctx, { cell: () => Promise.resolve(cell.session), warn: (w: string) => void warned.push(w) });
  return { ctx, said, warned };
}

const planParams = (target: string[], updates = '') => ({
  tables: ['public.orders', 'public.odd', 'public.Weird Name'],
  database: '',
  updates,
  restored: true,
  dataDir: copyData,
  major: '15',
  target,
  databases: ['shop'],
  copyName: 'shop-before-xid',
  live: true,
  instanceGuid: NEW_GUID,
  cellIp: CELL,
  container: CONTAINER,
});

describe('merge back into the live database, on real PostgreSQL 15', () => {
  it('puts back the rows deleted since, reverts those the incident changed, lists those changed since as conflicts and leaves new rows alone', async () => {
    const diffs = await diffTables(await copySide(), await live(), {
      database: 'shop',
      tables: ['public.orders', 'public.odd'],
      incidentXid,
    });
    const orders = diffs.tables[0]!.diff;
    expect(orders.inserts.map((r) => r.key)).toEqual([['10'], ['11'], ['12'], ['13'], ['14']]);
    expect(orders.reverts.map((c) => c.copy.key)).toEqual([['20'], ['21']]);
    expect(orders.conflicts.map((c) => c.copy.key).sort()).toEqual([['22'], ['30']]);
    expect(orders.review).toEqual([]);
    expect(orders).toMatchObject({ keptNew: 1, unchanged: 41 });
    expect(diffs.tables[1]!.diff.inserts).toHaveLength(4);
    // Without the incident's transaction, every changed row is for review.
    const unknown = await diffTables(await copySide(), await live(), { database: 'shop', tables: ['public.orders'] });
    expect(unknown.tables[0]!.diff.review.map((c) => c.copy.key).sort()).toEqual([['20'], ['21'], ['22'], ['30']]);
    expect(unknown.tables[0]!.diff.reverts).toEqual([]);
    const patch = choosePatch(diffs, 'safe', 'appuser', ['a header']);
    expect(patch).toMatchObject({ inserts: 9, updates: 2 });
    // The operator's other choices: every changed row back to the copy, or none of them.
    expect(choosePatch(diffs, 'all', 'appuser', [])).toMatchObject({ inserts: 9, updates: 4 });
    expect(choosePatch(diffs, 'inserts-only', 'appuser', [])).toMatchObject({ inserts: 9, updates: 0 });
    expect(patch.sql.match(/^BEGIN;$/gm)).toHaveLength(1);
    expect(patch.sql.match(/^COMMIT;$/gm)).toHaveLength(1);
    // It runs logged in as the role apps bind with, and refuses any other session.
    expect(patch.sql).toContain("IF session_user OPERATOR(pg_catalog.<>) ''appuser'' THEN");
    expect(patch.sql).not.toMatch(/SET (LOCAL )?ROLE/);
    // A tenant's value is a quoted literal whatever it holds.
    expect(patch.sql).toContain(String.raw`'it''s "quoted" \ back\\slash \x41 $$ $q$ ''); DROP TABLE orders; --'`);
  }, 120_000);

  it("reads the values as the columns' own text, and writes them as JSON exactly as the server's json_build_array does, hostile values and NULLs included", async () => {
    const side = await copySide();
    for (const table of ['public.odd', 'public.orders', 'public.Weird Name']) {
      const shape = await readShape(side.query, 'shop', table, 'the copy');
      const server = await side.query('shop', `SELECT ${textArray(shape, shape.columns)} FROM ONLY ${qualified(shape)}`);
      const ours = [...(await rowsOf(side.lines, shape)).values()].map((r) => jsonText(r.values));
      expect(ours.sort()).toEqual(server.map((r) => r[0]!).sort());
      expect(ours.length).toBeGreaterThan(1);
    }
    // A NULL is read as null, not as the text COPY writes for it; a value of those two characters comes escaped.
    const odd = await rowsOf(side.lines, await readShape(side.query, 'shop', 'public.odd', 'the copy'));
    expect(odd.get('["nul"]')!.values[1]).toBeNull();
    expect([copyValue('\\N'), copyValue('\\\\N')]).toEqual([null, '\\N']);
  });

  it('refuses a table without a primary key, and a table neither side holds, naming it', async () => {
    await expect(diffTables(await copySide(), await live(), { database: 'shop', tables: ['public.nokey'] })).rejects.toThrow(
      'public.nokey has no primary key in the copy: it is refused for merge',
    );
    await expect(diffTables(await copySide(), await live(), { database: 'shop', tables: ['public.gone'] })).rejects.toThrow(
      'the copy has no table public.gone in database shop',
    );
    await expect(diffTables(await copySide(), await live(), { database: 'shop', tables: ['orders'] })).rejects.toThrow(
      'give it as schema.table',
    );
  }, 60_000);

  it('asks which changed rows go back when the target is a moment, and stops unattended saying how to answer', async () => {
    await stopCopy();
    const runDir = mkdtempSync(join(work, 'run-'));
    const { ctx } = stepContext(runDir);
    await expect(plan.run(ctx, planParams(['--target-time', '2026-11-25T13:00:00Z']), {})).rejects.toMatchObject({
      name: 'NeedsOperator',
      message: expect.stringContaining('4 row(s) changed since the target') as string,
      hint: expect.stringContaining(
        "choose one of safe, all, inserts-only (the candidates of mergeUpdates): the runbook's hint for mergeUpdates; give it in an answers file of your own (choose: {mergeUpdates: VALUE})",
      ) as string,
    });
  }, 120_000);

  it('writes the patch (0600, checksum), applies it once typed, never twice, and hostile values come back exactly', async () => {
    await stopCopy();
    const runDir = mkdtempSync(join(work, 'run-'));
    const { ctx, said, warned } = stepContext(runDir);
    const planned = (await plan.run(ctx, planParams(['--target-xid', incidentXid, '--target-exclusive'], 'safe'), {})) as Record<
      string,
      unknown
    >;
    expect(planned).toMatchObject({ hasPatch: true, database: 'shop', inserts: 10, updates: 2 });
    const file = planned.patchFile as string;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(planned.confirmCode).toBe((planned.sha256 as string).slice(0, 12));
    expect(said.join('\n')).toMatch(
      /public\.orders: 5 deleted since: \["10"\], \["11"\], \["12"\], … \(2 more\); 2 changed by the incident: \["\d+"\] \(\w+ "[^"]*" now, "[^"]*" then/,
    );
    expect(said.join('\n')).toContain('2 conflict(s): changed since by another transaction');
    // The tables not named whose rows went with the orders deleted: warned, and kept for the report; a key that
    // only refuses the delete (audits) took nothing.
    const missed = [
      'public.flags is not merged: 5 row(s) of public.orders deleted since are put back, but its rows that referenced them had their reference set to NULL (flags_order: ON DELETE SET NULL) and are not reverted; name public.flags in inputs.merge too (a new run) to bring them back',
      'public.notes is not merged: 5 row(s) of public.orders deleted since are put back, but its rows that referenced them were deleted with them (notes_order_id_fkey: ON DELETE CASCADE) and are not put back; name public.notes in inputs.merge too (a new run) to bring them back',
    ];
    expect(warned.filter((w) => w.includes('is not merged'))).toEqual(missed);
    expect(planned.left).toEqual(expect.arrayContaining(missed));
    const before = await live();
    const ordersShape = await readShape((await copySide()).query, 'shop', 'public.orders', 'the copy');
    const oddShape = await readShape((await copySide()).query, 'shop', 'public.odd', 'the copy');
    const applyParams = {
      patchFile: file,
      expectFile: planned.expectFile,
      sha256: planned.sha256,
      database: 'shop',
      instanceGuid: NEW_GUID,
      cellIp: CELL,
      container: CONTAINER,
    };
    const psqlRuns = () => cell.specs.filter((s) => s.argv.includes('ON_ERROR_STOP=1') && !s.argv.includes('-t')).length;
    // The patch in a superuser's session refuses itself before any row or trigger of the tenant's is touched.
    expect(() => livePsql('shop', readFileSync(file, 'utf8'))).toThrow(
      'dingo-recover merge refused: the patch runs logged in as appuser, the role apps bind with, not as postgres',
    );
    // A trigger of the tenant's that goes back to the session's own role, as any function may (RESET ROLE),
    // finds the role apps bind with there, no superuser.
    livePsql(
      'shop',
      `CREATE TABLE spied (who text, superuser bool);
       CREATE FUNCTION spy() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
         RESET ROLE;
         INSERT INTO spied SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user;
         RETURN NEW; END $$;
       CREATE TRIGGER spy BEFORE INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE PROCEDURE spy();`,
      'appuser',
    );
    try {
      expect(await apply.run(ctx, applyParams, {})).toEqual({ applied: true });
      expect(livePsql('shop', 'SELECT DISTINCT who, superuser FROM spied').trim()).toBe('appuser|f');
    } finally {
      livePsql('shop', 'DROP TRIGGER spy ON orders; DROP FUNCTION spy(); DROP TABLE spied;', 'appuser');
    }
    expect(psqlRuns()).toBe(1);

    const copyOrders = await rowsOf((await readCopy()).readLines, ordersShape);
    const liveOrders = await rowsOf(before.lines, ordersShape);
    for (const id of ['10', '11', '12', '13', '14', '20', '21'])
      expect(liveOrders.get(`["${id}"]`)?.valuesText).toBe(copyOrders.get(`["${id}"]`)?.valuesText);
    // Conflicts and new rows are left as the later writes made them.
    expect(liveOrders.get('["22"]')?.values[2]).toBe('99.00');
    expect(liveOrders.get('["30"]')?.values[1]).toBe('renamed');
    expect(liveOrders.get('["100"]')?.values[1]).toBe('new');
    // Every hostile value round-trips exactly, as the server prints it.
    const copyOdd = await rowsOf((await readCopy()).readLines, oddShape);
    const liveOdd = await rowsOf(before.lines, oddShape);
    expect([...liveOdd.values()].map((r) => r.valuesText).sort()).toEqual([...copyOdd.values()].map((r) => r.valuesText).sort());
    expect(liveOdd.size).toBe(4);
    expect(livePsql('shop', `SELECT "gen" FROM "Weird Name" WHERE "Key col" = 2`).trim()).toBe('4');
    expect(livePsql('shop', 'SELECT count(*) FROM orders').trim()).toBe('51');

    // Run again: the live rows are as the patch leaves them; it is not applied a second time.
    const again = stepContext(runDir);
    expect(await apply.run(again.ctx, applyParams, {})).toEqual({ applied: true });
    expect(again.said.join('\n')).toContain('is not applied twice');
    expect(psqlRuns()).toBe(1);
    expect(await apply.probe!(again.ctx, applyParams, {})).toMatchObject({ done: true });
    // The patch itself, run a second time by hand, refuses itself and changes nothing.
    const d = docker();
    const second = await applyPatch(d, CONTAINER, appLogin((await d.inspect(CONTAINER))!, d.redactor)!, 'shop', readFileSync(file, 'utf8'));
    expect(second.exitCode).not.toBe(0);
    expect(second.stderr).toContain('dingo-recover merge refused');
    expect(livePsql('shop', 'SELECT count(*) FROM orders').trim()).toBe('51');
    for (const s of cell.specs) expect(s.argv.join(' ')).not.toContain(SUPERUSER_PASSWORD);
  }, 180_000);

  it("names a row by its key's own equality and text, qualified, whatever operator the role's search_path puts first", async () => {
    // The tenant's own "=" for two integers, true of any two, first in the search_path the role apps bind with keeps.
    livePsql(
      'shop',
      `CREATE SCHEMA tenant;
       CREATE TABLE tenant.calls (n int);
       CREATE FUNCTION tenant.eq(int, int) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN INSERT INTO tenant.calls VALUES (1); RETURN true; END $$;
       CREATE OPERATOR tenant.= (LEFTARG = int, RIGHTARG = int, FUNCTION = tenant.eq);`,
      'appuser',
    );
    livePsql('shop', 'ALTER ROLE appuser SET search_path = tenant, pg_catalog, public');
    try {
      const diffs = await diffTables(await copySide(), await live(), { database: 'shop', tables: ['public.accounts'], incidentXid });
      expect(diffs.tables[0]!.diff.reverts.map((c) => c.copy.key)).toEqual([['60']]);
      expect(diffs.searchPath).toBe('tenant, pg_catalog, public');
      const patch = choosePatch(diffs, 'safe', 'appuser', []);
      expect(patch.sql).toContain(`SELECT pg_catalog.set_config('search_path', 'pg_catalog, tenant, pg_catalog, public, pg_temp', true);`);
      expect(patch.sql).toContain(
        `UPDATE ONLY "public"."accounts" SET "balance" = '60' WHERE "id" OPERATOR("pg_catalog".=) '60'::pg_catalog.int4 AND pg_catalog.json_build_array("id"::pg_catalog.text)::pg_catalog.text OPERATOR(pg_catalog.=) '["60"]';`,
      );
      const d = docker();
      const applied = await applyPatch(d, CONTAINER, appLogin((await d.inspect(CONTAINER))!, d.redactor)!, 'shop', patch.sql);
      expect(applied.exitCode, applied.stderr).toBe(0);
      // Row 60 alone went back; no other row was named, and the tenant's operator never ran.
      expect(livePsql('shop', 'SELECT count(*) FROM accounts WHERE balance = id').trim()).toBe('80');
      expect(livePsql('shop', 'SELECT count(*) FROM tenant.calls').trim()).toBe('0');
    } finally {
      livePsql('shop', 'ALTER ROLE appuser RESET search_path; DROP SCHEMA tenant CASCADE;');
    }
  }, 120_000);

  it('refuses a live container that names no password of the role apps bind with, running no psql in it', async () => {
    const c = cell.state.containers[CONTAINER]!;
    const env = c.env;
    c.env = env.filter((e) => !e.startsWith('APPUSER_PASSWORD='));
    const before = cell.specs.length;
    try {
      const { ctx } = stepContext(mkdtempSync(join(work, 'run-')));
      await expect(plan.run(ctx, planParams(['--target-time', '2026-11-25T13:00:00Z'], 'all'), {})).rejects.toThrow(
        `container ${CONTAINER} names no APPUSER_USERNAME and APPUSER_PASSWORD: there is no role apps bind with to run the merge as`,
      );
    } finally {
      c.env = env;
    }
    expect(cell.specs.slice(before).filter((s) => s.argv.some((a) => a.includes('psql')))).toEqual([]);
  });

  it('refuses to apply when the live rows changed since the plan, and when the patch file was edited', async () => {
    await stopCopy();
    const runDir = mkdtempSync(join(work, 'run-'));
    const { ctx } = stepContext(runDir, { mergeUpdates: 'all' });
    livePsql('shop', 'DELETE FROM orders WHERE id = 1;', 'appuser');
    const planned = (await plan.run(ctx, planParams(['--target-time', '2026-11-25T13:00:00Z']), {})) as Record<string, string>;
    const applyParams = { ...planned, instanceGuid: NEW_GUID, cellIp: CELL, container: CONTAINER };
    livePsql('shop', `INSERT INTO orders VALUES (1, 'meanwhile', 1, now());`, 'appuser');
    await expect(apply.run(ctx, applyParams, {})).rejects.toThrow(
      'the live rows changed since the plan, the patch is not applied: public.orders ["1"]: written since the plan',
    );
    await expect(apply.run(ctx, { ...applyParams, sha256: 'f'.repeat(64) }, {})).rejects.toThrow('changed since it was planned');
    const expected = JSON.parse(readFileSync(planned.expectFile!, 'utf8')) as Expected[];
    expect((await patchState((await live()).lines, 'shop', expected)).state).toBe('moved');
  }, 180_000);

  it('at a terminal, asks which changed rows go back when no transaction settles them, and reverts them all when told', async () => {
    await stopCopy();
    const { ctx } = stepContext(mkdtempSync(join(work, 'run-')));
    const asked: string[] = [];
    Object.assign(ctx, {
      choices: testChoices(
        {},
        {
          interactive: true,
          select: (q: { key: string; message: string }) => {
            asked.push(`${q.key}: ${q.message}`);
            return Promise.resolve('all');
          },
        },
      ),
    });
    const planned = (await plan.run(ctx, planParams(['--target-time', '2026-11-25T13:00:00Z']), {})) as Record<string, unknown>;
    // By now the deleted rows are back; 22 and 30 were changed after the incident, 1 written again by the previous test.
    expect(asked).toEqual([expect.stringMatching(/^mergeUpdates: 3 row\(s\) changed since the target/)]);
    expect(planned).toMatchObject({ hasPatch: true, inserts: 0, updates: 3 });
    expect(readFileSync(planned.patchFile as string, 'utf8')).toMatch(/^-- rows chosen: all;/m);
  }, 120_000);

  it('in a rehearsal that found no live container, warns that the simulated platform holds no live rows, and merges nothing', async () => {
    const { ctx, warned } = stepContext(mkdtempSync(join(work, 'run-')));
    Object.assign(ctx, { platform: { ...ctx.platform, mode: 'rehearsal' } });
    expect(await plan.run(ctx, { ...planParams(['--target-time', '2026-11-25T13:00:00Z']), container: '' }, {})).toMatchObject({
      hasPatch: false,
      patchFile: '',
    });
    expect(warned).toEqual([
      'nothing merged back: the simulated platform holds no live rows of public.orders, public.odd, public.Weird Name to compare with the copy',
    ]);
  });

  it('reports the merge: the live database was written by the patch, and the user is told which rows came back', async () => {
    const report = restoreTimeActions.find((a) => a.name === 'pitr.report')!;
    const { ctx } = stepContext(mkdtempSync(join(work, 'run-')));
    const base = {
      instanceGuid: NEW_GUID,
      serviceName: 'shop-db',
      live: true,
      archiveUrl: 's3://b/backups/x/wal/',
      describe: 'as it was just before transaction 1843',
      restored: true,
      why: '',
      backup: 'base_000000010000000000000002_00000040',
      lastTransactionAt: '',
      stoppedBefore: '',
      outDir: '/runs/r/dumps/c',
      verified: [],
      services: [],
    };
    const conflict = 'public.orders: 1 row(s): ["101"] (status "shipped" now, "open" then)';
    const merged = (await report.run(
      ctx,
      { ...base, mergePatch: '/runs/r/merge/c-shop.sql', mergeInserts: 10, mergeUpdates: 2, mergeDatabase: 'shop', mergeLeft: [conflict] },
      {},
    )) as {
      summary: string;
      todo: string[];
    };
    expect(merged.summary).toContain(
      `- Merged back into the live database shop of ${NEW_GUID} ("shop-db"), in one transaction: 10 row(s) put back, 2 reverted, rows written since left alone (the patch: /runs/r/merge/c-shop.sql)`,
    );
    expect(merged.summary).toContain(`- Left as they are in the live database, changed since the target: ${conflict}`);
    expect(merged.summary).not.toContain('not touched');
    expect(merged.todo).toEqual([
      `tell the user what was written into the live database shop of ${NEW_GUID} ("shop-db"): 10 row(s) put back, 2 reverted, in one transaction (the patch /runs/r/merge/c-shop.sql lists every row)`,
      `decide with the user on the rows changed since the target that the merge left as they are: ${conflict}`,
      'the dumps of the copy in /runs/r/dumps/c are for reading what it held, not for the live database, which has the rows merged back: restore one only into a new, empty database (createdb NEWDB; pg_restore --no-owner -d NEWDB FILE)',
    ]);
    const none = (await report.run(ctx, { ...base, mergePatch: '' }, {})) as { summary: string };
    expect(none.summary).toContain('The live instance was not touched: only its archive was read');
  });

  it('writes parents before children whatever order the tables are named in, defers a cycle of deferrable keys and refuses one that is not', async () => {
    await stopCopy();
    const runDir = mkdtempSync(join(work, 'run-'));
    const { ctx, said } = stepContext(runDir);
    const target = ['--target-xid', incidentXid, '--target-exclusive'];
    const planned = (await plan.run(
      ctx,
      { ...planParams(target, 'safe'), tables: ['public.lines', 'public.pong', 'public.invoices', 'public.ping'] },
      {},
    )) as Record<string, unknown>;
    expect(planned).toMatchObject({ hasPatch: true, inserts: 8, updates: 0 });
    expect(said.join('\n')).toContain(
      'the patch writes public.pong, public.ping, public.invoices, public.lines in this order, some referencing each other: their deferrable foreign keys are checked at the commit',
    );
    const sql = readFileSync(planned.patchFile as string, 'utf8');
    const at = (table: string) => sql.indexOf(`INSERT INTO "public"."${table}"`);
    expect(at('invoices')).toBeGreaterThan(0);
    expect(at('invoices')).toBeLessThan(at('lines'));
    expect(sql).toMatch(/^SET CONSTRAINTS ALL DEFERRED;$/m);
    // The invoices go back in one statement, in the order of their keys: 1 before its parent 2, 2 before 3.
    expect(sql).toMatch(
      /INSERT INTO "public"."invoices" \("id", "parent_id", "note"\) VALUES\n {2}\('1', '2', 'grandchild'\),\n {2}\('2', '3', 'child'\),/,
    );
    expect(await apply.run(ctx, { ...planned, instanceGuid: NEW_GUID, cellIp: CELL, container: CONTAINER }, {})).toEqual({
      applied: true,
    });
    expect(livePsql('shop', 'SELECT id, parent_id FROM invoices ORDER BY id').trim().split('\n')).toEqual(['1|2', '2|3', '3|', '4|']);
    expect(livePsql('shop', 'SELECT count(*) FROM lines').trim()).toBe('4');
    expect(livePsql('shop', 'SELECT (SELECT pong_id FROM ping), (SELECT ping_id FROM pong)').trim()).toBe('1|1');

    // A cycle whose keys are not all deferrable cannot go back in one transaction: refused, named, before anything is written.
    await expect(
      diffTables(await copySide(), await live(), { database: 'shop', tables: ['public.hen', 'public.orders', 'public.egg'] }),
    ).rejects.toMatchObject({
      name: 'UsageError',
      message:
        'public.hen, public.egg reference each other in a cycle of foreign keys, and hen_egg (public.hen → public.egg) is not deferrable: no order of the tables puts their rows back in one transaction',
      hint: expect.stringContaining('make those keys DEFERRABLE') as string,
    });
  }, 180_000);

  it('is applied only by the operator: restore-to-time types its checksum or takes it as mergeChecksum, never from --yes', () => {
    const applyStep = (name: string) =>
      loadRunbook(join(ROOT, 'runbooks', `${name}.yaml`), actionRegistry()).steps.find((s) => s.id === 'merge-apply')!;
    expect(applyStep('restore-to-time').confirm).toMatchObject({
      typed: '${steps.merge-plan.outputs.confirmCode}',
      typedInput: '${inputs.mergeChecksum}',
    });
    // recover-to-target merges nothing (its instance is deleted): still typed only, with no input to give it as.
    expect(applyStep('recover-to-target').confirm).toMatchObject({ typedInput: '' });
  });
});
