/**
 * How far a restoring PostgreSQL has replayed the archive, asked in the words of its version:
 * `pg_last_xlog_replay_location()` on 9.x, `pg_last_wal_replay_lsn()` from 10 (the xlog→wal
 * rename); from 9.6 `pg_control_checkpoint()` also tells the timeline. Asked only to show
 * progress: whatever goes wrong is said, never thrown. A poll of the restore wait asks it beside
 * `pg_is_in_recovery()`, in the same psql (recoveryPollQuery).
 */
import type { Redactor } from '../core/redact.js';
import type { CommandResult } from '../core/seams.js';

export const VERSION_QUERY = 'show server_version_num';
/** The server version as a select, so it can ride beside another column. */
export const VERSION_SELECT = "select current_setting('server_version_num')";
const BESIDE_RECOVERY = 'select pg_is_in_recovery(), ';

/** "9.5" from 90519, "10" from 100004: the major of a server_version_num. */
export function majorOfVersionNum(versionNum: number): string {
  return versionNum >= 100_000
    ? String(Math.floor(versionNum / 10_000))
    : `${Math.floor(versionNum / 10_000)}.${Math.floor(versionNum / 100) % 100}`;
}

/** The query for the replay location on a server of `versionNum` (e.g. 90519, 100004). */
export function replayQuery(versionNum: number): string {
  const location = versionNum >= 100_000 ? 'pg_last_wal_replay_lsn()' : 'pg_last_xlog_replay_location()';
  return versionNum >= 90_600 ? `select ${location}, timeline_id from pg_control_checkpoint()` : `select ${location}`;
}

/**
 * One poll of a restoring server in one psql: pg_is_in_recovery(), beside the server version while
 * it is not known, then beside where replay stands (replayQuery).
 */
export function recoveryPollQuery(versionNum?: number): string {
  return (versionNum === undefined ? VERSION_SELECT : replayQuery(versionNum)).replace(/^select /, BESIDE_RECOVERY);
}

/** What a recoveryPollQuery asks beside pg_is_in_recovery(), as a query of its own; undefined for any other SQL. */
export function besideRecovery(sql: string): string | undefined {
  return sql.startsWith(BESIDE_RECOVERY) ? `select ${sql.slice(BESIDE_RECOVERY.length)}` : undefined;
}

/** A server_version_num as psql printed it, or why it is none. */
export function versionNumOf(out: string): number | { detail: string } {
  const num = Number(out.trim());
  return Number.isInteger(num) && num >= 80_000 ? num : { detail: `server_version_num is ${JSON.stringify(out.trim())}` };
}

/** Where replay stands: the LSN ("0/3000060") of the last record replayed, and the timeline if the server says. */
interface ReplayPosition {
  lsn: string;
  timeline?: number;
  versionNum: number;
}

export type ReplayAnswer = { kind: 'position'; position: ReplayPosition } | { kind: 'unknown'; detail: string };

const LSN = /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i;

/** `psql -tA` output of `replayQuery`: "0/3000060" or "0/3000060|1". */
export function parseReplayRow(stdout: string, versionNum: number): ReplayAnswer {
  const [lsn = '', timeline] = stdout.trim().split('|');
  if (lsn === '') return { kind: 'unknown', detail: 'no WAL replayed yet' };
  if (!LSN.test(lsn)) return { kind: 'unknown', detail: `unexpected replay location ${JSON.stringify(stdout.trim().slice(0, 80))}` };
  const tli = timeline === undefined ? undefined : Number(timeline);
  const position: ReplayPosition = { lsn: lsn.toUpperCase(), versionNum };
  if (tli !== undefined && Number.isInteger(tli) && tli > 0) position.timeline = tli;
  return { kind: 'position', position };
}

/** Runs one `psql -tAc SQL` in the container, with whatever login works. */
export type PsqlQuery = (sql: string) => Promise<CommandResult>;

/** Asks one query; its output, or what went wrong in words. */
async function ask(query: PsqlQuery, sql: string, redactor: Redactor): Promise<{ out: string } | { detail: string }> {
  try {
    const result = await query(sql);
    if (result.exitCode === 0) return { out: result.stdout };
    const said = redactor.redact(result.stderr.trim().split('\n')[0] ?? '');
    return { detail: `\`${sql}\`: psql exit ${result.exitCode}${said ? `: ${said}` : ''}` };
  } catch (err) {
    return { detail: redactor.redact(err instanceof Error ? err.message : String(err)) };
  }
}

/**
 * A function asking a server for its replay position; it learns the server version on its first
 * call (unless given) and keeps it.
 */
export function replayProbe(redactor: Redactor, known?: number): (query: PsqlQuery) => Promise<ReplayAnswer> {
  let versionNum = known;
  return async (query) => {
    if (versionNum === undefined) {
      const version = await ask(query, VERSION_QUERY, redactor);
      if ('detail' in version) return { kind: 'unknown', detail: version.detail };
      const num = versionNumOf(version.out);
      if (typeof num !== 'number') return { kind: 'unknown', detail: num.detail };
      versionNum = num;
    }
    const row = await ask(query, replayQuery(versionNum), redactor);
    return 'detail' in row ? { kind: 'unknown', detail: row.detail } : parseReplayRow(row.out, versionNum);
  };
}
