/**
 * What a drill checks once the server has recovered: replay reached the archive's newest WAL,
 * and the query answers on the restored database as expected.
 */
import type { ArchiveReport, LostWal } from '../wale/report.js';
import { DrillFailed } from './exit-codes.js';
import { messageOf } from '../core/errors.js';
import { lostRange, replayShortfall, type ReplayFacts } from './replay.js';
import type { ScratchCluster } from './scratch-cluster.js';
import { sqlIdent } from '../core/sql-quote.js';
import { powersOf, READER_ROLE } from '../systems/pg-reader.js';
import type { TargetTime } from './target-time.js';

/**
 * The archived WAL replay did not reach, when the inspection found no hole: "not restorable"
 * when the archive must replay completely, a warning otherwise. Given the moment a recovery was
 * to reach, and ended short of: "not restorable", naming the hole, for the moment may lie past it.
 */
export function checkReplayReached(
  warnings: string[],
  replay: Pick<ReplayFacts, 'lastLsn' | 'lastSegment' | 'lastTransactionAt'>,
  report: ArchiveReport,
  major: string,
  requireComplete: boolean,
  target?: TargetTime | null,
): LostWal | null {
  const short = replayShortfall(replay, report.restorableTo, major);
  if (short && target) {
    const reached = `${replay.lastLsn ?? replay.lastSegment ?? 'the start'}${replay.lastTransactionAt ? ` (last transaction replayed committed ${replay.lastTransactionAt})` : ''}`;
    throw new DrillFailed(
      'not-restorable',
      `PostgreSQL ${major} ended recovery at ${reached}, where the WAL it could fetch ran out, short of ${target.given} ${target.iso}: WAL ${lostRange(short)} was not replayed (${short.from} is missing or damaged), so what was committed after that and before the moment would be missing`,
      {
        hint: `Look for ${short.from} in another copy of the archive, or give a moment after the end of a base backup taken after the hole (archive inspect lists them).`,
        lost: short,
      },
    );
  }
  if (short && requireComplete) {
    throw new DrillFailed(
      'not-restorable',
      `replay stopped at ${replay.lastLsn ?? replay.lastSegment ?? 'the start'}, but the archive's WAL goes on to ${short.to}: WAL ${lostRange(short)} was not replayed, so what was written after ${replay.lastLsn ?? 'that'} would be lost`,
      {
        hint: `${short.from} is damaged or could not be fetched: see the server log (kept with --keep) and check that segment in the archive.`,
        lost: short,
      },
    );
  }
  if (short) warnings.push(`replay stopped before the newest archived WAL: ${lostRange(short)} was not replayed.`);
  return short;
}

/**
 * The search_path of the operator's query: its tables in public are found by name, but pg_catalog
 * comes first, so a function or operator of the archive's with a system one's name and arguments never wins.
 */
const OPERATOR_SEARCH_PATH = 'pg_catalog,public,pg_temp';

/**
 * The rows of the drill's query on the restored database; "query failed" on an error or an unexpected
 * count. The query runs as the reader role, no superuser, in a READ ONLY transaction; as `conn.role`
 * (SET ROLE, after making the reader a member of it) when that is not the superuser we connect as.
 */
export async function queryRestored(
  cluster: ScratchCluster,
  sql: string,
  conn: { user: string; database: string; role: string },
  expectRows: number | undefined,
  replay: Pick<ReplayFacts, 'lastLsn' | 'lastSegment' | 'lastTransactionAt'>,
  report: ArchiveReport,
): Promise<string[][]> {
  let rows: string[][];
  try {
    const asRole = conn.role === conn.user ? sql : `set role ${sqlIdent(conn.role)}; ${sql}`;
    if (conn.role !== conn.user) await admitRole(cluster, conn);
    rows = (await cluster.read(asRole, conn.database, OPERATOR_SEARCH_PATH)).rows;
  } catch (err) {
    if (err instanceof DrillFailed) throw err;
    throw new DrillFailed('query-failed', `the query failed on the restored database: ${messageOf(err)}`, {
      hint: `Check the SQL, or the user/database (${conn.role}/${conn.database}) with --db-user/--db-name.`,
    });
  }
  if (expectRows !== undefined && rows.length !== expectRows) {
    throw new DrillFailed(
      'query-failed',
      `the query returned ${rows.length} row(s), expected ${expectRows}; replay reached ${replay.lastSegment ?? 'no archived segment'}${replay.lastTransactionAt ? ` (last transaction ${replay.lastTransactionAt})` : ''}${report.gaps.length ? `; WAL is missing from ${report.gaps[0]!.from}` : ''}`,
      { hint: 'Rows written after the last archived WAL are lost; a gap in wal_005/ stops replay early.' },
    );
  }
  return rows;
}

/**
 * The reader made a member of `conn.role`, refused when that role is a superuser in the copy or a
 * member, directly or through other roles, of a superuser or of a role that runs programs or touches
 * the server's files: the query's code could SET ROLE to it (pg_has_role, not rolsuper alone).
 */
async function admitRole(cluster: ScratchCluster, conn: { user: string; database: string; role: string }): Promise<void> {
  const why = await powersOf(async (database, sql) => (await cluster.query(sql, { ...conn, database })).rows, conn.database, conn.role);
  if (why) {
    throw new DrillFailed('query-failed', `--db-user ${conn.role} ${why} in the restored cluster: the query runs as no superuser`, {
      hint: "Leave --db-user out (the query then reads every table as a role of the drill's that is no superuser), or name a role that is no superuser nor a member of one.",
    });
  }
  await cluster.query(`grant ${sqlIdent(conn.role)} to ${sqlIdent(READER_ROLE)}`, conn);
}
