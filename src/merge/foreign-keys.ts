/** The foreign keys among the tables a patch writes, from the live database's catalog (pg_constraint, contype 'f'). */
import type { Query } from '../systems/pg-query.js';
import { jsonRows } from './json-rows.js';

/** A foreign key between two named tables: `child` references `parent`. */
export interface ForeignKey {
  child: string;
  parent: string;
  name: string;
  deferrable: boolean;
}

/** The foreign keys among `tables` (schema.table) in the database `db`. */
export async function readForeignKeys(read: Query, db: string, tables: readonly string[]): Promise<ForeignKey[]> {
  const rows = await jsonRows(
    read,
    db,
    `select pg_catalog.json_build_array(cn.nspname, c.relname, pn.nspname, p.relname, k.conname, k.condeferrable)::pg_catalog.text
       from pg_catalog.pg_constraint k
       join pg_catalog.pg_class c on c.oid operator(pg_catalog.=) k.conrelid
       join pg_catalog.pg_namespace cn on cn.oid operator(pg_catalog.=) c.relnamespace
       join pg_catalog.pg_class p on p.oid operator(pg_catalog.=) k.confrelid
       join pg_catalog.pg_namespace pn on pn.oid operator(pg_catalog.=) p.relnamespace
      where k.contype operator(pg_catalog.=) 'f'
      order by k.conname`,
  );
  const named = new Set(tables);
  return (rows as [string, string, string, string, string, boolean][])
    .map(([cs, ct, ps, pt, name, deferrable]) => ({ child: `${cs}.${ct}`, parent: `${ps}.${pt}`, name, deferrable }))
    .filter((k) => named.has(k.child) && named.has(k.parent));
}
