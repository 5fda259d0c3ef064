/**
 * pg_waldump's text, read strictly. Its records describe a tenant's WAL, so the text is data: every
 * line must be a record line of the shape pg_xlogdump 9.5 and 9.6 and pg_waldump 10 to 17 print
 * (with TZ=UTC), each record's `prev` must be the record before it (a restore point's name or another
 * field of the tenant's that holds a newline cannot pass a forged line off as a record), and nothing
 * in it is ever followed as a path. What is kept is what the mistakes scan needs (wale/mistakes.ts): row changes by relation
 * file, commits with their time, subtransactions, dropped files and stats, locks, created and
 * truncated files, restore points.
 */
import { parseLsn } from './segments.js';

/** A relation file as WAL names it: tablespace, database and relfilenode OIDs. */
export interface RelFile {
  spc: number;
  db: number;
  node: number;
}

export type RowOp = 'INSERT' | 'UPDATE' | 'HOT_UPDATE' | 'DELETE';

export type WalEvent =
  | { kind: 'rows'; xid: number; op: RowOp; count: number; rel: RelFile }
  | {
      kind: 'commit';
      xid: number;
      lsn: string;
      at: string;
      subxacts: number[];
      droppedFiles: RelFile[];
      droppedStats: { db: number; oid: number }[];
    }
  | { kind: 'abort'; xid: number; subxacts: number[] }
  | { kind: 'lock'; xid: number; db: number; oid: number }
  | { kind: 'create'; xid: number; file: RelFile }
  | { kind: 'truncate-file'; xid: number; file: RelFile; blocks: number }
  | { kind: 'truncate-rels'; xid: number; oids: number[] }
  | { kind: 'restore-point'; lsn: string; name: string };

export class WalDumpUnreadable extends Error {}

const RECORD =
  /^rmgr: (\S+)\s+len \(rec\/tot\):\s+\d+\/\s*\d+, tx:\s+(\d+), lsn: ([0-9A-F]+\/[0-9A-F]+), prev ([0-9A-F]+\/[0-9A-F]+), desc: (.*)$/;
const BLKREF0 = /(?:^|, )blkref #0: rel (\d+)\/(\d+)\/(\d+)(?: fork \w+)? blk \d+/;
/** A file path in a commit's `rels:` or a Storage record: base/DB/NODE, global/NODE or pg_tblspc/SPC/PG_<version>/DB/NODE. */
const FILE_PATH = /^(?:base\/(\d+)\/(\d+)|global\/(\d+)|pg_tblspc\/(\d+)\/PG_[0-9A-Za-z._]+\/(\d+)\/(\d+))$/;
const DEFAULT_TABLESPACE = 1663;
const GLOBAL_TABLESPACE = 1664;

function relFileOf(path: string): RelFile | null {
  const m = FILE_PATH.exec(path);
  if (!m) return null;
  if (m[1]) return { spc: DEFAULT_TABLESPACE, db: Number(m[1]), node: Number(m[2]) };
  if (m[3]) return { spc: GLOBAL_TABLESPACE, db: 0, node: Number(m[3]) };
  return { spc: Number(m[4]), db: Number(m[5]), node: Number(m[6]) };
}

function numbers(text: string | undefined): number[] {
  return (text ?? '').match(/\d+/g)?.map(Number) ?? [];
}

/** One section of a commit's description ("; rels: …"), null when absent. */
function section(desc: string, name: string): string | null {
  const m = new RegExp(`; ${name}: ([^;]*)`).exec(desc);
  return m ? m[1]!.trim() : null;
}

/** How many rows a Heap or Heap2 record changes: 1, or a MULTI_INSERT's count ("10 tuples", 16+: "ntuples: 10"). */
function rowEvent(rmgr: string, op: string, desc: string, xid: number): WalEvent | null {
  const rel = BLKREF0.exec(desc);
  if (!rel) return null;
  const file = { spc: Number(rel[1]), db: Number(rel[2]), node: Number(rel[3]) };
  if (rmgr === 'Heap' && (op === 'INSERT' || op === 'UPDATE' || op === 'HOT_UPDATE' || op === 'DELETE')) {
    return { kind: 'rows', xid, op, count: 1, rel: file };
  }
  if (rmgr === 'Heap2' && op === 'MULTI_INSERT') {
    const n = /^MULTI_INSERT(?:\+INIT)? (?:ntuples: )?(\d+)/.exec(desc);
    if (!n) throw new WalDumpUnreadable(`a MULTI_INSERT record without its count of rows: ${desc.slice(0, 80)}`);
    return { kind: 'rows', xid, op: 'INSERT', count: Number(n[1]), rel: file };
  }
  return null;
}

