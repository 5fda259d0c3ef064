/**
 * The part of Elasticsearch's Query DSL and sorting the log search uses, evaluated over documents
 * the way Elasticsearch does, for the simulated servers of `es-http.ts`. What it does not know is
 * refused with a 400 in Elasticsearch's words, so a change in what the client sends fails loudly.
 */
import {
  analyse,
  fieldType,
  indexes,
  phraseMatches,
  sourcePath,
  tokensMatch,
  type FieldType,
  type Generation,
} from './es-http-mappings.js';

export const MAX_RESULT_WINDOW = 10_000;
/** A missing `@timestamp` sorts last (Elasticsearch uses Long.MAX_VALUE; kept JSON-exact here). */
const MISSING_LAST = Number.MAX_SAFE_INTEGER;
const MISSING_FIRST = Number.MIN_SAFE_INTEGER;

export class EsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    reason: string,
  ) {
    super(reason);
  }
}

/** A query a shard could not run: Elasticsearch wraps it in a search_phase_execution_exception. */
export class ShardFailure extends EsError {}
const shardFailure = (reason: string): EsError => new ShardFailure(400, 'query_shard_exception', reason);

export const badRequest = (reason: string, type = 'parsing_exception'): EsError => new EsError(400, type, reason);

export interface SnapshotDoc {
  _index: string;
  _id: string;
  _source: Record<string, unknown>;
  shardDoc: number;
  /** How its index maps the fields (`es-http-mappings.ts`). */
  generation: Generation;
}

export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function keepAliveMs(v: unknown): number {
  const m = typeof v === 'string' ? /^(\d+)(ms|s|m|h|d)$/.exec(v) : null;
  if (!m) throw badRequest(`failed to parse setting [keep_alive] with value [${String(v)}] as a time value`, 'illegal_argument_exception');
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/** Reads a field's value from a source: the flat key when the source has one, else the nested path. */
function reader(name: string): (src: Json) => unknown {
  const steps = name.split('.');
  return (src) => (name in src ? src[name] : steps.reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), src));
}

export function dateMs(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return null;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
}

