/** What a dump of a database holds (its file and the row count of every table), and counting a database's rows. */
import type { Query } from '../systems/pg-query.js';
import { readTable, type CopyReader } from './table-readout.js';

export interface DumpFacts {
  database: string;
  file: string;
  bytes: number;
  /** Exact row count of every table at dump time, "schema.table" → rows. */
  rowCounts: Record<string, number>;
}

export type { Query } from '../systems/pg-query.js';

const USER_SCHEMA = `n.nspname !~ '^pg_' and n.nspname operator(pg_catalog.<>) 'information_schema'`;

/** The ordinary tables below each partitioned table, "schema.table" → [schema, table][] (foreign partitions left out). */
export async function partitionLeaves(catalog: Query, db: string): Promise<Map<string, [string, string][]>> {
  const rows = await catalog(
    db,
    `with recursive tree(root, rel) as (
       select c.oid, c.oid from pg_catalog.pg_class c where c.relkind operator(pg_catalog.=) 'p'
       union all
       select t.root, i.inhrelid from tree t join pg_catalog.pg_inherits i on i.inhparent operator(pg_catalog.=) t.rel)
     select rn.nspname, r.relname, ln.nspname, l.relname from tree t
       join pg_catalog.pg_class r on r.oid operator(pg_catalog.=) t.root join pg_catalog.pg_namespace rn on rn.oid operator(pg_catalog.=) r.relnamespace
       join pg_catalog.pg_class l on l.oid operator(pg_catalog.=) t.rel join pg_catalog.pg_namespace ln on ln.oid operator(pg_catalog.=) l.relnamespace
      where l.relkind operator(pg_catalog.=) 'r' order by 1, 2, 3, 4`,
  );
  const leaves = new Map<string, [string, string][]>();
  for (const [rs = '', rt = '', ls = '', lt = ''] of rows) {
    const key = `${rs}.${rt}`;
    leaves.set(key, [...(leaves.get(key) ?? []), [ls, lt]]);
  }
  return leaves;
}

/** The foreign tables of a database, "schema.table": their rows live elsewhere, and are never read. */
export async function foreignTables(catalog: Query, db: string): Promise<string[]> {
  const rows = await catalog(
    db,
    `select n.nspname, c.relname from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) c.relnamespace
      where c.relkind operator(pg_catalog.=) 'f' and ${USER_SCHEMA} order by 1, 2`,
  );
  return rows.map(([s = '', t = '']) => `${s}.${t}`);
}

/**
 * The row count of every ordinary and partitioned table of a database, "schema.table" → rows: the
 * tables listed by the catalog, each counted by COPY (table-readout.ts), a partitioned table as the
 * sum of its ordinary partitions (foreign tables are left out). A table COPY cannot read (no column
 * of a built-in type) is left out of the record, so no check compares it.
 */
export async function rowCounts(reader: CopyReader, db: string): Promise<Record<string, number>> {
  const tables = await reader.query(
    db,
    `select n.nspname, c.relname, c.relkind from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) c.relnamespace
      where c.relkind in ('r', 'p') and ${USER_SCHEMA} order by 1, 2`,
  );
  const leaves = await partitionLeaves(reader.query, db);
  const counted = new Map<string, number | null>();
  const count = async (s: string, t: string): Promise<number | null> => {
    const key = `${s}.${t}`;
    if (!counted.has(key)) {
      const r = await readTable(reader, db, s, t, { count: true, newest: false, estimate: -1 });
      counted.set(key, r.counted ? r.rows : null);
    }
    return counted.get(key)!;
  };
  const out: Record<string, number> = {};
  for (const [s = '', t = '', kind = 'r'] of tables) {
    const parts: (number | null)[] = [];
    for (const [ps, pt] of kind === 'p' ? (leaves.get(`${s}.${t}`) ?? []) : [[s, t] as [string, string]]) parts.push(await count(ps, pt));
    if (parts.every((n) => n !== null)) out[`${s}.${t}`] = parts.reduce<number>((a, n) => a + n, 0);
  }
  return out;
}
