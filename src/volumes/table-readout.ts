/**
 * A table's rows and its newest timestamp, as the copy's server reports them, read without the server
 * ever planning a scan of the table: `COPY "schema"."table" (columns) TO STDOUT`, which is not a query
 * (no planner runs), streamed and counted here, line by line. Planning any query of a table runs the
 * tenant's code: PostgreSQL const-folds its index expressions and predicates, its statistics
 * expressions and its partitions' key expressions (eval_const_expressions), calling an IMMUTABLE
 * function with constant arguments, which may be a SECURITY DEFINER function of a superuser's. COPY
 * of a table reads it with the heap's own scan and only calls the output function of each column
 * named, so only columns of built-in types whose output function is the server's own (internal, not
 * SECURITY DEFINER) are named: the time columns whose newest value is wanted, else the narrowest such
 * column. A table none of whose columns is such is not counted: its estimate (pg_class.reltuples)
 * stands, and the look says why. What comes back is the copy's server's word, read with our session
 * settings (DateStyle ISO, TimeZone UTC: systems/pg-session.ts), and shown as such.
 */
import type { Query, TableLines } from '../systems/pg-query.js';
import { sqlIdent, sqlLiteral } from '../core/sql-quote.js';
import { messageOf } from '../core/errors.js';

/** How a look reads a copy: our catalog reads, and the tenant's tables by COPY. */
export interface CopyReader {
  query: Query;
  lines: TableLines;
}

export interface TableReadout {
  /** Rows counted, or the planner's estimate (-1: never analysed) when not counted. */
  rows: number;
  counted: boolean;
  /** The newest value of its time columns (six at most), as timestamptz text in UTC; null when none or not read. */
  newest: string | null;
  /** Why the rows were not counted, or the newest not read. */
  note: string | null;
}

const DATE = 1082;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;
const TIME_TYPES = new Set([DATE, TIMESTAMP, TIMESTAMPTZ]);
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
async function shapeOf(query: Query, db: string, schema: string, table: string): Promise<{ owner: string; columns: Column[] }> {
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
function columnsToRead(columns: Column[], wantNewest: boolean): { read: Column[]; time: number } | null {
  const time = wantNewest ? columns.filter((c) => c.builtIn && TIME_TYPES.has(c.type)).slice(0, MAX_TIME_COLUMNS) : [];
  if (time.length) return { read: time, time: time.length };
  if (!columns.length) return { read: [], time: 0 };
  const size = (c: Column): number => (c.length > 0 ? c.length : 1000);
  const narrowest = columns.filter((c) => c.builtIn).sort((a, b) => size(a) - size(b))[0];
  return narrowest ? { read: [narrowest], time: 0 } : null;
}

/**
 * The rows of one ordinary table (its own: COPY reads no child) and the newest value of its time
 * columns, by COPY as `lines` reads it; `count`: count its rows even when it has no time column
 * (else only its newest is wanted, and a table without time columns is not read). `estimate` stands
 * when it is not counted.
 */
export async function readTable(
  r: CopyReader,
  db: string,
  schema: string,
  table: string,
  o: { count: boolean; newest: boolean; estimate: number },
): Promise<TableReadout> {
  const { owner, columns } = await shapeOf(r.query, db, schema, table);
  const chosen = columnsToRead(columns, o.newest);
  const notCounted = (note: string | null): TableReadout => ({ rows: o.estimate, counted: false, newest: null, note });
  if (!chosen) return notCounted('no column of a built-in type to read it by: not counted');
  if (!o.count && chosen.time === 0) return notCounted(null);
  const list = chosen.read.length ? ` (${chosen.read.map((c) => sqlIdent(c.name)).join(', ')})` : '';
  const types = chosen.read.slice(0, chosen.time).map((c) => c.type);
  let rows = 0;
  let newest: Moment | null = null;
  try {
    for await (const batch of r.lines(db, `copy ${sqlIdent(schema)}.${sqlIdent(table)}${list} to stdout`, owner)) {
      rows += batch.length;
      if (types.length) for (const line of batch) newest = later(newest, newestIn(line, types));
    }
  } catch (err) {
    return notCounted(`not read: ${messageOf(err)}`);
  }
  return { rows, counted: true, newest: newest?.text ?? null, note: null };
}

/** A time value as COPY wrote it, on one scale (microseconds from 1970 UTC; infinities at the ends), and as timestamptz text. */
interface Moment {
  at: bigint;
  text: string;
}

const later = (a: Moment | null, b: Moment | null): Moment | null => (!a ? b : !b ? a : b.at > a.at ? b : a);

/** The newest of a COPY line's first fields, of these types (`\N` and what does not read as a time are passed over). */
function newestIn(line: string, types: number[]): Moment | null {
  const fields = line.split('\t');
  let newest: Moment | null = null;
  types.forEach((type, i) => {
    newest = later(newest, momentOf(fields[i] ?? '\\N', type));
  });
  return newest;
}

const INFINITY = 2n ** 63n;
const ISO = /^(\d{4,})-(\d\d)-(\d\d)(?: (\d\d):(\d\d):(\d\d)(\.\d{1,6})?)?(\+00)?( BC)?$/;

/**
 * A date, timestamp or timestamptz as PostgreSQL writes it with DateStyle ISO and TimeZone UTC, on one
 * scale, with its text as `::timestamptz::text` would write it (a date at midnight, UTC's `+00`).
 */
function momentOf(field: string, type: number): Moment | null {
  if (field === 'infinity' || field === '-infinity') return { at: field === 'infinity' ? INFINITY : -INFINITY, text: field };
  const m = ISO.exec(field);
  // A date has no clock; a timestamp has no zone; a timestamptz is in UTC, as our sessions set TimeZone.
  if (!m || (type === DATE) === (m[4] !== undefined) || (type === TIMESTAMPTZ) !== (m[8] !== undefined)) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', , bc] = m;
  // 1 BC is year 0 of the proleptic Gregorian calendar: days from 1970 by Howard Hinnant's days_from_civil.
  const year = bc ? 1 - Number(y) : Number(y);
  const days = daysFromCivil(year, Number(mo), Number(d));
  const micros = BigInt(Number(h) * 3600 + Number(mi) * 60 + Number(s)) * 1_000_000n + BigInt((frac.slice(1) + '000000').slice(0, 6));
  const clock = `${h}:${mi}:${s}${frac}`;
  return { at: BigInt(days) * 86_400_000_000n + micros, text: `${y}-${mo}-${d} ${clock}+00${bc ?? ''}` };
}

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
