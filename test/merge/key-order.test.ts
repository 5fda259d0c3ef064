/**
 * The merge join's order: both sides are read in the byte order of the key's text, whatever the
 * collation each server sorts its key column by. On real PostgreSQL 15 the copy's key column sorts by
 * English ICU rules, the live one's by Swedish ones (ä after z): neither is the bytes' order. A stream
 * out of order is refused rather than compared. A SQL_ASCII database's text is merged byte for byte,
 * whatever encoding its bytes are in, on either side, the live one read through the cell's psql as
 * merge-back reads it; a live database whose sessions cannot run the patch's PL/pgSQL is refused first.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CellDocker } from '../../src/adapters/docker.js';
import { applyPatch, liveLines, liveQuery } from '../../src/adapters/pg-merge.js';
import { PSQL_VIA_STDIN } from '../../src/adapters/container-database.js';
import { Redactor } from '../../src/core/redact.js';
import type { CommandRunner } from '../../src/core/seams.js';
import { diffStreams } from '../../src/merge/diff.js';
import { copyLines, copyValue } from '../../src/merge/json-rows.js';
import { choosePatch, describeDiff, diffTables, type MergeSide } from '../../src/merge/plan.js';
import { byteOrder } from '../../src/merge/byte-order.js';
import { valueLiteral } from '../../src/merge/row-literals.js';
import type { RowText } from '../../src/merge/table-rows.js';
import { readShape, type TableShape } from '../../src/merge/table-shape.js';
import { READER_ROLE } from '../../src/systems/pg-reader.js';
import { connArgs } from '../../src/systems/postgres/index.js';
import { startScratchServer, type ScratchServer } from '../../src/volumes/scratch-server.js';
import { makeCluster } from '../support/pg-volumes.js';

/** The copy, as it was at the target: the same rows in both tables, each key's column in its own collation. */
const COPY = String.raw`
CREATE TABLE words (w text COLLATE "en-x-icu" PRIMARY KEY, n int, note text);
INSERT INTO words VALUES ('a', 1, NULL), ('B', 2, 'x'), ('b', 3, NULL), ('é', 4, 'x'), ('e', 5, NULL),
  ('z', 6, 'x'), ('ä', 7, NULL), ('Z', 8, 'x'), (U&'\FF5E', 9, NULL), ('😀', 10, 'x');
CREATE TABLE pairs (name text COLLATE "en-x-icu", seq int, note text, PRIMARY KEY (name, seq));
INSERT INTO pairs VALUES ('b', 1, 'one'), ('B', 2, NULL), ('ä', 1, 'umlaut'), ('a', 10, 'ten'), ('a', 9, 'nine');
CREATE TABLE parent (k text COLLATE "en-x-icu" PRIMARY KEY, v text);
CREATE TABLE child () INHERITS (parent);
INSERT INTO parent VALUES ('A', 'kept'), ('b', 'gone');
INSERT INTO child VALUES ('a', 'child row: never merged');
`;

/** The live database since: some rows deleted, some changed, one new; its key columns sort by Swedish rules. */
const LIVE = String.raw`
CREATE TABLE words (w text COLLATE "sv-x-icu" PRIMARY KEY, n int, note text);
INSERT INTO words VALUES ('B', 2, 'changed'), ('b', 3, NULL), ('é', 40, 'x'), ('e', 5, NULL),
  ('z', 6, 'x'), ('ä', 7, NULL), ('Å', 11, NULL), (U&'\FF5E', 9, NULL), ('😀', 10, NULL);
CREATE TABLE pairs (name text COLLATE "sv-x-icu", seq int, note text, PRIMARY KEY (name, seq));
INSERT INTO pairs VALUES ('b', 1, 'one'), ('B', 2, 'now set'), ('ä', 1, 'umlaut'), ('a', 9, 'nine'), ('å', 1, 'new');
CREATE TABLE parent (k text COLLATE "sv-x-icu" PRIMARY KEY, v text);
CREATE TABLE child () INHERITS (parent);
INSERT INTO parent VALUES ('A', 'kept');
INSERT INTO child VALUES ('b', 'a child row of the live table'), ('c', 'another');
`;

let work: string;
let server: ScratchServer;

/** The copy is database shop; the live side is database live of the same server. */
const copy = (): MergeSide => ({ query: server.read, lines: server.readLines });
const live = (): MergeSide => ({
  query: (_db, sql) => server.read('live', sql),
  lines: (_db, sql) => server.readLines('live', sql),
});

