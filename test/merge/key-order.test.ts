/**
 * The merge join's order: both sides are read in the byte order of the key's text, whatever the
 * collation each server sorts its key column by. On real PostgreSQL 15 the copy's key column sorts by
 * English ICU rules, the live one's by Swedish ones (ä after z): neither is the bytes' order. A stream
 * out of order is refused rather than compared. A SQL_ASCII database holding text that is not UTF-8
 * is refused on either side, the live one read through the cell's psql as merge-back reads it.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CellDocker } from '../../src/adapters/docker.js';
import { liveLines, liveQuery } from '../../src/adapters/pg-merge.js';
import { Redactor } from '../../src/core/redact.js';
import type { CommandRunner } from '../../src/core/seams.js';
import { diffStreams } from '../../src/merge/diff.js';
import { copyLines, copyValue } from '../../src/merge/json-rows.js';
import { diffTables, type MergeSide } from '../../src/merge/plan.js';
import { byteOrder, type RowText } from '../../src/merge/table-rows.js';
import { READER_ROLE } from '../../src/systems/pg-reader.js';
import { run } from '../../src/systems/processes.js';
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

/**
 * A locale whose messages PostgreSQL has translated (Debian's postgresql-15 ships German ones): a
 * server speaking it says "ungültige Byte-Sequenz" where an English one says "invalid byte
 * sequence". .ci/run adds it with localedef; where the server refuses it (this machine lacks it), its
 * test skips, saying so, and on CI it fails.
 */
const GERMAN = 'de_DE.utf8';
let noGerman: string | undefined;

/** The copy is database shop; the live side is database live of the same server. */
const copy = (): MergeSide => ({ query: server.read, lines: server.readLines });
const live = (): MergeSide => ({
  query: (_db, sql) => server.read('live', sql),
  lines: (_db, sql) => server.readLines('live', sql),
});

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'merge-order-'));
  chmodSync(work, 0o755);
  const data = join(work, 'data');
  const ascii = (name: string) => `CREATE DATABASE ${name} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;`;
  makeCluster(
    data,
    'shop',
    COPY,
    'stop',
    `CREATE DATABASE live; ${ascii('ascii')} ${ascii('asciilive')} ${ascii('asciide')} ${ascii('asciinopl')} ${ascii('asciinolang')}`,
  );
  server = await startScratchServer({ dataDir: data, major: '15', workDir: work });
  // The scratch server's sessions search pg_catalog only.
  await server.query('live', `SET search_path = public;\n${LIVE}`);
  // SQL_ASCII keeps whatever bytes it is given: the UTF-8 of é in one table, Latin-1's in the other (E'\\xe9'), which the live side has changed.
  await server.query(
    'ascii',
    String.raw`SET search_path = public;
    CREATE TABLE utf8 (k int PRIMARY KEY, v text); INSERT INTO utf8 VALUES (1, 'plain'), (2, 'café');
    CREATE TABLE latin (k int PRIMARY KEY, v text); INSERT INTO latin VALUES (1, E'caf\xe9');
    CREATE TABLE "odd$check$name" (k int PRIMARY KEY, v text); INSERT INTO "odd$check$name" VALUES (1, E'na\xefve');
    CREATE TABLE became_latin (k int PRIMARY KEY, v text); INSERT INTO became_latin VALUES (1, 'café');`,
  );
  await server.query(
    'asciilive',
    String.raw`SET search_path = public;
    CREATE TABLE utf8 (k int PRIMARY KEY, v text); INSERT INTO utf8 VALUES (1, 'plain');
    CREATE TABLE latin (k int PRIMARY KEY, v text); INSERT INTO latin VALUES (1, E'caf\xe8');
    CREATE TABLE "odd$check$name" (k int PRIMARY KEY, v text); INSERT INTO "odd$check$name" VALUES (1, E'na\xefve');
    CREATE TABLE became_latin (k int PRIMARY KEY, v text); INSERT INTO became_latin VALUES (1, E'caf\xe9');`,
  );
  // The same Latin-1 text, in a database whose sessions speak German.
  await server.query(
    'asciide',
    String.raw`SET search_path = public; CREATE TABLE latin (k int PRIMARY KEY, v text); INSERT INTO latin VALUES (1, E'caf\xe9');`,
  );
  // The same UTF-8 text where the sessions cannot run PL/pgSQL: revoked from PUBLIC in one, dropped in the other.
  const utf8 = String.raw`SET search_path = public; CREATE TABLE utf8 (k int PRIMARY KEY, v text); INSERT INTO utf8 VALUES (1, 'café');`;
  await server.query('asciinopl', `REVOKE USAGE ON LANGUAGE plpgsql FROM PUBLIC; ${utf8}`);
  await server.query('postgres', 'CREATE ROLE "Shop Apps" NOLOGIN');
  await server.query('asciinolang', `DROP EXTENSION plpgsql; ${utf8}`);
  noGerman = await server.query('postgres', `ALTER DATABASE asciide SET lc_messages = '${GERMAN}'`).then(
    () => undefined,
    (err: unknown) => `the server cannot speak ${GERMAN} (${String(err)}): add it with localedef -i de_DE -f UTF-8 de_DE.UTF-8`,
  );
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
});

