/**
 * What a table named for merge is, as the catalog says: its columns (those a row is written with),
 * its primary key, whether an identity column needs OVERRIDING SYSTEM VALUE, and its database's
 * encoding. A name is `schema.table`; a table that is not an ordinary table, or has no primary key,
 * is refused, named.
 */
import { isUtf8 } from 'node:buffer';
import { UsageError } from '../core/errors.js';
import { sqlLiteral } from '../core/sql-quote.js';
import type { Query } from '../systems/pg-query.js';
import { jsonRows } from './json-rows.js';

export interface TableShape {
  schema: string;
  table: string;
  /** The columns a row is written with, in the table's order (generated ones left out). */
  columns: string[];
  /** Each column's type as the catalog prints it, to compare the copy's table with the live one. */
  types: string[];
  /** The primary key's columns, in the key's order. */
  key: string[];
  /**
   * For each key column, the equality its primary key is unique under (the btree operator class of
   * the key's index) and the type a value is cast to for it, both qualified with their schema:
   * `["pg_catalog", "=", "pg_catalog.int4"]`. The patch names a row with them, whatever the
   * search_path of the session. Absent in what a patch's expect file kept before it was recorded.
   */
  keyEquality?: [schema: string, operator: string, type: string][];
  /** A column is GENERATED ALWAYS AS IDENTITY: an insert overrides it. */
  identityAlways: boolean;
  /**
   * The database's encoding (`pg_encoding_to_char`). SQL_ASCII's text is bytes the server never
   * checks nor converts: its values are read and written as their bytes (table-rows.ts). Absent in
   * what a patch's expect file kept before it was recorded: read as any other encoding's.
   */
  encoding?: string;
}

/** "schema.table" → its two parts; an unqualified or otherwise malformed name is refused. */
function parseTableName(name: string): { schema: string; table: string } {
  const m = /^([^."]+)\.([^."]+)$/.exec(name.trim());
  if (!m) {
    throw new UsageError(`"${name}" is not a table to merge: give it as schema.table (e.g. public.orders)`, {
      hint: 'name each table with its schema, without quotes, in inputs.merge of the answers file',
    });
  }
  return { schema: m[1]!, table: m[2]! };
}

/** The table's shape in `db`, read through `read`; refused when absent, not an ordinary table, or without a primary key. */
export async function readShape(read: Query, db: string, name: string, where: string): Promise<TableShape> {
  const { schema, table } = parseTableName(name);
  const rel = `n.nspname operator(pg_catalog.=) ${sqlLiteral(schema)} and c.relname operator(pg_catalog.=) ${sqlLiteral(table)}`;
  const [found] = await jsonRows(
    read,
    db,
    `select pg_catalog.json_build_array(c.relkind, pg_catalog.pg_encoding_to_char(d.encoding))::pg_catalog.text
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) c.relnamespace
       join pg_catalog.pg_database d on d.datname operator(pg_catalog.=) pg_catalog.current_database() where ${rel}`,
  );
  if (!found) {
    throw new UsageError(`${where} has no table ${name} in database ${db}`, {
      hint: 'name tables the copy and the live database both hold (schema.table), in inputs.merge',
    });
  }
  if (found[0] !== 'r') {
    throw new UsageError(`${name} in ${where} is not an ordinary table (relkind ${String(found[0])}): only ordinary tables are merged`, {
      hint: 'a partitioned table is merged by naming its partitions; views and foreign tables hold no rows of their own',
    });
  }
  const encoding = String(found[1]);
  const cols = await jsonRows(
    read,
    db,
    `select pg_catalog.json_build_array(${attname({ encoding })}, pg_catalog.format_type(a.atttypid, a.atttypmod),
        coalesce(pg_catalog.row_to_json(a) operator(pg_catalog.->>) 'attgenerated', ''),
        coalesce(pg_catalog.row_to_json(a) operator(pg_catalog.->>) 'attidentity', ''))::pg_catalog.text
       from pg_catalog.pg_attribute a join pg_catalog.pg_class c on c.oid operator(pg_catalog.=) a.attrelid
       join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) c.relnamespace
      where ${rel} and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped order by a.attnum`,
  );
  // A SQL_ASCII name of other bytes than UTF-8 would name no column written back as UTF-8 text; refused
  // before the key's names are read, which a session whose client_encoding is UTF8 is not sent.
  const asText = cols.map((c) => (asBytes({ encoding }) ? utf8Name(String(c[0])) : String(c[0])));
  const names = asText.filter((n): n is string => n !== null);
  if (names.length < asText.length) {
    throw new UsageError(
      `${name} in ${where} has a column whose name is not UTF-8 (its database is SQL_ASCII): the merge names columns as UTF-8 text`,
      {
        hint: "take that table's rows from the copy by hand, in the copy's own bytes (pg_dump --data-only --table), or leave it out of inputs.merge",
      },
    );
  }
  const keyRows = await jsonRows(read, db, keyColumns(rel));
  const key = keyRows.map((r) => String(r[0]));
  if (!key.length) {
    throw new UsageError(`${name} has no primary key in ${where}: it is refused for merge`, {
      hint: 'without a primary key a row of the copy cannot be matched with its live row; leave the table out of inputs.merge and take its rows from the dumps by hand',
    });
  }
  const written = cols.flatMap((c, i) => (c[2] ? [] : [{ name: names[i]!, type: String(c[1]) }]));
  return {
    schema,
    table,
    columns: written.map((c) => c.name),
    types: written.map((c) => c.type),
    key,
    keyEquality: keyRows.map((r) => keyEqualityOf(name, where, r)),
    identityAlways: cols.some((c) => c[3] === 'a'),
    encoding,
  };
}

