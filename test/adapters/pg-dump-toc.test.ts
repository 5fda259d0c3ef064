/**
 * A pg_dump -Fc archive's table of contents read without pg_restore: a real dump of PostgreSQL 15's
 * pg_dump read as its own pg_restore -l lists it, the versions 9.x's and 17's pg_dump write, and the
 * refusals of what is no such archive. The load's plan (which entries a superuser makes) from it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpTocOf, readDumpToc } from '../../src/adapters/pg-dump-toc.js';
import { majorOf } from '../../src/core/pg-version.js';
import { loadPlan } from '../../src/adapters/pg-load-plan.js';
import { dumpArchive, type ArchiveEntry } from '../support/dump-archive.js';
import { makeDump, PG_BIN } from '../support/pg-volumes.js';

let work: string;
let file: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'dump-toc-'));
  chmodSync(work, 0o755);
  file = (
    await makeDump(
      work,
      'shop',
      `CREATE SCHEMA "Ext Room"; CREATE EXTENSION "uuid-ossp" WITH SCHEMA "Ext Room"; CREATE EXTENSION hstore;
     CREATE TABLE orders (id int PRIMARY KEY, note text); INSERT INTO orders VALUES (1, 'one');
     COMMENT ON TABLE orders IS E'first line\\n9; 0 0 EXTENSION - forged';
     CREATE TABLE spatial_ref_sys (srid int PRIMARY KEY); ALTER EXTENSION hstore ADD TABLE spatial_ref_sys;`,
    )
  ).file;
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('readDumpToc', () => {
  it("reads a real dump's entries as its own pg_restore -l lists them, a name's newline and all", () => {
    const toc = readDumpToc(file);
    expect(toc.version).toBe('1.14');
    expect(toc.dumpedBy).toMatch(/^15\.\d+/);
    expect(toc.dumpedFrom).toMatch(/^15\.\d+/);
    const listed = execFileSync(join(PG_BIN, 'pg_restore'), ['-l', file])
      .toString()
      .split('\n')
      .filter((l) => /^\d+;/.test(l))
      .map((l) => Number(l.slice(0, l.indexOf(';'))));
    // pg_restore -l leaves out what it never restores without --create (ENCODING, STDSTRINGS, SEARCHPATH, DATABASE).
    const special = new Set(['ENCODING', 'STDSTRINGS', 'SEARCHPATH', 'DATABASE']);
    expect(toc.entries.filter((e) => !special.has(e.desc)).map((e) => e.id)).toEqual(listed);
    const byDesc = (desc: string) => toc.entries.filter((e) => e.desc === desc);
    expect(byDesc('EXTENSION').map((e) => [e.tag, e.defn.trim()])).toEqual([
      ['hstore', 'CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA public;'],
      ['uuid-ossp', 'CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA "Ext Room";'],
    ]);
    expect(byDesc('COMMENT').map((e) => [e.namespace, e.tag])).toEqual([
      ['', 'EXTENSION hstore'],
      ['', 'EXTENSION "uuid-ossp"'],
      ['public', 'TABLE orders'],
    ]);
    expect(byDesc('TABLE DATA').map((e) => `${e.namespace}.${e.tag}`)).toEqual(['public.orders']);
  });

  const entries: ArchiveEntry[] = [
    { id: 1, desc: 'EXTENSION', tag: 'plpgsql', defn: 'CREATE EXTENSION IF NOT EXISTS plpgsql WITH SCHEMA pg_catalog;\n' },
    { id: 2, desc: 'TABLE DATA', tag: 'orders', namespace: 'public' },
  ];

  it.each([12, 13, 16])('reads version 1.%i, as pg_dump of that era writes it', (minor) => {
    const toc = dumpTocOf(dumpArchive(minor, entries), 'the dump');
    expect(toc.version).toBe(`1.${minor}`);
    expect(majorOf(toc.dumpedBy)).toBe(minor >= 16 ? '17' : '9.5');
    expect(toc.entries.map(({ id, desc, tag, namespace }) => ({ id, desc, tag, namespace }))).toEqual([
      { id: 1, desc: 'EXTENSION', tag: 'plpgsql', namespace: '' },
      { id: 2, desc: 'TABLE DATA', tag: 'orders', namespace: 'public' },
    ]);
  });

  it('refuses what is no custom-format pg_dump archive it can read, naming the file and why', () => {
    const whole = dumpArchive(14, entries);
    expect(() => dumpTocOf(whole.subarray(0, whole.length - 20), 'the dump')).toThrow(
      'the dump: the archive ends inside its table of contents (a cut or corrupt dump)',
    );
    expect(() => dumpTocOf(Buffer.from('--\n-- PostgreSQL database dump\n'), 'the dump')).toThrow('the dump is not a pg_dump archive');
    expect(() => dumpTocOf(dumpArchive(14, entries, 3), 'the dump')).toThrow(
      'the dump is a pg_dump archive of format 3, not the custom format',
    );
    expect(() => dumpTocOf(dumpArchive(17, entries), 'the dump')).toThrow('version 1.17, which is not read here (1.10 to 1.16 are)');
    const cut = join(work, 'cut.dump');
    writeFileSync(cut, whole.subarray(0, 40));
    expect(() => readDumpToc(cut)).toThrow(`${cut}: the archive ends inside its table of contents`);
  });
});

it.each([
  ['9.5.25', '9.5'],
  ['9.4.26', '9.4'],
  ['10.23', '10'],
  ['15.14 (Debian 15.14-0+deb12u1)', '15'],
  ['17beta1', '17'],
  ['9', null],
  ['', null],
])('the major of the pg_dump that wrote an archive, %j, is %j', (version, major) => {
  expect(majorOf(version)).toBe(major);
});

describe('loadPlan', () => {
  it("leaves the real dump's extensions, their comments and their schema to the superuser", () => {
    const toc = readDumpToc(file);
    const plan = loadPlan(toc, file);
    expect(plan.extensions).toEqual([
      { name: 'hstore', schema: 'public' },
      { name: 'uuid-ossp', schema: 'Ext Room' },
    ]);
    expect(plan.schemas).toEqual(['Ext Room']);
    // A table of an extension's own (as PostGIS's spatial_ref_sys is) is its script's to make, not the load's.
    expect(plan.tables).toEqual(['public.orders']);
    const left = toc.entries.filter((e) => !plan.restore.includes(e.id)).map((e) => `${e.desc} ${e.tag}`);
    expect(left).toEqual([
      'SCHEMA Ext Room',
      'EXTENSION hstore',
      'COMMENT EXTENSION hstore',
      'EXTENSION uuid-ossp',
      'COMMENT EXTENSION "uuid-ossp"',
    ]);
  });

  it("leaves out 9.x pg_dump's plpgsql and its comment on the public schema, which only their owners may write", () => {
    const toc = dumpTocOf(
      dumpArchive(12, [
        { id: 3, desc: 'SCHEMA', tag: 'public', defn: 'CREATE SCHEMA public;\n' },
        { id: 4, desc: 'COMMENT', tag: 'SCHEMA public', defn: "COMMENT ON SCHEMA public IS 'standard public schema';\n" },
        { id: 1, desc: 'EXTENSION', tag: 'plpgsql', defn: 'CREATE EXTENSION IF NOT EXISTS plpgsql WITH SCHEMA pg_catalog;\n' },
        { id: 5, desc: 'COMMENT', tag: 'EXTENSION plpgsql', defn: "COMMENT ON EXTENSION plpgsql IS 'PL/pgSQL procedural language';\n" },
        { id: 2, desc: 'TABLE DATA', tag: 'orders', namespace: 'public' },
      ]),
      'the dump',
    );
    expect(loadPlan(toc, 'the dump')).toEqual({
      extensions: [{ name: 'plpgsql', schema: 'pg_catalog' }],
      schemas: [],
      restore: [3, 2],
      tables: [],
    });
  });

  it('refuses an extension entry that does not read as pg_dump writes one', () => {
    const toc = dumpTocOf(
      dumpArchive(14, [{ id: 7, desc: 'EXTENSION', tag: 'hstore', defn: 'CREATE EXTENSION hstore; ALTER ROLE appuser SUPERUSER;\n' }]),
      'the dump',
    );
    expect(() => loadPlan(toc, 'the dump')).toThrow('the dump: entry 7 (extension hstore) does not read as pg_dump writes one');
  });
});
