/**
 * The copy a drill restored, as its `look` sees it, and what the drill reads from it: the look, then
 * the operator's query (or the databases' names) as a role that is no superuser, once the copy was made
 * safe to read (systems/pg-reader.ts); a copy paused at its target takes no query, and is read from the
 * catalog by our own session.
 */
import type { TableLines } from '../systems/pg-query.js';
import { disarmForQuery } from '../systems/pg-reader.js';
import type { ArchiveReport, BaseBackupInfo } from '../wale/report.js';
import type { DrillServer } from './cluster-setup.js';
import { majorNumber } from './local-pg.js';
import { pausedLines } from './recover.js';
import type { ReplayFacts } from './replay.js';
import { queryRestored } from './restored-checks.js';
import type { ScratchCluster } from './scratch-cluster.js';

/** What a `look` is given: the recovered scratch server, the archived WAL the drill fetched (decompressed), the base backup. */
export interface RestoredCopy {
  cluster: ScratchCluster;
  walDir: string;
  pg: DrillServer;
  backup: BaseBackupInfo;
  report: ArchiveReport;
  /** The bootstrap superuser's connection, for catalog reads that need no reader. */
  conn: { user: string; database: string };
  /** The copy is a hot standby paused at the target (the drill's `pause`): nothing can be written to it. */
  paused: boolean;
  /**
   * COPY of the tenant's tables (volumes/table-readout.ts): as the reader role once the copy was made
   * safe for it, or, paused, as each table's owner when that role is safe to read as
   * (systems/pg-reader.ts pauseReaderRefused), never as a superuser.
   */
  lines: TableLines;
}

/** What the drill was asked to read: the look, the query and the rows it must return, the role it runs as. */
interface Reading {
  query?: string;
  expectRows?: number;
  dbUser?: string;
  look?: (copy: RestoredCopy) => Promise<void>;
}

const DEFAULT_QUERY = 'select datname from pg_catalog.pg_database where not datistemplate order by datname';

/** The copy looked at, then its query's rows (run as `dbUser`, or the bootstrap superuser `conn` names, by SET ROLE). */
export async function readRestored(
  copy: Omit<RestoredCopy, 'lines'>,
  asked: Reading,
  replay: ReplayFacts,
): Promise<{ sql: string; rows: string[][] }> {
  const { cluster: restored, conn } = copy;
  const sql = asked.query ?? DEFAULT_QUERY;
  if (copy.paused) {
    if (asked.query) throw new Error('a paused copy takes no query: nothing can be written to it to make its reader');
    if (asked.look) await asked.look({ ...copy, lines: pausedLines(restored, conn) });
    // Nothing is written to a paused copy: the databases are read from the catalog, by our session.
    return { sql, rows: (await restored.query(DEFAULT_QUERY, conn)).rows };
  }
  // What this changes in the throwaway copy (roles' powers) is no news about the archive: not a warning.
  await restored.prepareReading(conn, majorNumber(copy.pg.major));
  if (asked.look) await asked.look({ ...copy, lines: (database, text) => restored.readLines(text, database) });
  // The operator's query may reach the archive's views and foreign tables: none runs as a superuser, loads a library or reads a foreign table.
  if (asked.query) await disarmForQuery(async (database, text) => (await restored.query(text, { ...conn, database })).rows, conn.database);
  const role = asked.dbUser ?? conn.user;
  return { sql, rows: await queryRestored(restored, sql, { ...conn, role }, asked.expectRows, replay, copy.report) };
}
