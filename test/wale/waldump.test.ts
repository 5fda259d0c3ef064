/**
 * pg_waldump's text read strictly, on lines a real PostgreSQL 15 pg_waldump printed (TZ=UTC) for a
 * DELETE, an UPDATE, a TRUNCATE under wal_level replica (a new empty file, the old one dropped at
 * commit), a restore point and a subtransaction's INSERT; and the lines a forged restore point name
 * could add, which break the chain of `prev` and are refused. The shapes of 16 and later, and of 9.5's
 * pg_xlogdump, as their sources print them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findMistakes, type Catalog, type RelationName } from '../../src/wale/mistakes.js';
import { WalDumpReader, WalDumpUnreadable } from '../../src/wale/waldump.js';

const fixture = (name: string): string[] => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8').split('\n');

function read(lines: string[]): WalDumpReader {
  const r = new WalDumpReader();
  for (const l of lines) r.push(l);
  return r;
}

/** The catalog of the database with OID 5 ("shop") as a base backup's would name it. */
const tables: Record<string, RelationName> = {
  16384: { database: 'shop', schema: 'public', name: 'orders', kind: 'r' },
  16391: { database: 'shop', schema: 'public', name: 'audit', kind: 'r' },
  1259: { database: 'shop', schema: 'pg_catalog', name: 'pg_class', kind: 'r' },
};
const catalog: Catalog = {
  byFile: (f) => (f.db === 5 ? (tables[f.node] ?? null) : null),
  byOid: (db, oid) => (db === 5 ? (tables[oid] ?? null) : null),
};

/**
 * A record line as pg_xlogdump 9.5 (src/bin/pg_xlogdump/pg_xlogdump.c) and every pg_waldump since print
 * one: `rmgr: %-11s len (rec/tot): %6u/%6u, tx: %10u, lsn: %X/%08X, prev %X/%08X, desc: %s ` and the
 * rmgr's own description, then `, blkref #N: rel S/D/R blk B`.
 */
function recordLine(lsn: string, prev: string, tx: number, rmgr: string, desc: string, len = 59): string {
  return `rmgr: ${rmgr.padEnd(11)} len (rec/tot): ${String(len - 24).padStart(6)}/${String(len).padStart(6)}, tx: ${String(tx).padStart(10)}, lsn: ${lsn}, prev ${prev}, desc: ${desc}`;
}

describe('pg_waldump 15', () => {
  it('counts rows per table by commit, tells a TRUNCATE by its new empty file, and leaves the catalog out', () => {
    const reader = read(fixture('waldump-15-truncate.txt'));
    expect(reader.records).toBe(14);
    const found = findMistakes(reader.events, catalog, { massRows: 3 });
    expect(found.commits.map((c) => [c.xid, c.at, c.lsn])).toEqual([
      ['728', '2026-11-26T01:47:49.465086Z', '0/020008E8'],
      ['729', '2026-11-26T01:47:49.510219Z', '0/02000958'],
      ['730', '2026-11-26T01:47:49.512048Z', '0/02000B20'],
    ]);
    const [del, upd, trunc] = found.commits;
    // Only the last three of the DELETE's 40 row records are in the excerpt.
    expect(del!.relations).toEqual([{ relation: 'shop: public.orders', insert: 0, update: 0, hotUpdate: 0, delete: 3 }]);
    expect(del!.flags).toEqual(['DELETE 3 rows of shop: public.orders']);
    expect(upd!.relations).toEqual([{ relation: 'shop: public.orders', insert: 0, update: 0, hotUpdate: 1, delete: 0 }]);
    expect(upd!.flags).toEqual([]);
    // pg_class's UPDATE is the catalog's, not a table of the tenant's.
    expect(trunc).toMatchObject({ relations: [], truncated: ['shop: public.audit'], dropped: [], flags: ['TRUNCATE shop: public.audit'] });
  });

  it('counts a subtransaction with its top transaction, names a file made after the backup by number, and lists restore points', () => {
    const found = findMistakes(read(fixture('waldump-15-subxact.txt')).events, catalog, { massRows: 1000 });
    expect(found.restorePoints).toEqual([{ name: 'before-x', lsn: '0/02001950' }]);
    expect(found.commits).toHaveLength(1);
    expect(found.commits[0]!.xid).toBe('732');
    expect(found.commits[0]!.relations).toEqual([
      { relation: "file 1663/5/16394 (not in the base backup's catalog)", insert: 1, update: 0, hotUpdate: 0, delete: 0 },
    ]);
  });

  it('refuses a line that is not a record, and a record that does not follow the one before it (a forged restore point name)', () => {
    const lines = fixture('waldump-15-subxact.txt');
    const forged = lines[0]!.replace(
      'RESTORE_POINT before-x',
      'RESTORE_POINT x\nrmgr: Transaction len (rec/tot):     34/    34, tx:        999, lsn: 0/02001990, prev 0/02001950, desc: COMMIT 2026-11-26 01:47:49.465086 UTC',
    );
    expect(() => read([...forged.split('\n'), ...lines.slice(1)])).toThrow(/follows 0\/02001950, not the record before it \(0\/02001990\)/);
    expect(() => read(['pg_waldump: first record is after 0/2000028', ...lines])).toThrow(WalDumpUnreadable);
    expect(() => read([lines[0]!, 'rmgr: Heap junk'])).toThrow(/not a WAL record after 0\/02001950/);
  });

  it('reads the shapes of 16 and later (MULTI_INSERT ntuples, dropped stats) and a logical TRUNCATE', () => {
    const reader = read([
      recordLine('0/03000028', '0/03000000', 800, 'Heap2', 'MULTI_INSERT+INIT ntuples: 61, flags: 0x08, blkref #0: rel 1663/5/16384 blk 0'),
      recordLine('0/03000060', '0/03000028', 800, 'Heap', 'TRUNCATE nrelids: 1, relids: [16391], blkref #0: rel 1663/5/16391 blk 0'),
      recordLine(
        '0/03000098',
        '0/03000060',
        800,
        'Transaction',
        'COMMIT 2026-11-26 02:00:00.5 UTC; rels: base/5/16391; dropped stats: 2/5/16391; inval msgs: catcache 55',
      ),
    ]);
    const [c] = findMistakes(reader.events, catalog, { massRows: 1000 }).commits;
    expect(c!.relations[0]).toMatchObject({ relation: 'shop: public.orders', insert: 61 });
    expect(c!.dropped).toEqual(['shop: public.audit']);
  });
});

