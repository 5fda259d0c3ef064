/**
 * `archive mistakes`: which transaction did the damage. The base backup before the window is
 * restored as the drill restores it (sandboxed scratch server, `--target immediate`: its catalog as
 * it was then), the archived WAL the drill fetched from that backup on is read by a pg_waldump of the
 * archive's major, run as the scratch account in the drill's sandbox, and every commit up to the end
 * of the window is listed with the tables it changed (named through the restored catalog, read as the
 * reader role), the TRUNCATEs, DROPs and mass DELETEs or UPDATEs pointed out, and the stop proposed:
 * just before the first of them (`--target-xid X --target-exclusive`).
 */
import type { Redactor } from '../core/redact.js';
import { join } from 'node:path';
import { readdir } from 'node:fs/promises';
import type { LocalProcesses, ObjectStore } from '../core/seams.js';
import { formatS3Url, parseS3Url } from '../core/s3-url.js';
import { shellQuote } from '../core/shell-quote.js';
import { inspectArchive } from '../archive/inspect.js';
import { findMistakes, type Catalog, type CommitFound, type RelationName } from '../wale/mistakes.js';
import { formatLsn, formatSegment, nextSegment, parseSegment, segmentIndex, tryParseSegment } from '../wale/segments.js';
import { WalDumpReader, WalDumpUnreadable } from '../wale/waldump.js';
import { archiveMajor } from './archive-checks.js';
import { backupEnds, chooseBackup, type TargetTime } from './target-time.js';
import { runDrill, type RestoredCopy } from './drill.js';
import { DrillFailed } from './exit-codes.js';
import { chooseLocalPg, majorNumber, majorOf } from './local-pg.js';
import { backupStartLsn } from './target-backup.js';

export interface MistakesOptions {
  url: string;
  store: ObjectStore;
  /** The end of the window (default: the archive's end). */
  until?: TargetTime;
  /** The window starts at the newest base backup that ended before this moment (default: before `until`, else LATEST). */
  since?: TargetTime;
  /** A DELETE or UPDATE of this many rows of one table is pointed out. */
  massRows: number;
  pgBin?: string;
  binRoot?: string;
  processes: LocalProcesses;
  /** The folder the restore's temporary folder is made in. */
  workdir: string;
  /** The command's clock. */
  now: () => Date;
  /** Keeps the command's secrets out of what it reports. */
  redactor: Redactor;
  deadlineMs?: number;
  signal?: AbortSignal;
  progress?: (message: string) => void;
  /** The command name the proposed command lines start with. */
  program?: string;
}

export interface MistakesReport {
  archive: string;
  backup: string;
  postgresMajor: string;
  /** The WAL read: from the backup's start to where pg_waldump got. */
  scanned: { from: string; to: string | null; records: number; segments: number };
  until: string | null;
  commits: CommitFound[];
  restorePoints: { name: string; lsn: string }[];
  /** The commits pointed out, oldest first. */
  suspects: { xid: string; at: string; lsn: string; flags: string[] }[];
  /** Stop just before the first suspect. */
  proposal: { xid: string; exclusive: true; command: string } | null;
  warnings: string[];
}

/** Segments pg_waldump reads at a time: its text is held in memory one run at a time. */
const SEGMENTS_PER_RUN = 4;

/**
 * The pg_waldump beside the server binaries of `major` (before 10, pg_xlogdump: `pg_xlogdump (PostgreSQL)
 * 9.5.19` is 9.5's), refused naming what to install when there is none or another major's.
 */
export async function waldumpOf(major: string, o: Pick<MistakesOptions, 'pgBin' | 'binRoot'>, processes: LocalProcesses): Promise<string> {
  const pg = await chooseLocalPg(major, o.pgBin, processes, o.binRoot);
  const waldump = join(pg.bin, majorNumber(major) < 10 ? 'pg_xlogdump' : 'pg_waldump');
  const r = await processes.run([waldump, '--version']).catch(() => null);
  const version = r?.code === 0 ? /\(PostgreSQL\)\s+(\S+)/.exec(r.stdout)?.[1] : undefined;
  if (!version || majorOf(version) !== major) {
    throw new DrillFailed(
      'could-not-run',
      version
        ? `${waldump} is PostgreSQL ${version}'s, and the archive was written by PostgreSQL ${major}: WAL is read only by its own major's pg_waldump`
        : `no pg_waldump of PostgreSQL ${major} beside its server binaries in ${pg.bin}`,
      {
        hint: `Install PostgreSQL ${major}'s server package (Debian: postgresql-${major}, which ships pg_waldump) and point --pg-bin at its bin folder.`,
      },
    );
  }
  return waldump;
}