/**
 * The live leader's container as merge-back reaches it: psql in it, through the cell's seam (a
 * script on standard input after the login's password line); here `docker exec … psql` runs this
 * machine's psql in the scratch server's sandbox (where its account logs in by peer), as the login's role, in database DB.
 */
const cell = (db: string) => {
  const runner: CommandRunner = {
    where: 'cell 10.0.0.1',
    async run(spec) {
      const script = spec.argv.indexOf(PSQL_VIA_STDIN);
      if (script < 0) throw new Error('the merge logs in as a role with its password, never as the postgres OS user');
      const [user, ...psql] = spec.argv.slice(script + 2);
      if (typeof spec.stdin !== 'string') throw new Error('the merge writes its script to standard input as text');
      const r = await server.endpoint.sandbox.run(
        [join(server.clientBin, 'psql'), '-X', ...psql, ...connArgs(server.endpoint), '-U', user!, '-d', db],
        { stdin: spec.stdin.slice(spec.stdin.indexOf('\n') + 1) },
      );
      return { exitCode: r.code, stdout: r.stdout, stderr: r.stderr, durationMs: 1 };
    },
  };
  return new CellDocker(runner, { redactor: new Redactor(), sudo: false });
};
const login = (user: string = server.superuser) => ({ user, password: 'not-asked-on-the-trusted-socket' });

/** Database DB read as merge-back reads the live leader (liveQuery, liveLines: READ ONLY, as the role apps bind with). */
const cellSide = (db: string, role = READER_ROLE): MergeSide => {
  const docker = cell(db);
  return { query: liveQuery(docker, 'cf-leader', login(role)), lines: liveLines(docker, 'cf-leader', login(role)) };
};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'merge-order-'));
  chmodSync(work, 0o755);
  const data = join(work, 'data');
  const ascii = (name: string) => `CREATE DATABASE ${name} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;`;
  await makeCluster(
    data,
    'shop',
    COPY,
    'stop',
    `CREATE DATABASE live; ${ascii('ascii')} ${ascii('asciilive')} ${ascii('asciinopl')} ${ascii('asciinolang')}`,
  );
  server = await startScratchServer({ dataDir: data, major: '15', workDir: work });
  // The scratch server's sessions search pg_catalog only.
  await server.query('live', `SET search_path = public;\n${LIVE}\nCREATE TABLE utf8 (k int PRIMARY KEY, v text);`);
  // SQL_ASCII keeps whatever bytes it is given: the UTF-8 of é in one table, Latin-1's in the others (E'\\xe9'), which the live side has changed.
  await server.query(
    'ascii',
    String.raw`SET search_path = public;
    CREATE TABLE utf8 (k int PRIMARY KEY, v text); INSERT INTO utf8 VALUES (1, 'plain'), (2, 'café');
    CREATE TABLE latin (k int PRIMARY KEY, v text); INSERT INTO latin VALUES (1, E'caf\xe9');
    CREATE TABLE "odd$check$name" (k int PRIMARY KEY, v text); INSERT INTO "odd$check$name" VALUES (1, E'na\xefve');
    CREATE TABLE became_latin (k int PRIMARY KEY, v text); INSERT INTO became_latin VALUES (1, 'café');
    CREATE TABLE latin_keys (k text PRIMARY KEY, v text);
    INSERT INTO latin_keys VALUES (E'\xe9t\xe9', 'summer'), ('ete', 'plain'), (E'caf\xe9', E'it''s \\ caf\xe9'), (E'back\\slash \\351', 'kept as typed');`,
  );
  await server.query(
    'asciilive',
    String.raw`SET search_path = public;
    CREATE TABLE utf8 (k int PRIMARY KEY, v text); INSERT INTO utf8 VALUES (1, 'plain');
    CREATE TABLE latin (k int PRIMARY KEY, v text); INSERT INTO latin VALUES (1, E'caf\xe8');
    CREATE TABLE "odd$check$name" (k int PRIMARY KEY, v text); INSERT INTO "odd$check$name" VALUES (1, E'na\xefve');
    CREATE TABLE became_latin (k int PRIMARY KEY, v text); INSERT INTO became_latin VALUES (1, E'caf\xe9');
    CREATE TABLE latin_keys (k text PRIMARY KEY, v text); INSERT INTO latin_keys VALUES (E'\xe9t\xe9', E'\xe9t\xe9 chang\xe9'), ('ete', 'plain');`,
  );
  // A column whose name is Latin-1's bytes, which no UTF-8 text names.
  await server.query(
    'asciilive',
    String.raw`DO $$ BEGIN EXECUTE pg_catalog.format('CREATE TABLE public.latin_name (k int PRIMARY KEY, %I text)', pg_catalog.convert_from('\x636166e9'::bytea, 'SQL_ASCII')); END $$;`,
  );
  // The same UTF-8 text where the sessions cannot run PL/pgSQL: revoked from PUBLIC in one, dropped in the other.
  const utf8 = String.raw`SET search_path = public; CREATE TABLE utf8 (k int PRIMARY KEY, v text); INSERT INTO utf8 VALUES (1, 'café');`;
  await server.query('asciinopl', `REVOKE USAGE ON LANGUAGE plpgsql FROM PUBLIC; ${utf8}`);
  await server.query('postgres', 'CREATE ROLE "Shop Apps" LOGIN');
  // The cell's psql logs in as the role apps bind with, by its password; psql in the sandbox, by peer as a role let
  // in: its login rules rewritten, then reloaded, read by the server once pg_conf_load_time moves on.
  const loaded = async () => (await server.query('postgres', 'select pg_catalog.pg_conf_load_time()'))[0]![0];
  const before = await loaded();
  await server.endpoint.sandbox.permit('Shop Apps');
  await server.query('postgres', 'select pg_catalog.pg_reload_conf()');
  for (let i = 0; i < 100 && (await loaded()) === before; i++) await new Promise((r) => setTimeout(r, 50));
  await server.query('asciinolang', `DROP EXTENSION plpgsql; ${utf8}`);
}, 120_000);