/**
 * The primary key's columns in its order, each with the equality operator of its operator class
 * (btree strategy 3) and the type a value is cast to: the class's input type, or the column's own
 * where that is a pseudo-type (anyenum, anyarray). Schema-qualified, so no object of the tenant's
 * in a schema of the search_path stands in for them.
 */
const keyColumns = (rel: string): string => `select pg_catalog.json_build_array(a.attname, opn.nspname, op.oprname,
       pg_catalog.quote_ident(tn.nspname) operator(pg_catalog.||) '.' operator(pg_catalog.||) pg_catalog.quote_ident(t.typname))::pg_catalog.text
     from pg_catalog.pg_index i join pg_catalog.pg_class c on c.oid operator(pg_catalog.=) i.indrelid
     join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) c.relnamespace
     cross join lateral rows from (pg_catalog.unnest(i.indkey), pg_catalog.unnest(i.indclass)) with ordinality k(attnum, opclass, pos)
     join pg_catalog.pg_attribute a on a.attrelid operator(pg_catalog.=) c.oid and a.attnum operator(pg_catalog.=) k.attnum
     join pg_catalog.pg_opclass oc on oc.oid operator(pg_catalog.=) k.opclass
     join pg_catalog.pg_type it on it.oid operator(pg_catalog.=) oc.opcintype
     join pg_catalog.pg_type t on t.oid operator(pg_catalog.=) case when it.typtype operator(pg_catalog.=) 'p' then a.atttypid else oc.opcintype end
     join pg_catalog.pg_namespace tn on tn.oid operator(pg_catalog.=) t.typnamespace
     left join pg_catalog.pg_amop ao on ao.amopfamily operator(pg_catalog.=) oc.opcfamily and ao.amopstrategy operator(pg_catalog.=) 3
       and ao.amoplefttype operator(pg_catalog.=) oc.opcintype and ao.amoprighttype operator(pg_catalog.=) oc.opcintype
     left join pg_catalog.pg_operator op on op.oid operator(pg_catalog.=) ao.amopopr
     left join pg_catalog.pg_namespace opn on opn.oid operator(pg_catalog.=) op.oprnamespace
    where ${rel} and i.indisprimary order by k.pos`;

/** An operator's name: symbols only (what CREATE OPERATOR allows), so it is written as it is. */
const OPERATOR_NAME = /^[-+*/<>=~!@#%^&|`?]{1,63}$/;

/** A key column's equality as read (keyColumns), refused when its operator class names none. */
function keyEqualityOf(name: string, where: string, row: unknown[]): [string, string, string] {
  const [column, schema, operator, type] = row.map((v) => (typeof v === 'string' ? v : ''));
  if (!schema || !operator || !OPERATOR_NAME.test(operator) || !type) {
    throw new UsageError(`${name}'s primary key column ${String(column)} has no equality operator in ${where} that the merge can name`, {
      hint: "the merge names each row by its primary key; take that table's rows from the dumps by hand, or leave it out of inputs.merge",
    });
  }
  return [schema, operator, type];
}

/**
 * A column's name as the columns' query reads it. A SQL_ASCII database's names are bytes the server
 * never checked: a session whose client_encoding is UTF8 (pg-session.ts) is refused any that are not
 * UTF-8 (PostgreSQL validates SQL_ASCII's text against the client's encoding), another hands them on
 * as they are. Read as the hex of those bytes, whatever the session's encoding, utf8Name decides.
 */
const attname = (s: Pick<TableShape, 'encoding'>): string =>
  asBytes(s) ? `pg_catalog.encode(pg_catalog.convert_to(a.attname::pg_catalog.text, 'SQL_ASCII'), 'hex')` : 'a.attname';

/** A name's bytes, given as hex, as UTF-8 text; null where they are not UTF-8. */
function utf8Name(hex: string): string | null {
  const bytes = Buffer.from(hex, 'hex');
  return isUtf8(bytes) ? bytes.toString('utf8') : null;
}

/** The table's database is SQL_ASCII: its values are its bytes, read and written as such (table-rows.ts). */
export const asBytes = (s: Pick<TableShape, 'encoding'>): boolean => s.encoding === 'SQL_ASCII';

/** "schema.table" of a shape, as the operator named it. */
export const tableName = (s: Pick<TableShape, 'schema' | 'table'>): string => `${s.schema}.${s.table}`;

/**
 * Refuses a live table whose columns or key differ from the copy's, or where one database is SQL_ASCII
 * and the other is not: rows of one cannot be written into the other as they are.
 */
export function checkSameShape(copy: TableShape, live: TableShape): void {
  if (asBytes(copy) !== asBytes(live)) {
    throw new UsageError(
      `${tableName(copy)}'s database is ${String(copy.encoding)} in the copy and ${String(live.encoding)} in the live instance: SQL_ASCII's bytes are never converted, so one side's text cannot be compared with the other's`,
      {
        hint: 'the live database was made again since the target in another encoding; take what is needed from the dumps by hand, converting it (pg_dump --encoding)',
      },
    );
  }
  const describe = (s: TableShape) => `${s.columns.map((c, i) => `${c} ${s.types[i]!}`).join(', ')}; key ${s.key.join(', ')}`;
  if (describe(copy) === describe(live)) return;
  throw new UsageError(
    `${tableName(copy)} changed shape since the target: the copy has (${describe(copy)}), the live table (${describe(live)})`,
    {
      hint: 'rows are merged only into a table of the same columns and key; take what is needed from the dumps by hand',
    },
  );
}
