/**
 * The commits in a stretch of WAL and what each did to the tenant's tables, from pg_waldump's records
 * (wale/waldump.ts): rows inserted, updated (HOT or not) and deleted per relation, tables truncated
 * and dropped; the ones an operator looks for after "someone ran the wrong statement" pointed out
 * (a TRUNCATE, a DROP, a DELETE or UPDATE of at least `massRows` rows). Relation files are named
 * through the catalog of the restored base backup (`Catalog`); a file made after it stays a number.
 * Under wal_level replica a TRUNCATE is a new, empty file for the table and the old one dropped at
 * commit, and a DROP drops the files without making any: that is how the two are told apart; a
 * rewrite (VACUUM FULL, CLUSTER, ALTER TABLE … TYPE) writes rows into its new file.
 */
import type { RelFile, RowOp, WalEvent } from './waldump.js';

export interface RelationName {
  database: string;
  schema: string;
  name: string;
  /** pg_class.relkind: r, p, m, t (TOAST), i, S, … */
  kind: string;
}

/** Names from the restored base backup's catalog. */
export interface Catalog {
  byFile(file: RelFile): RelationName | null;
  byOid(db: number, oid: number): RelationName | null;
}

interface RelationChanges {
  relation: string;
  insert: number;
  update: number;
  hotUpdate: number;
  delete: number;
}

export interface CommitFound {
  xid: string;
  /** The commit record's WAL location. */
  lsn: string;
  /** Commit time, UTC, microseconds kept. */
  at: string;
  relations: RelationChanges[];
  truncated: string[];
  dropped: string[];
  rewritten: string[];
  /** What makes it a suspect: "TRUNCATE public.orders", "DELETE 5000 rows of public.orders". */
  flags: string[];
}

export interface MistakesFound {
  commits: CommitFound[];
  restorePoints: { name: string; lsn: string }[];
}

/** The first normal OID: below it (and not in the catalog read) a file is the system's. */
const FIRST_NORMAL_OID = 16384;
const SYSTEM_SCHEMAS = new Set(['pg_catalog', 'information_schema']);

interface Pending {
  rows: Map<string, { file: RelFile; counts: Record<RowOp, number> }>;
  created: RelFile[];
  locks: { db: number; oid: number }[];
  truncatedFiles: RelFile[];
  truncatedOids: number[];
}

const fileKey = (f: RelFile): string => `${f.spc}/${f.db}/${f.node}`;

function pendingOf(map: Map<number, Pending>, xid: number): Pending {
  let p = map.get(xid);
  if (!p) {
    p = { rows: new Map(), created: [], locks: [], truncatedFiles: [], truncatedOids: [] };
    map.set(xid, p);
  }
  return p;
}

function merge(into: Pending, from: Pending): void {
  for (const [k, v] of from.rows) {
    const have = into.rows.get(k);
    if (!have) into.rows.set(k, v);
    else for (const op of Object.keys(v.counts) as RowOp[]) have.counts[op] += v.counts[op];
  }
  into.created.push(...from.created);
  into.locks.push(...from.locks);
  into.truncatedFiles.push(...from.truncatedFiles);
  into.truncatedOids.push(...from.truncatedOids);
}

function qualified(n: RelationName): string {
  return `${n.database}: ${n.schema}.${n.name}`;
}

/** A table's name, "not a table" (null) for the system's files, indexes and TOAST. */
function tableName(catalog: Catalog, file: RelFile): string | null {
  const n = catalog.byFile(file);
  if (n) return SYSTEM_SCHEMAS.has(n.schema) || n.kind === 'i' || n.kind === 't' || n.kind === 'S' ? null : qualified(n);
  return file.node < FIRST_NORMAL_OID ? null : `file ${fileKey(file)} (not in the base backup's catalog)`;
}

function oidName(catalog: Catalog, db: number, oid: number): string | null {
  const n = catalog.byOid(db, oid);
  if (n) return SYSTEM_SCHEMAS.has(n.schema) || n.kind === 'i' || n.kind === 't' ? null : qualified(n);
  return oid < FIRST_NORMAL_OID ? null : `relation ${db}/${oid} (not in the base backup's catalog)`;
}

function unique(names: (string | null)[]): string[] {
  return [...new Set(names.filter((n): n is string => n !== null))].sort();
}