/** What one record means for the scan, or null when it is none of its business. */
function eventOf(rmgr: string, xid: number, lsn: string, desc: string): WalEvent | null {
  const op = /^([A-Z_0-9]+)(?:\+INIT)?\b/.exec(desc)?.[1] ?? '';
  if (rmgr === 'Heap' || rmgr === 'Heap2') {
    if (rmgr === 'Heap' && op === 'TRUNCATE') {
      // 11+, under wal_level logical: relation OIDs ("nrelids 1 relids 16391", 16+: "nrelids: 1, relids: [16391]").
      const m = /nrelids:? (\d+),? relids:? \[?([\d ,]*)\]?/.exec(desc);
      if (!m) throw new WalDumpUnreadable(`a Heap TRUNCATE record without its relations: ${desc.slice(0, 80)}`);
      return { kind: 'truncate-rels', xid, oids: numbers(m[2]) };
    }
    return rowEvent(rmgr, op, desc, xid);
  }
  if (rmgr === 'Transaction' && (op === 'COMMIT' || op === 'ABORT')) {
    const subxacts = numbers(section(desc, 'subxacts') ?? undefined);
    if (op === 'ABORT') return { kind: 'abort', xid, subxacts };
    const at = /^COMMIT (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?) UTC\b/.exec(desc)?.[1];
    if (!at) throw new WalDumpUnreadable(`a COMMIT record without its time in UTC at ${lsn} (pg_waldump must run with TZ=UTC)`);
    const droppedFiles = (section(desc, 'rels') ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((p) => relFileOf(p))
      .filter((f): f is RelFile => f !== null);
    // 15+: "dropped stats: KIND/DB/OID", kind 2 a relation's.
    const droppedStats = [...(section(desc, 'dropped stats') ?? '').matchAll(/\b(\d+)\/(\d+)\/(\d+)\b/g)]
      .filter((m) => m[1] === '2')
      .map((m) => ({ db: Number(m[2]), oid: Number(m[3]) }));
    return { kind: 'commit', xid, lsn, at: `${at.replace(' ', 'T')}Z`, subxacts, droppedFiles, droppedStats };
  }
  if (rmgr === 'Standby' && op === 'LOCK') {
    // One or more "xid X db D rel R" (16+: "xid X db D rel R, …").
    const locks = [...desc.matchAll(/xid (\d+) db (\d+) rel (\d+)/g)];
    const first = locks[0];
    return first ? { kind: 'lock', xid: Number(first[1]), db: Number(first[2]), oid: Number(first[3]) } : null;
  }
  if (rmgr === 'Storage') {
    const create = /^CREATE (\S+)$/.exec(desc.trim());
    if (create) {
      const file = relFileOf(create[1]!);
      return file ? { kind: 'create', xid, file } : null;
    }
    const truncate = /^TRUNCATE (\S+) to (\d+) blocks\b/.exec(desc);
    if (truncate) {
      const file = relFileOf(truncate[1]!);
      return file ? { kind: 'truncate-file', xid, file, blocks: Number(truncate[2]) } : null;
    }
    return null;
  }
  if (rmgr === 'XLOG' && op === 'RESTORE_POINT') return { kind: 'restore-point', lsn, name: desc.slice('RESTORE_POINT '.length) };
  return null;
}

/**
 * Reads pg_waldump's lines one by one: `push` each line, `events` what they meant. A line that is not a
 * record, or a record whose `prev` is not the record before it, stops the reading (WalDumpUnreadable).
 */
export class WalDumpReader {
  readonly events: WalEvent[] = [];
  /** The last record read: where the scan got to. */
  lastLsn: string | null = null;
  records = 0;

  push(line: string): void {
    if (line === '') return;
    const m = RECORD.exec(line);
    if (!m)
      throw new WalDumpUnreadable(
        `pg_waldump printed a line that is not a WAL record after ${this.lastLsn ?? 'the start'}: ${JSON.stringify(line.slice(0, 80))}`,
      );
    const [, rmgr, tx, lsn, prev, desc] = m as unknown as [string, string, string, string, string, string];
    if (this.lastLsn !== null && parseLsn(prev) !== parseLsn(this.lastLsn)) {
      throw new WalDumpUnreadable(
        `the WAL record at ${lsn} follows ${prev}, not the record before it (${this.lastLsn}): the text of a record was taken for another record`,
      );
    }
    this.lastLsn = lsn;
    this.records++;
    const event = eventOf(rmgr, Number(tx), lsn, desc);
    if (event) this.events.push(event);
  }
}