/** The values of a field as the index holds them (strings only: the log search compares no numbers). */
function strings(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

type Predicate = (src: Json) => boolean;

/**
 * Whether any of `fields` of a document matches `test`, each field analysed as the generation maps
 * it; a field the mapping does not have matches nothing.
 */
function anyField(g: Generation, fields: string[], test: (type: FieldType, value: string) => boolean): Predicate {
  const mapped = fields.flatMap((f) => {
    const type = fieldType(g, f);
    return type === null ? [] : [{ f, type, read: reader(sourcePath(f)) }];
  });
  return (src) => mapped.some(({ f, type, read }) => strings(read(src)).some((v) => indexes(f, v) && test(type, v)));
}

/** The one field a leaf query (`match_phrase`, `match`, `term`, `terms`) names, and what it asks. */
function leaf(kind: string, spec: unknown): [string, unknown] {
  if (!isObject(spec) || Object.keys(spec).length !== 1) throw badRequest(`[${kind}] query doesn't support multiple fields`);
  return Object.entries(spec)[0]!;
}

/** Whether a document's source matches a query (Query DSL subset); throws 400 on what it does not know. */
export function matches(query: unknown, src: Json, g: Generation): boolean {
  return compileQuery(query, g)(src);
}

/**
 * A query (Query DSL subset) as a test of a document's source in an index of generation `g`, read
 * once for a search: the whole query is checked before any document is, as Elasticsearch parses a
 * query before it searches, so a part a document would not reach is refused too.
 */
export function compileQuery(query: unknown, g: Generation): Predicate {
  if (!isObject(query) || Object.keys(query).length !== 1)
    throw badRequest(`a query must be an object with one key, got ${JSON.stringify(query)}`);
  const [kind, spec] = Object.entries(query)[0]!;
  switch (kind) {
    case 'match_all':
      return () => true;
    case 'bool': {
      if (!isObject(spec)) throw badRequest('[bool] malformed query');
      for (const k of Object.keys(spec)) {
        if (!['filter', 'must', 'should', 'must_not', 'minimum_should_match', 'boost'].includes(k))
          throw badRequest(`[bool] query does not support [${k}]`);
      }
      const must = [...asList(spec.filter), ...asList(spec.must)].map((q) => compileQuery(q, g));
      const mustNot = asList(spec.must_not).map((q) => compileQuery(q, g));
      const should = asList(spec.should).map((q) => compileQuery(q, g));
      const msm = spec.minimum_should_match;
      const minimum = msm === undefined ? (should.length > 0 && must.length === 0 ? 1 : 0) : Number(msm);
      if (!Number.isInteger(minimum)) throw badRequest(`[bool] minimum_should_match [${String(msm)}] is not supported here`);
      return (src) => {
        if (!must.every((p) => p(src))) return false;
        if (mustNot.some((p) => p(src))) return false;
        if (minimum <= 0) return true;
        let n = 0;
        for (const p of should) if (p(src) && ++n >= minimum) return true;
        return false;
      };
    }
    case 'range': {
      if (!isObject(spec) || Object.keys(spec).length !== 1) throw badRequest('[range] query malformed, no start_object after query name');
      const [name, bounds] = Object.entries(spec)[0]!;
      if (name !== '@timestamp' || !isObject(bounds)) throw badRequest(`[range] on [${name}]: this server ranges only over @timestamp`);
      const checks = Object.entries(bounds).map(([op, raw]): ((t: number) => boolean) => {
        if (!['gte', 'gt', 'lte', 'lt'].includes(op)) throw badRequest(`[range] query does not support [${op}] here`);
        const b = dateMs(raw);
        if (b === null) throw badRequest(`failed to parse date field [${String(raw)}]`);
        return op === 'gte' ? (t) => t >= b : op === 'gt' ? (t) => t > b : op === 'lte' ? (t) => t <= b : (t) => t < b;
      });
      const read = reader(name);
      return (src) => {
        const t = dateMs(read(src));
        return t !== null && checks.every((c) => c(t));
      };
    }
    case 'multi_match': {
      if (!isObject(spec) || typeof spec.query !== 'string') throw badRequest('[multi_match] requires query value');
      if (spec.type !== 'phrase') throw badRequest(`[multi_match] of type [${String(spec.type)}]: this server matches phrases only`);
      const fields = spec.fields;
      if (
        !Array.isArray(fields) ||
        fields.length === 0 ||
        !fields.every((f) => typeof f === 'string' && !f.includes('*') && !f.includes('^'))
      ) {
        throw badRequest('[multi_match] needs plain field names here');
      }
      const phrase = spec.query;
      return anyField(g, fields as string[], (type, v) => phraseMatches(type, v, phrase));
    }
    case 'match_phrase': {
      const [name, q] = leaf(kind, spec);
      const phrase = isObject(q) ? q.query : q;
      if (typeof phrase !== 'string') throw badRequest('[match_phrase] requires query value');
      return anyField(g, [name], (type, v) => phraseMatches(type, v, phrase));
    }
    case 'match': {
      const [name, q] = leaf(kind, spec);
      const text = isObject(q) ? q.query : q;
      const operator = isObject(q) && typeof q.operator === 'string' ? q.operator.toLowerCase() : 'or';
      if (typeof text !== 'string') throw badRequest('[match] requires query value');
      if (operator !== 'or' && operator !== 'and') throw badRequest(`[match] operator [${operator}] is not supported`);
      return anyField(g, [name], (type, v) => tokensMatch(type, v, text, operator));
    }
    case 'term':
    case 'terms': {
      // Exact on a keyword; on an analysed field, a term is compared with the field's tokens as they are.
      const [name, q] = leaf(kind, spec);
      const wanted = kind === 'terms' ? q : [isObject(q) ? q.value : q];
      if (!Array.isArray(wanted) || !wanted.every((w) => typeof w === 'string')) throw badRequest(`[${kind}] query malformed`);
      return anyField(g, [name], (type, v) => (type === 'keyword' ? wanted.includes(v) : analyse(v).some((t) => wanted.includes(t))));
    }
    default:
      throw badRequest(`unknown query [${kind}]`);
  }
}

export interface SortKey {
  field: '@timestamp' | '_shard_doc';
  desc: boolean;
}

/**
 * The sort of a search. `shardDoc`: the server knows `_shard_doc` (Elasticsearch 7.12 and later);
 * `tiebreaker`: it is added when missing (every sorted search through a point in time, there).
 * `timestampMapped`: the index maps `@timestamp`, which Logsearch's templates leave to dynamic mapping,
 * so an index none of whose documents held it (an empty one) does not; sorting on a field an index
 * does not map fails its shards unless `unmapped_type` says how to take it (Elasticsearch's
 * search/sort/FieldSortBuilder.java: "No mapping found for [...] in order to sort on").
 */
export function sortKeys(sort: unknown, o: { shardDoc: boolean; tiebreaker: boolean; timestampMapped: boolean }): SortKey[] {
  const keys = asList(sort).map((s): SortKey => {
    const [name, spec] =
      typeof s === 'string' ? [s, 'asc'] : isObject(s) && Object.keys(s).length === 1 ? Object.entries(s)[0]! : [null, null];
    const order = isObject(spec) ? spec.order : spec;
    if (order !== 'asc' && order !== 'desc') throw badRequest(`[sort] malformed: ${JSON.stringify(s)}`);
    if (name === '_shard_doc' && !o.shardDoc) throw shardFailure('No mapping found for [_shard_doc] in order to sort on');
    if (name === '_doc' || name === '_shard_doc') return { field: '_shard_doc', desc: order === 'desc' };
    if (name === '@timestamp') {
      if (!o.timestampMapped && !(isObject(spec) && typeof spec.unmapped_type === 'string'))
        throw shardFailure('No mapping found for [@timestamp] in order to sort on');
      return { field: '@timestamp', desc: order === 'desc' };
    }
    throw badRequest(`[sort] on [${String(name)}]: this server sorts only by @timestamp and _shard_doc`);
  });
  // With a point in time, Elasticsearch adds the _shard_doc tiebreaker when the sort lacks one.
  if (o.tiebreaker && !keys.some((k) => k.field === '_shard_doc')) keys.push({ field: '_shard_doc', desc: false });
  return keys;
}

export function sortValues(doc: SnapshotDoc, keys: SortKey[]): number[] {
  return keys.map((k) => {
    if (k.field === '_shard_doc') return doc.shardDoc;
    return dateMs(doc._source['@timestamp']) ?? (k.desc ? MISSING_FIRST : MISSING_LAST);
  });
}

export function compare(a: number[], b: number[], keys: SortKey[]): number {
  for (let i = 0; i < keys.length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return keys[i]!.desc ? -d : d;
  }
  return 0;
}