afterAll(async () => {
  await (server as ScratchServer | undefined)?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const keys = (rows: { key: (string | null)[] }[]) => rows.map((r) => r.key);

describe("the merge join, on keys whose byte order is neither side's collation order", () => {
  it('matches every row on both sides although each server sorts the key column by another collation', async () => {
    // Neither server's own order is the bytes' order, and they differ from each other.
    const own = async (side: MergeSide) => (await side.query('shop', "select string_agg(w, ' ' order by w) from public.words"))[0]![0];
    expect(await own(copy())).toBe('～ 😀 a ä b B e é z Z');
    expect(await own(live())).toBe('～ 😀 b B e é z Å ä');

    const diffs = await diffTables(copy(), live(), { database: 'shop', tables: ['public.words', 'public.pairs', 'public.parent'] });
    const [words, pairs, parent] = diffs.tables.map((t) => t.diff);
    expect(keys(words!.inserts)).toEqual([['Z'], ['a']]);
    expect(words!.review.map((c) => [c.copy.key[0], c.copy.values, c.live.values])).toEqual([
      ['B', ['B', '2', 'x'], ['B', '2', 'changed']],
      ['é', ['é', '4', 'x'], ['é', '40', 'x']],
      ['😀', ['😀', '10', 'x'], ['😀', '10', null]],
    ]);
    expect(words).toMatchObject({ keptNew: 1, unchanged: 5, reverts: [], conflicts: [] });

    // A composite key: the row's whole key text orders it, ["a", "10"] before ["a", "9"].
    expect(keys(pairs!.inserts)).toEqual([['a', '10']]);
    expect(keys(pairs!.review.map((c) => c.copy))).toEqual([['B', '2']]);
    expect(pairs).toMatchObject({ keptNew: 1, unchanged: 3 });

    // ONLY the table itself: the rows of its inheritance child are neither put back nor counted.
    expect(keys(parent!.inserts)).toEqual([['b']]);
    expect(parent).toMatchObject({ keptNew: 0, unchanged: 1, review: [] });
  }, 60_000);
});

describe('a table read as a stream', () => {
  it("fails with PostgreSQL's words, and a reader that stops early ends psql and its session", async () => {
    const all = async (sql: string) => {
      const lines: string[] = [];
      for await (const batch of server.readLines('shop', sql)) lines.push(...batch);
      return lines;
    };
    await expect(all('copy (select 1 from public.nothere) to stdout')).rejects.toThrow('relation "public.nothere" does not exist');
    // COPY's text format escapes what would split a row or a field: read back, each field is whole, NULL apart from the text \N.
    const rows: (string | null)[][] = [];
    for await (const lines of copyLines(
      server.readLines,
      'shop',
      String.raw`select E'tab\t', E'line\n', '\', '"', pg_catalog.json_build_array('a"b', E'c\\d', E'e\tf')::pg_catalog.text, NULL::pg_catalog.text, '\N'`,
    )) {
      for (const line of lines) rows.push(line.split('\t').map(copyValue));
    }
    expect(rows).toEqual([['tab\t', 'line\n', '\\', '"', String.raw`["a\"b", "c\\d", "e\tf"]`, null, '\\N']]);
    const sessions = async () =>
      Number((await server.query('shop', `select count(*) from pg_catalog.pg_stat_activity where usename = '${READER_ROLE}'`))[0]![0]);
    let read = 0;
    for await (const batch of server.readLines('shop', 'copy (select pg_catalog.generate_series(1, 100000000)) to stdout')) {
      read += batch.length;
      if (read >= 3) break;
    }
    for (let i = 0; i < 100 && (await sessions()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await sessions()).toBe(0);
  }, 60_000);
});

const row = (key: string): RowText => ({ keyText: JSON.stringify([key]), valuesText: '', xmin: '1' });

/** The rows of `keys`, each in a batch of its own. */
async function* rows(...keys: string[]): AsyncGenerator<RowText[]> {
  for (const k of keys) yield await Promise.resolve([row(k)]);
}

/** The rows of `keys`, in one batch. */
async function* batch(...keys: string[]): AsyncGenerator<RowText[]> {
  yield await Promise.resolve(keys.map(row));
}

describe('the order the merge join relies on', () => {
  it('orders strings as their UTF-8 bytes do, surrogate pairs above U+E000 to U+FFFF', () => {
    // U+FF5E before U+1F600, where their UTF-16 units (FF5E, D83D DE00) order the other way.
    expect(byteOrder('\uFF5E', '😀')).toBeLessThan(0);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(Math.sign(byteOrder(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a side whose rows come out of order, naming it and the keys, and stops reading the other side', async () => {
    let otherStopped = false;
    async function* other(): AsyncGenerator<RowText[]> {
      try {
        for (let i = 0; ; i++) yield await Promise.resolve([row(`k${String(i).padStart(9, '0')}`)]);
      } finally {
        otherStopped = true;
      }
    }
    await expect(diffStreams(rows('b', 'a'), other(), undefined, 'public.t')).rejects.toMatchObject({
      name: 'StepFailed',
      message: 'the copy\'s public.t sent the key ["a"] after ["b"]: its rows are not in the byte order of their keys',
    });
    expect(otherStopped).toBe(true);
    await expect(diffStreams(rows('a'), rows('a', 'a'), undefined, 'public.t')).rejects.toThrow(
      'the live public.t sent the key ["a"] after ["a"]',
    );
    // Within one batch as across batches.
    await expect(diffStreams(batch('a', 'c', 'b'), batch('a', 'b', 'c'), undefined, 'public.t')).rejects.toThrow(
      'the copy\'s public.t sent the key ["b"] after ["c"]',
    );
    const d = await diffStreams(batch('a', 'b', 'd'), rows('b', 'c', 'd', 'e'), undefined, 'public.t');
    expect(d.inserts.map((r) => r.key)).toEqual([['a']]);
    expect(d).toMatchObject({ keptNew: 2, unchanged: 2 });
  });

  it("keeps apart the live-only rows the incident's transaction wrote: a key it changed, not a later write", async () => {
    // The incident (xid 728) moved a and b to a2 and b2: the copy's a and b go back, a2 and b2 are its own rows.
    const live = async function* (): AsyncGenerator<RowText[]> {
      yield await Promise.resolve([
        { ...row('a2'), xmin: '728' },
        { ...row('b2'), xmin: '728' },
        { ...row('c'), xmin: '731' },
      ]);
    };
    const d = await diffStreams(batch('a', 'b'), live(), '728', 'public.t');
    expect(d.inserts.map((r) => r.key)).toEqual([['a'], ['b']]);
    expect(d.byIncident.map((r) => r.key)).toEqual([['a2'], ['b2']]);
    expect(d.keptNew).toBe(1);
    const shape = { schema: 'public', table: 't', columns: ['id'], key: ['id'] } as unknown as TableShape;
    expect(describeDiff({ table: 'public.t', shape, diff: d })).toContain(
      '2 written by the incident itself, not in the copy (left alone, as the patch deletes nothing: a row whose key the incident changed stays beside the one put back under its old key; remove them by hand once checked): ["a2"], ["b2"]; 1 written since (left alone)',
    );
    // Without the incident's transaction, nothing tells them from later writes.
    expect(await diffStreams(batch('a', 'b'), live(), undefined, 'public.t')).toMatchObject({ keptNew: 3, byIncident: [] });
  });
});

describe('a SQL_ASCII database, whose bytes the server hands on unchecked', () => {
  const side = (db: string): MergeSide => ({ query: (_db, sql) => server.read(db, sql), lines: (_db, sql) => server.readLines(db, sql) });

  /** Each row's key and value as the hex of their bytes, as they are stored. */
  const bytesOf = async (db: string, table: string) =>
    (
      await server.query(
        db,
        `select pg_catalog.string_agg(pg_catalog.encode(pg_catalog.convert_to(k::pg_catalog.text, 'SQL_ASCII'), 'hex') operator(pg_catalog.||) ' ' operator(pg_catalog.||) pg_catalog.encode(pg_catalog.convert_to(v, 'SQL_ASCII'), 'hex'), ', ' order by pg_catalog.convert_to(k::pg_catalog.text, 'SQL_ASCII')) from public.${table}`,
      )
    )[0]![0];

  it('is merged byte for byte, whatever encoding its bytes are in, through the patch as merge-back applies it', async () => {
    // Read as UTF-8, Latin-1's é and è would both be U+FFFD: the change would be missed, and a patch would write other bytes.
    const tables = ['public.utf8', 'public.latin', 'public.latin_keys', 'public.odd$check$name'];
    const diffs = await diffTables(side('ascii'), cellSide('asciilive'), { database: 'ascii', tables });
    const [utf8, latin, latinKeys, odd] = diffs.tables.map((t) => t.diff);
    // Each value as the escapes of its bytes: é in UTF-8 is \303\251, in Latin-1 \351.
    expect(utf8!.inserts.map((r) => r.values)).toEqual([['2', String.raw`caf\303\251`]]);
    expect(latin!.review.map((c) => [c.copy.values, c.live.values])).toEqual([
      [
        ['1', String.raw`caf\351`],
        ['1', String.raw`caf\350`],
      ],
    ]);
    // Keys of any bytes, in the order of their escapes on both sides; a backslash typed in a key is not an escape.
    expect(keys(latinKeys!.inserts)).toEqual([[String.raw`back\\slash \\351`], [String.raw`caf\351`]]);
    expect(latinKeys!.review.map((c) => c.copy.key)).toEqual([[String.raw`\351t\351`]]);
    expect(latinKeys).toMatchObject({ unchanged: 1, keptNew: 0 });
    expect(odd).toMatchObject({ unchanged: 1, inserts: [], review: [] });

    const before = await bytesOf('ascii', 'latin_keys');
    const patch = choosePatch(diffs, 'all', server.superuser, ['a SQL_ASCII merge']);
    expect(patch).toMatchObject({ inserts: 3, updates: 2 });
    const applied = await applyPatch(cell('asciilive'), 'cf-leader', login(), 'ascii', patch.sql);
    expect(applied.stderr).toBe('');
    expect(applied.exitCode).toBe(0);
    // Every byte as the copy holds it: Latin-1's é (e9) back in place of è (e8), UTF-8's é (c3a9) put back, a backslash a backslash.
    expect(await bytesOf('asciilive', 'latin_keys')).toBe(before);
    // Each byte one Latin-1 character: the key typed with backslashes, café and été in Latin-1, and plain ASCII.
    const hex = (text: string) => Buffer.from(text, 'latin1').toString('hex');
    expect(before).toBe(
      [
        [String.raw`back\slash \351`, 'kept as typed'],
        ['caf\xe9', "it's \\ caf\xe9"],
        ['ete', 'plain'],
        ['\xe9t\xe9', 'summer'],
      ]
        .map(([k, v]) => `${hex(k!)} ${hex(v!)}`)
        .join(', '),
    );
    expect(
      await server.query('asciilive', "select pg_catalog.encode(pg_catalog.convert_to(v, 'SQL_ASCII'), 'hex') from public.latin"),
    ).toEqual([['636166e9']]);
    expect(
      await server.query(
        'asciilive',
        "select pg_catalog.encode(pg_catalog.convert_to(v, 'SQL_ASCII'), 'hex') from public.utf8 where k = 2",
      ),
    ).toEqual([['636166c3a9']]);
    // Nothing is left to merge; the same patch a second time refuses itself, changing nothing.
    const again = await diffTables(side('ascii'), cellSide('asciilive'), { database: 'ascii', tables });
    expect(again.tables.map((t) => [t.diff.inserts.length, t.diff.review.length])).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    const twice = await applyPatch(cell('asciilive'), 'cf-leader', login(), 'ascii', patch.sql);
    expect(twice.exitCode).not.toBe(0);
    expect(twice.stderr).toContain('dingo-recover merge refused');
  }, 60_000);

  it('writes back only values in the escape form it asked for: a backslash that could end an E literal is refused', () => {
    const shape = { schema: 'public', table: 'latin', encoding: 'SQL_ASCII' };
    expect(valueLiteral(shape, String.raw`caf\351 it's \\ é`)).toBe(String.raw`E'caf\351 it''s \\ é'`);
    expect(valueLiteral(shape, null)).toBe('NULL');
    // Sent by a server whose encode() is not PostgreSQL's: each would change the value, the first would end the literal early.
    for (const hostile of [String.raw`\'); DROP TABLE public.latin; --`, String.raw`caf\n`, String.raw`\400`, String.raw`\35`, '\\']) {
      expect(() => valueLiteral(shape, hostile), hostile).toThrow(
        'a value of "public"."latin" read from its SQL_ASCII database is not the escapes of its bytes that was asked for',
      );
    }
    // Any other encoding's value is a standard literal, where a backslash is itself.
    expect(valueLiteral({ ...shape, encoding: 'UTF8' }, String.raw`\'); --`)).toBe(String.raw`'\''); --'`);
  });

  it("is refused, naming the table, where a column's name is not UTF-8", async () => {
    const said = 'has a column whose name is not UTF-8 (its database is SQL_ASCII): the merge names columns as UTF-8 text';
    const merged = diffTables(side('asciilive'), side('asciilive'), { database: 'asciilive', tables: ['public.latin_name'] });
    await expect(merged).rejects.toThrow(`public.latin_name in the copy ${said}`);
    // The live leader's name, read through the cell's psql, the same.
    const live = readShape(cellSide('asciilive').query, 'asciilive', 'public.latin_name', 'the live database');
    await expect(live).rejects.toThrow(`public.latin_name in the live database ${said}`);
  }, 60_000);

  it('is refused where one side is SQL_ASCII and the other is not: its bytes could not be compared with converted text', async () => {
    const merged = diffTables(side('ascii'), live(), { database: 'ascii', tables: ['public.utf8'] });
    await expect(merged).rejects.toThrow(
      "public.utf8's database is SQL_ASCII in the copy and UTF8 in the live instance: SQL_ASCII's bytes are never converted",
    );
  }, 60_000);
});

describe("a live database whose sessions cannot run PL/pgSQL, the language of the patch's guard", () => {
  const side = (db: string): MergeSide => ({ query: (_db, sql) => server.read(db, sql), lines: (_db, sql) => server.readLines(db, sql) });

  it('is refused in our words before anything is compared, naming the role as a GRANT must write it', async () => {
    for (const db of ['asciinopl', 'asciinolang']) {
      const merged = diffTables(side('ascii'), side(db), { database: db, tables: ['public.utf8'] });
      await expect(merged, db).rejects.toThrow(
        new RegExp(`^the live database ${db}'s sessions as ${READER_ROLE} cannot run PL/pgSQL .*still as the plan saw them$`),
      );
      await expect(merged, db).rejects.toMatchObject({
        hint: expect.stringMatching(
          new RegExp(`^nothing was compared or written; .*GRANT USAGE ON LANGUAGE plpgsql TO ${READER_ROLE} in it`),
        ),
      });
      // A copy without the language is read as any other: the patch never runs there.
      const fromIt = await diffTables(side(db), side('ascii'), { database: 'ascii', tables: ['public.utf8'] });
      expect(fromIt.tables[0]!.diff.inserts).toEqual([]);
    }
    // The live leader read through the cell's psql, logged in as the role apps bind with.
    const quoted = diffTables(side('ascii'), cellSide('asciinopl', 'Shop Apps'), { database: 'asciinopl', tables: ['public.utf8'] });
    await expect(quoted).rejects.toThrow(/sessions as "Shop Apps" cannot run PL\/pgSQL/);
    await expect(quoted).rejects.toMatchObject({
      hint: expect.stringContaining('GRANT USAGE ON LANGUAGE plpgsql TO "Shop Apps" in it'),
    });
  }, 60_000);
});
