/**
 * What `archive mistakes` reads of a restored copy, wherever it runs (here in the drill's sandbox, or
 * in the service's image on a cell): the catalog, to name each relation the WAL touches, and the
 * archived WAL from the base backup's start, through the archive major's WAL reader, its lines read
 * strictly; the commits found in them, the suspects and the proposed stop.
 */
import { readdir } from 'node:fs/promises';
import { shellQuote } from '../core/shell-quote.js';
import { findMistakes, type Catalog, type CommitFound, type RelationName } from '../wale/mistakes.js';
import type { BaseBackupInfo } from '../wale/report.js';
import { formatLsn, formatSegment, nextSegment, parseSegment, segmentIndex, segmentStartLsn, tryParseSegment } from '../wale/segments.js';
import { WalDumpReader, WalDumpUnreadable } from '../wale/waldump.js';
import { DrillFailed } from './exit-codes.js';
import { majorNumber } from './local-pg.js';
import { backupStartLsn } from './target-backup.js';

/** The archive major's WAL reader: pg_xlogdump before 10, pg_waldump from 10. */
export function walReaderProgram(major: string): string {
  return majorNumber(major) < 10 ? 'pg_xlogdump' : 'pg_waldump';
}

/** Segments pg_waldump reads at a time: its text is held in memory one run at a time. */
const SEGMENTS_PER_RUN = 4;

/** A statement's rows in a database of the restored copy, each value as text. */
export type CatalogRead = (sql: string, database: string) => Promise<string[][]>;

/** The restored catalog's relations, per database. */
async function readCatalog(read: CatalogRead, database: string, warnings: string[]): Promise<Catalog> {
  const byFile = new Map<string, RelationName>();
  const byOid = new Map<string, RelationName>();
  const dbs = await read('select oid, datname from pg_catalog.pg_database where datallowconn', database);
  for (const [oid, datname] of dbs) {
    if (!oid || datname === undefined) continue;
    // A database's name is the tenant's: psql would take one holding "=" or a URI for a connection string.
    if (/[=]|^postgres(?:ql)?:\/\//i.test(datname) || datname === '') {
      warnings.push(
        `the tables of database ${JSON.stringify(datname)} are named by number only: the name is not one psql takes as a database name`,
      );
      continue;
    }
    let rows: string[][];
    try {
      rows = await read(
        `select pg_catalog.pg_relation_filenode(c.oid) as node, c.oid, case when c.reltablespace operator(pg_catalog.=) 0 then d.dattablespace else c.reltablespace end as spc, n.nspname, c.relname, c.relkind
           from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) c.relnamespace
           join pg_catalog.pg_database d on d.datname operator(pg_catalog.=) pg_catalog.current_database()`,
        datname,
      );
    } catch (err) {
      warnings.push(
        `the tables of database ${JSON.stringify(datname)} are named by number only: reading its catalog failed (${(err as Error).message.split('\n')[0]})`,
      );
      continue;
    }
    for (const [node, relOid, spc, schema, name, kind] of rows) {
      const n: RelationName = { database: datname, schema: schema ?? '', name: name ?? '', kind: kind ?? '' };
      if (node) byFile.set(`${spc}/${oid}/${node}`, n);
      byOid.set(`${oid}/${relOid}`, n);
    }
  }
  return {
    byFile: (f) => byFile.get(`${f.spc}/${f.db}/${f.node}`) ?? null,
    byOid: (db, relOid) => byOid.get(`${db}/${relOid}`) ?? null,
  };
}

/** The segments of the backup's timeline in the drill's WAL folder, from the backup's start, up to the first missing one. */
async function segmentsToRead(walDir: string, start: string, major: string): Promise<{ segments: string[]; hole: string | null }> {
  const first = parseSegment(start);
  const present = new Set(
    (await readdir(walDir)).filter((f) => {
      const s = tryParseSegment(f);
      return s !== null && f.length === 24 && s.tli === first.tli && segmentIndex(s, major) >= segmentIndex(first, major);
    }),
  );
  const segments: string[] = [];
  let at = first;
  while (present.has(formatSegment(at))) {
    segments.push(formatSegment(at));
    present.delete(formatSegment(at));
    at = nextSegment(at, major);
  }
  return { segments, hole: present.size > 0 ? formatSegment(at) : null };
}

/** The start LSN of a segment. */
function segmentStart(name: string): bigint {
  return segmentStartLsn(parseSegment(name));
}

/**
 * The archive's major's WAL reader (pg_waldump, pg_xlogdump before 10) over the fetched WAL from
 * `start` to `end` on a timeline: here in the drill's sandbox, or in the service's image on a cell.
 */