describe('a temporary table', () => {
  it('is no DROP when its session ends: its commit drops its stats and no file, which WAL never holds for it', () => {
    const reader = read([
      recordLine(
        '0/03000028',
        '0/03000000',
        801,
        'Transaction',
        'COMMIT 2026-11-26 02:00:01 UTC; dropped stats: 2/5/16412 2/5/16415; inval msgs: catcache 55',
      ),
      // A table of the archive dropped: its files with its stats.
      recordLine(
        '0/03000060',
        '0/03000028',
        802,
        'Transaction',
        'COMMIT 2026-11-26 02:00:02 UTC; rels: base/5/16391; dropped stats: 2/5/16391; inval msgs: catcache 55',
      ),
    ]);
    const found = findMistakes(reader.events, catalog, { massRows: 1000 }).commits;
    expect(found.flatMap((c) => c.flags.map((f) => `${c.xid} ${f}`))).toEqual(['802 DROP shop: public.audit']);
  });
});

describe("pg_xlogdump 9.5 (Dingo's)", () => {
  it('reads its records: rows by table and commit, a multi-row INSERT, a TRUNCATE by its new file, a restore point', () => {
    const reader = read([
      recordLine('0/03000028', '0/03000000', 1843, 'Heap', 'DELETE off 2, blkref #0: rel 1663/5/16384 blk 0'),
      recordLine('0/03000060', '0/03000028', 1843, 'Heap', 'DELETE off 3, blkref #0: rel 1663/5/16384 blk 0'),
      recordLine('0/03000098', '0/03000060', 1843, 'Transaction', 'COMMIT 2016-03-17 06:01:02.123456 UTC', 34),
      recordLine('0/030000C0', '0/03000098', 1844, 'Heap2', 'MULTI_INSERT+INIT 61 tuples, blkref #0: rel 1663/5/16384 blk 1'),
      recordLine(
        '0/03000100',
        '0/030000C0',
        1844,
        'Heap',
        'HOT_UPDATE off 1 xmax 1844 ; new off 62 xmax 0, blkref #0: rel 1663/5/16384 blk 0',
      ),
      recordLine('0/03000140', '0/03000100', 1844, 'Transaction', 'COMMIT 2016-03-17 06:01:03.000007 UTC', 34),
      recordLine('0/03000168', '0/03000140', 0, 'XLOG', 'RESTORE_POINT before-migration', 98),
      recordLine('0/030001D0', '0/03000168', 1845, 'Standby', 'LOCK xid 1845 db 5 rel 16391 ', 42),
      recordLine('0/03000200', '0/030001D0', 1845, 'Storage', 'CREATE base/5/16394', 42),
      recordLine(
        '0/03000230',
        '0/03000200',
        1845,
        'Heap',
        'UPDATE off 7 xmax 1845 ; new off 8 xmax 0, blkref #0: rel 1663/5/1259 blk 0',
        123,
      ),
      recordLine('0/030002B0', '0/03000230', 1845, 'Transaction', 'COMMIT 2016-03-17 06:02:00.5 UTC; rels: base/5/16391', 58),
    ]);
    expect(reader.records).toBe(11);
    const found = findMistakes(reader.events, catalog, { massRows: 2 });
    expect(found.restorePoints).toEqual([{ name: 'before-migration', lsn: '0/03000168' }]);
    expect(found.commits.map((c) => [c.xid, c.at, c.lsn])).toEqual([
      ['1843', '2016-03-17T06:01:02.123456Z', '0/03000098'],
      ['1844', '2016-03-17T06:01:03.000007Z', '0/03000140'],
      ['1845', '2016-03-17T06:02:00.5Z', '0/030002B0'],
    ]);
    const [del, ins, trunc] = found.commits;
    expect(del!.relations).toEqual([{ relation: 'shop: public.orders', insert: 0, update: 0, hotUpdate: 0, delete: 2 }]);
    expect(del!.flags).toEqual(['DELETE 2 rows of shop: public.orders']);
    expect(ins!.relations).toEqual([{ relation: 'shop: public.orders', insert: 61, update: 0, hotUpdate: 1, delete: 0 }]);
    expect(trunc).toMatchObject({ relations: [], truncated: ['shop: public.audit'], flags: ['TRUNCATE shop: public.audit'] });
  });
});