/** The restored catalog's relations, per database, read as the reader role. */
async function readCatalog(copy: RestoredCopy, warnings: string[]): Promise<Catalog> {
  const byFile = new Map<string, RelationName>();
  const byOid = new Map<string, RelationName>();
  const dbs = (await copy.cluster.read('select oid, datname from pg_catalog.pg_database where datallowconn', copy.conn.database)).rows;
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
      rows = (
        await copy.cluster.read(
          `select pg_catalog.pg_relation_filenode(c.oid), c.oid, case when c.reltablespace operator(pg_catalog.=) 0 then d.dattablespace else c.reltablespace end, n.nspname, c.relname, c.relkind
             from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) c.relnamespace
             join pg_catalog.pg_database d on d.datname operator(pg_catalog.=) pg_catalog.current_database()`,
          datname,
        )
      ).rows;
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
  const s = parseSegment(name);
  return (BigInt(s.log) << 32n) + BigInt(s.seg) * 16n * 1024n * 1024n;
}

/** pg_waldump over `segments` in runs, its lines read strictly; where it stopped when the WAL ends or breaks. */
async function dumpWal(
  waldump: string,
  copy: RestoredCopy,
  segments: string[],
  startLsn: bigint,
  warnings: string[],
): Promise<WalDumpReader> {
  const reader = new WalDumpReader();
  const tli = String(parseSegment(segments[0]!).tli);
  for (let i = 0; i < segments.length; i += SEGMENTS_PER_RUN) {
    const last = i + SEGMENTS_PER_RUN >= segments.length;
    const from = i === 0 ? startLsn : segmentStart(segments[i]!);
    const argv = [waldump, `--path=${copy.walDir}`, `--timeline=${tli}`, `--start=${formatLsn(from)}`];
    if (!last) argv.push(`--end=${formatLsn(segmentStart(segments[i + SEGMENTS_PER_RUN]!))}`);
    // The tenant's WAL is read in the drill's sandbox, as its server's account, where it can write nothing.
    const r = await copy.cluster.sandbox.run(argv, { env: { TZ: 'UTC', LC_ALL: 'C', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
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

export async function findArchiveMistakes(o: MistakesOptions): Promise<MistakesReport> {
  const processes = o.processes;
  const { bucket, prefix } = parseS3Url(o.url);
  const archive = formatS3Url(bucket, prefix);
  o.progress?.(`inspecting ${archive}`);
  const report = await inspectArchive(o.store, archive, { redactor: o.redactor });
  if (!report.restorable || !report.latest) {
    throw new DrillFailed(
      'not-restorable',
      `${archive} is not restorable: ${report.problems.join('; ') || 'it has no complete base backup'}`,
      {
        hint: 'archive inspect --window shows what each base backup reaches.',
      },
    );
  }
  const from = o.since ?? o.until;
  let backup = report.latest;
  if (from) {
    const ends = await backupEnds({ store: o.store, bucket, prefix, processes }, report);
    backup = chooseBackup(ends.known, report, from, ends.unknown).backup;
  }
  const major = archiveMajor(report, backup);
  const waldump = await waldumpOf(major, o, processes);
  const warnings: string[] = [];
  const seen: { result?: Omit<MistakesReport, 'warnings' | 'archive' | 'backup' | 'postgresMajor' | 'until'> } = {};
  const drill = await runDrill({
    redactor: o.redactor,
    url: o.url,
    store: o.store,
    processes,
    workdir: o.workdir,
    now: o.now,
    pgBin: o.pgBin,
    binRoot: o.binRoot,
    backup: backup.name,
    target: { stop: { kind: 'immediate' }, exclusive: false, timeline: 'latest' },
    deadlineMs: o.deadlineMs,
    signal: o.signal,
    progress: o.progress,
    look: async (copy) => {
      o.progress?.('reading the restored catalog');
      const catalog = await readCatalog(copy, warnings);
      const { segments, hole } = await segmentsToRead(copy.walDir, backup.startSegment, major);
      if (hole) warnings.push(`WAL ${hole} is not in the archive: the scan stops before it`);
      o.progress?.(`reading ${segments.length} WAL segment(s) with ${waldump}`);
      const reader = segments.length ? await dumpWal(waldump, copy, segments, backupStartLsn(backup), warnings) : new WalDumpReader();
      const found = findMistakes(reader.events, catalog, { massRows: o.massRows, until: o.until?.at });
      const suspects = found.commits.filter((c) => c.flags.length > 0).map((c) => ({ xid: c.xid, at: c.at, lsn: c.lsn, flags: c.flags }));
      const first = suspects[0];
      seen.result = {
        scanned: { from: formatLsn(backupStartLsn(backup)), to: reader.lastLsn, records: reader.records, segments: segments.length },
        commits: found.commits,
        restorePoints: found.restorePoints,
        suspects,
        proposal: first
          ? {
              xid: first.xid,
              exclusive: true,
              command: `${o.program ?? 'dingo-recover'} drill ${shellQuote(archive)} --target-xid ${first.xid} --target-exclusive`,
            }
          : null,
      };
    },
  });
  const result = seen.result;
  if (!result) throw new Error('the restored copy was not looked at');
  return {
    archive,
    backup: backup.name,
    postgresMajor: major,
    until: o.until?.iso ?? null,
    ...result,
    warnings: [...drill.warnings, ...warnings],
  };
}