export interface WalReader {
  /** The reader as the operator reads it: its path here, or the program and the image on the cell. */
  readonly name: string;
  dump(range: { timeline: string; start: string; end?: string }): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** pg_waldump over `segments` in runs, its lines read strictly; where it stopped when the WAL ends or breaks. */
async function dumpWal(waldump: WalReader, segments: string[], startLsn: bigint, warnings: string[]): Promise<WalDumpReader> {
  const reader = new WalDumpReader();
  const tli = String(parseSegment(segments[0]!).tli);
  for (let i = 0; i < segments.length; i += SEGMENTS_PER_RUN) {
    const last = i + SEGMENTS_PER_RUN >= segments.length;
    const from = i === 0 ? startLsn : segmentStart(segments[i]!);
    const end = last ? undefined : formatLsn(segmentStart(segments[i + SEGMENTS_PER_RUN]!));
    const r = await waldump.dump({ timeline: tli, start: formatLsn(from), ...(end ? { end } : {}) });
    try {
      for (const line of r.stdout.split('\n')) reader.push(line);
    } catch (err) {
      if (err instanceof WalDumpUnreadable) {
        throw new DrillFailed('not-restorable', `pg_waldump's account of the archived WAL cannot be trusted: ${err.message}`, {
          hint: 'Read the WAL with pg_waldump yourself (as an unprivileged user) before relying on a list of its transactions.',
        });
      }
      throw err;
    }
    if (r.code !== 0) {
      const why = r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`;
      // The end of the archived WAL: the rest of the newest segment was never written.
      const end =
        last &&
        /invalid record length|could not find a valid record|could not find file|invalid magic number 0000|contrecord is requested/.test(
          why,
        );
      if (end) continue;
      warnings.push(
        `pg_waldump stopped reading after ${reader.lastLsn ?? formatLsn(from)}: ${why.replace(/^pg_(?:wal|xlog)dump: (?:error|fatal|FATAL):\s+/, '')}`,
      );
      break;
    }
  }
  return reader;
}

/** What the scan found: the WAL read, the commits, the suspects and the stop proposed. */
export interface WalScan {
  scanned: { from: string; to: string | null; records: number; segments: number };
  commits: CommitFound[];
  restorePoints: { name: string; lsn: string }[];
  /** The commits pointed out, oldest first. */
  suspects: { xid: string; at: string; lsn: string; flags: string[] }[];
  /** Stop just before the first suspect. */
  proposal: { xid: string; exclusive: true; command: string } | null;
}

export interface ScanOptions {
  archive: string;
  backup: BaseBackupInfo;
  major: string;
  /** The catalog of the copy restored from `backup`, read in `database` first. */
  read: CatalogRead;
  database: string;
  /** The fetched WAL on this machine (which segments there are). */
  walDir: string;
  reader: WalReader;
  massRows: number;
  until?: Date;
  program?: string;
  warnings: string[];
  progress?: (message: string) => void;
}

/** Reads the copy's catalog and its WAL, and finds the commits and the suspects among them. */
export async function scanWal(o: ScanOptions): Promise<WalScan> {
  o.progress?.('reading the restored catalog');
  const catalog = await readCatalog(o.read, o.database, o.warnings);
  const { segments, hole } = await segmentsToRead(o.walDir, o.backup.startSegment, o.major);
  if (hole) o.warnings.push(`WAL ${hole} is not in the archive: the scan stops before it`);
  o.progress?.(`reading ${segments.length} WAL segment(s) with ${o.reader.name}`);
  const reader = segments.length ? await dumpWal(o.reader, segments, backupStartLsn(o.backup), o.warnings) : new WalDumpReader();
  const found = findMistakes(reader.events, catalog, { massRows: o.massRows, until: o.until });
  const suspects = found.commits.filter((c) => c.flags.length > 0).map((c) => ({ xid: c.xid, at: c.at, lsn: c.lsn, flags: c.flags }));
  const first = suspects[0];
  return {
    scanned: { from: formatLsn(backupStartLsn(o.backup)), to: reader.lastLsn, records: reader.records, segments: segments.length },
    commits: found.commits,
    restorePoints: found.restorePoints,
    suspects,
    proposal: first
      ? {
          xid: first.xid,
          exclusive: true,
          command: `${o.program ?? 'dingo-recover'} drill ${shellQuote(o.archive)} --target-xid ${first.xid} --target-exclusive`,
        }
      : null,
  };
}