function commitFound(catalog: Catalog, e: Extract<WalEvent, { kind: 'commit' }>, p: Pending, massRows: number): CommitFound {
  const relations = new Map<string, RelationChanges>();
  const createdKeys = new Set(p.created.map(fileKey));
  let wroteIntoNew = false;
  for (const { file, counts } of p.rows.values()) {
    if (createdKeys.has(fileKey(file))) wroteIntoNew = true;
    const name = tableName(catalog, file);
    if (!name) continue;
    const r = relations.get(name) ?? { relation: name, insert: 0, update: 0, hotUpdate: 0, delete: 0 };
    r.insert += counts.INSERT;
    r.update += counts.UPDATE;
    r.hotUpdate += counts.HOT_UPDATE;
    r.delete += counts.DELETE;
    relations.set(name, r);
  }
  const droppedNames = unique(e.droppedFiles.map((f) => tableName(catalog, f)));
  // A relation's stats dropped without files is a temporary table's end (its session's, or a DROP of it):
  // a commit lists only non-temporary relations' files (storage.c smgrGetPendingDeletes), and no table of
  // the archive lost its rows there.
  const statsDropped = e.droppedFiles.length ? unique(e.droppedStats.map((s) => oidName(catalog, s.db, s.oid))) : [];
  // Files dropped with new ones made: a TRUNCATE (the new file left empty) or a rewrite; without: a DROP.
  const replaced = p.created.length > 0;
  const truncated = unique([
    ...(replaced && !wroteIntoNew ? droppedNames : []),
    ...p.truncatedFiles.map((f) => tableName(catalog, f)),
    ...p.truncatedOids.map((oid) => {
      const db = p.locks.find((l) => l.oid === oid)?.db;
      return db === undefined ? `relation ${oid}` : oidName(catalog, db, oid);
    }),
  ]);
  const dropped = unique([...(replaced ? [] : droppedNames), ...statsDropped]);
  const rewritten = replaced && wroteIntoNew ? droppedNames : [];
  const flags = [...truncated.map((n) => `TRUNCATE ${n}`), ...dropped.map((n) => `DROP ${n}`)];
  for (const r of relations.values()) {
    if (r.delete >= massRows) flags.push(`DELETE ${r.delete} rows of ${r.relation}`);
    if (r.update + r.hotUpdate >= massRows) flags.push(`UPDATE ${r.update + r.hotUpdate} rows of ${r.relation}`);
  }
  return {
    xid: String(e.xid),
    lsn: e.lsn,
    at: e.at,
    relations: [...relations.values()].sort((a, b) => a.relation.localeCompare(b.relation)),
    truncated,
    dropped,
    rewritten,
    flags,
  };
}

/**
 * Every transaction committed in `events` (in WAL order) up to `until` (a commit time, ISO UTC; none:
 * all) with what it changed; subtransactions count with their top transaction, aborted ones not at all.
 */
export function findMistakes(events: readonly WalEvent[], catalog: Catalog, opts: { massRows: number; until?: Date }): MistakesFound {
  const pending = new Map<number, Pending>();
  const commits: CommitFound[] = [];
  const restorePoints: { name: string; lsn: string }[] = [];
  const until = opts.until?.getTime();
  for (const e of events) {
    switch (e.kind) {
      case 'rows': {
        const p = pendingOf(pending, e.xid);
        const key = fileKey(e.rel);
        const have = p.rows.get(key) ?? { file: e.rel, counts: { INSERT: 0, UPDATE: 0, HOT_UPDATE: 0, DELETE: 0 } };
        have.counts[e.op] += e.count;
        p.rows.set(key, have);
        break;
      }
      case 'create':
        pendingOf(pending, e.xid).created.push(e.file);
        break;
      case 'lock':
        pendingOf(pending, e.xid).locks.push({ db: e.db, oid: e.oid });
        break;
      case 'truncate-file':
        // A committed transaction's truncation to nothing; VACUUM's (no transaction) only trims empty pages.
        if (e.xid !== 0 && e.blocks === 0) pendingOf(pending, e.xid).truncatedFiles.push(e.file);
        break;
      case 'truncate-rels':
        pendingOf(pending, e.xid).truncatedOids.push(...e.oids);
        break;
      case 'restore-point':
        restorePoints.push({ name: e.name, lsn: e.lsn });
        break;
      case 'abort':
        for (const x of [e.xid, ...e.subxacts]) pending.delete(x);
        break;
      case 'commit': {
        const p = pendingOf(pending, e.xid);
        for (const x of e.subxacts) {
          const sub = pending.get(x);
          if (sub) merge(p, sub);
          pending.delete(x);
        }
        pending.delete(e.xid);
        if (until !== undefined && Date.parse(e.at) > until) break;
        const found = commitFound(catalog, e, p, opts.massRows);
        if (found.relations.length || found.truncated.length || found.dropped.length || found.rewritten.length) commits.push(found);
        break;
      }
    }
  }
  return { commits, restorePoints };
}
