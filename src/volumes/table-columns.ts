/**
 * Which columns of a table COPY may name: only those of built-in types whose output function is the
 * server's own C code (no tenant's function runs), the time columns when the newest value is wanted,
 * else the narrowest such column; the table's owner, whom COPY runs as.
 */
import type { Query } from '../systems/pg-query.js';
import { sqlIdent, sqlLiteral } from '../core/sql-quote.js';
import { TIME_TYPES } from './copy-moments.js';

/** At most this many time columns of a table are read for its newest value. */
const MAX_TIME_COLUMNS = 6;

interface Column {
  name: string;
  /** Its type, or a domain's base type. */
  type: number;
  /** pg_type.typlen: fixed size in bytes, or -1 / -2 for varlena / C string. */
  length: number;
  /**
   * A scalar or enum (or a domain over one) whose output function is the server's own C code, neither
   * an array nor a composite or range, which would call their elements' output functions too.
   */
  builtIn: boolean;
}

/** The table's columns (dropped ones left out) and its owner, as the catalog says. */
export async function shapeOf(query: Query, db: string, schema: string, table: string): Promise<{ owner: string; columns: Column[] }> {
  const rel = `${sqlLiteral(`${sqlIdent(schema)}.${sqlIdent(table)}`)}::pg_catalog.regclass`;
  const rows = await query(
    db,
    `select pg_catalog.json_build_array(pg_catalog.pg_get_userbyid(c.relowner), (
       select coalesce(pg_catalog.json_agg(pg_catalog.json_build_array(a.attname, b.oid::pg_catalog.int8, b.typlen,
         b.typtype in ('b', 'e') and b.typcategory operator(pg_catalog.<>) 'A' and o.oid operator(pg_catalog.<) 16384 and not o.prosecdef
           and o.prolang operator(pg_catalog.=) (select l.oid from pg_catalog.pg_language l where l.lanname operator(pg_catalog.=) 'internal'))
         order by a.attnum), '[]'::pg_catalog.json)
       from pg_catalog.pg_attribute a join pg_catalog.pg_type t on t.oid operator(pg_catalog.=) a.atttypid
       join pg_catalog.pg_type b on b.oid operator(pg_catalog.=) case when t.typtype operator(pg_catalog.=) 'd' then t.typbasetype else t.oid end
       join pg_catalog.pg_proc o on o.oid operator(pg_catalog.=) b.typoutput
       where a.attrelid operator(pg_catalog.=) c.oid and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped))::pg_catalog.text
     from pg_catalog.pg_class c where c.oid operator(pg_catalog.=) ${rel}`,
  );
  const [owner, columns] = JSON.parse(rows[0]?.[0] ?? '["", []]') as [string, [string, number, number, boolean][]];
  return { owner, columns: columns.map(([name, type, length, builtIn]) => ({ name, type, length, builtIn })) };
}

/**
 * Which columns COPY names: the built-in time columns (for the newest value), else the narrowest
 * built-in column (fixed sizes first); none at all for a table of no columns (COPY then writes an
 * empty line per row); null when no column may be named.
 */
export function columnsToRead(columns: Column[], wantNewest: boolean): { read: Column[]; time: number } | null {
  const time = wantNewest ? columns.filter((c) => c.builtIn && TIME_TYPES.has(c.type)).slice(0, MAX_TIME_COLUMNS) : [];
  if (time.length) return { read: time, time: time.length };
  if (!columns.length) return { read: [], time: 0 };
  const size = (c: Column): number => (c.length > 0 ? c.length : 1000);
  const narrowest = columns.filter((c) => c.builtIn).sort((a, b) => size(a) - size(b))[0];
  return narrowest ? { read: [narrowest], time: 0 } : null;
}