describe('a SQL_ASCII database, whose bytes the server hands on unchecked', () => {
  const side = (db: string): MergeSide => ({ query: (_db, sql) => server.read(db, sql), lines: (_db, sql) => server.readLines(db, sql) });

  /**
   * Database DB as merge-back reads the live leader: psql in its container, through the cell's
   * seam (liveQuery, liveLines: a script on standard input, READ ONLY, as the role apps bind with);
   * here `docker exec … psql` runs this machine's psql against the scratch server.
   */
  const cellSide = (db: string, role = READER_ROLE): MergeSide => {
    const runner: CommandRunner = {
      where: 'cell 10.0.0.1',
      async run(spec) {
        const psql = spec.argv.slice(spec.argv.indexOf('psql') + 1);
        if (typeof spec.stdin !== 'string') throw new Error('liveQuery writes its script to standard input as text');
        const r = await run([join(server.clientBin, 'psql'), ...psql, ...server.conn.args, '-U', server.conn.user, '-d', db], {
          stdin: spec.stdin,
        });
        return { exitCode: r.code, stdout: r.stdout, stderr: r.stderr, durationMs: 1 };
      },
    };
    const docker = new CellDocker(runner, { redactor: new Redactor(), sudo: false });
    const login = () => [{ user: 'postgres', socket: true }];
    return { query: liveQuery(docker, 'cf-leader', login(), role), lines: liveLines(docker, 'cf-leader', login(), role) };
  };

  it('is merged where its text is UTF-8, each character as it was', async () => {
    const diffs = await diffTables(side('ascii'), side('asciilive'), { database: 'ascii', tables: ['public.utf8'] });
    expect(diffs.tables[0]!.diff.inserts.map((r) => r.values)).toEqual([['2', 'café']]);
  }, 60_000);

  it('is refused, before anything is compared, where a table holds text that is not UTF-8', async () => {
    // Read as UTF-8, Latin-1's é and è would both be U+FFFD: the change would be missed, and a patch would write other bytes.
    const merged = diffTables(side('ascii'), side('asciilive'), { database: 'ascii', tables: ['public.utf8', 'public.latin'] });
    await expect(merged).rejects.toThrow(
      /the copy's database ascii is SQL_ASCII, and public\.latin holds text that is not UTF-8 \(.*invalid byte sequence/,
    );
    await expect(merged).rejects.toMatchObject({ hint: expect.stringContaining('nothing was compared or written') });
  }, 60_000);

  it("is refused where the live leader's table holds text that is not UTF-8, read through the cell's psql", async () => {
    const utf8 = await diffTables(side('ascii'), cellSide('asciilive'), { database: 'ascii', tables: ['public.utf8'] });
    expect(utf8.tables[0]!.diff.inserts.map((r) => r.values)).toEqual([['2', 'café']]);
    const merged = diffTables(side('ascii'), cellSide('asciilive'), { database: 'ascii', tables: ['public.became_latin'] });
    await expect(merged).rejects.toThrow(
      /the live database's database ascii is SQL_ASCII, and public\.became_latin holds text that is not UTF-8 \(invalid byte sequence for encoding "UTF8": 0xe9/,
    );
  }, 60_000);

  it("is refused the same where the table's name holds the check's own quoting", async () => {
    // The check runs in a dollar-quoted block: a name holding its tag must not end the block early.
    const merged = diffTables(side('ascii'), side('asciilive'), { database: 'ascii', tables: ['public.odd$check$name'] });
    await expect(merged).rejects.toThrow(
      /public\."?odd\$check\$name"? holds text that is not UTF-8 \(invalid byte sequence for encoding "UTF8": 0xef/,
    );
  }, 60_000);

  it('is refused in our words where its sessions cannot run PL/pgSQL, the language of the check', async () => {
    for (const db of ['asciinopl', 'asciinolang']) {
      const merged = diffTables(side(db), side(db), { database: db, tables: ['public.utf8'] });
      await expect(merged, db).rejects.toThrow(
        new RegExp(
          `the copy's database ${db} is SQL_ASCII, and its sessions as ${READER_ROLE} cannot run PL/pgSQL .*merges no text unchecked`,
        ),
      );
      await expect(merged, db).rejects.toMatchObject({
        hint: expect.stringMatching(
          new RegExp(`^nothing was compared or written; .*GRANT USAGE ON LANGUAGE plpgsql TO ${READER_ROLE} in it`),
        ),
      });
    }
    // The live leader read through the cell's psql, as the role apps bind with (SET LOCAL ROLE after the superuser's login).
    const live = diffTables(side('ascii'), cellSide('asciinopl'), { database: 'asciinopl', tables: ['public.utf8'] });
    await expect(live).rejects.toThrow(
      new RegExp(`the live database's database asciinopl is SQL_ASCII, and its sessions as ${READER_ROLE} cannot run PL/pgSQL`),
    );
    // A role whose name SQL must quote is named as a GRANT must write it.
    const quoted = diffTables(side('ascii'), cellSide('asciinopl', 'Shop Apps'), { database: 'asciinopl', tables: ['public.utf8'] });
    await expect(quoted).rejects.toThrow(/its sessions as "Shop Apps" cannot run PL\/pgSQL/);
    await expect(quoted).rejects.toMatchObject({
      hint: expect.stringContaining('GRANT USAGE ON LANGUAGE plpgsql TO "Shop Apps" in it'),
    });
  }, 60_000);

  it('is refused the same by a server that speaks German, the failure told by its SQLSTATE, not its words', async (ctx) => {
    if (noGerman) {
      if (process.env.CI) throw new Error(`the merge's check of a server speaking German must run on CI, but ${noGerman}`);
      console.warn(`SKIPPED: the merge's check of a server speaking German, because ${noGerman}`);
      ctx.skip();
    }
    const speaks = await side('asciide')
      .query('asciide', 'select 1/0')
      .catch((err: unknown) => String(err));
    expect(speaks, 'the database speaks German').toMatch(/Division durch Null/);
    const merged = diffTables(side('asciide'), side('asciide'), { database: 'asciide', tables: ['public.latin'] });
    await expect(merged).rejects.toThrow(/public\.latin holds text that is not UTF-8 \(ung.ltige Byte-Sequenz .*0xe9/);
    await expect(merged).rejects.toMatchObject({ hint: expect.stringContaining('nothing was compared or written') });
  }, 60_000);
});
