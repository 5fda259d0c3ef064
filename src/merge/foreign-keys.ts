/** The foreign keys that reach the tables a patch writes, from the live database's catalog (pg_constraint, contype 'f'). */
import type { Query } from '../systems/pg-query.js';
import { jsonRows } from './json-rows.js';

/** What deleting a referenced row does to the rows referencing it (pg_constraint.confdeltype). */
type OnDelete = 'no action' | 'restrict' | 'cascade' | 'set null' | 'set default';

const ON_DELETE: Record<string, OnDelete> = { a: 'no action', r: 'restrict', c: 'cascade', n: 'set null', d: 'set default' };

/** A foreign key between two tables (schema.table): `child` references `parent`. */
export interface ForeignKey {
  child: string;
  parent: string;
  name: string;
  deferrable: boolean;
  onDelete: OnDelete;
}

/** The foreign keys of the database `db` that reference one of `tables` (schema.table), from a table named or not. */
export async function readForeignKeys(read: Query, db: string, tables: readonly string[]): Promise<ForeignKey[]> {
  const rows = await jsonRows(
    read,
    db,
    `select pg_catalog.json_build_array(cn.nspname, c.relname, pn.nspname, p.relname, k.conname, k.condeferrable, k.confdeltype)::pg_catalog.text
       from pg_catalog.pg_constraint k
       join pg_catalog.pg_class c on c.oid operator(pg_catalog.=) k.conrelid
       join pg_catalog.pg_namespace cn on cn.oid operator(pg_catalog.=) c.relnamespace
       join pg_catalog.pg_class p on p.oid operator(pg_catalog.=) k.confrelid
       join pg_catalog.pg_namespace pn on pn.oid operator(pg_catalog.=) p.relnamespace
      where k.contype operator(pg_catalog.=) 'f'
      order by k.conname`,
  );
  const named = new Set(tables);
  return (rows as [string, string, string, string, string, boolean, string][])
    .map(([cs, ct, ps, pt, name, deferrable, onDelete]) => ({
      child: `${cs}.${ct}`,
      parent: `${ps}.${pt}`,
      name,
      deferrable,
      onDelete: ON_DELETE[onDelete] ?? 'no action',
    }))
    .filter((k) => named.has(k.parent));
}

/** The keys among `tables` alone: both ends named. */
export const amongTables = (keys: readonly ForeignKey[], tables: readonly string[]): ForeignKey[] =>
  keys.filter((k) => tables.includes(k.child) && tables.includes(k.parent));

/**
 * The keys of tables not named whose rows a delete in a named table changed with it (ON DELETE CASCADE,
 * SET NULL, SET DEFAULT): the rows the incident took from them that way are not put back.
 */
export const changedWithParent = (keys: readonly ForeignKey[], tables: readonly string[]): ForeignKey[] =>
  keys.filter((k) => !tables.includes(k.child) && ['cascade', 'set null', 'set default'].includes(k.onDelete));
