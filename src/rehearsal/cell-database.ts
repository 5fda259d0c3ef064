/**
 * A simulated container's database answering the typed calls of the container database seam
 * (core/seams.ts ContainerDatabase): psql either as a role with its password over TCP or over the
 * trusted local socket as the postgres OS user, answering the recovery's queries and running ALTER
 * ROLE … PASSWORD scripts, all or nothing; the load's questions, scripts and pg_restore (cell-load.ts).
 * It holds no table's rows: a merge's reads are refused (a scenario's `postgres:` container is a real server).
 */
import type { DatabaseCall, PsqlCall } from '../core/seams.js';
import { RECOVERY_QUERY } from '../adapters/postgres-readiness.js';
import { REPLICATION_QUERY } from '../adapters/pg-replication.js';
import { replicationRows } from './cell-sim-replication.js';
import { besideRecovery } from '../adapters/postgres-replay.js';
import { answerReplayQuery } from './restore-replay.js';
import { databaseQuery, extensionScript, pgRestore } from './cell-load.js';
import { type CellWorld, execRefusal, fail, logLine, ok, type Out, serverVersionNum, type SimContainer } from './cell-world.js';
import { patroniSays } from './patroni-lines.js';

/** A call to the database of a container of the cell, as `docker exec` of its client would answer; `dump`: a restore's bytes. */
export function answerCall(state: CellWorld, call: DatabaseCall, dump: Buffer, now: Date = new Date()): Out {
  const target = execRefusal(state, call.container);
  if ('refused' in target) return target.refused;
  const { c } = target;
  return call.kind === 'restore' ? pgRestore(c, call, dump) : psql(c, call, now);
}

/** A psql session: a role with its password over TCP, or the local socket as the postgres OS user, which the image's pg_hba trusts. */
function psql(c: SimContainer, call: PsqlCall, now: Date): Out {
  const { login, sql } = call;
  const user = login.user;
  if (login.socket && (user !== 'postgres' || c.pg.localTrust === false))
    return fail(2, `psql: FATAL:  Peer authentication failed for user "${user}"\n`);
  if (!c.pg.ready) {
    return fail(
      2,
      'psql: could not connect to server: Connection refused\n\tIs the server running on host "127.0.0.1" and accepting\n\tTCP/IP connections on port 5432?\n',
    );
  }
  if (!login.socket && (!(user in c.pg.roles) || c.pg.roles[user] !== login.password)) {
    return fail(2, `psql: FATAL:  password authentication failed for user "${user}"\n`);
  }
  const database = call.database ?? 'postgres';
  if (call.mode === 'query') return databaseQuery(c, database, sql) ?? psqlQuery(c, user, sql, now);
  if (call.mode === 'script') return extensionScript(c, user, database, sql) ?? psqlScript(c, sql);
  return fail(1, `ERROR:  the simulated container ${c.name} holds no rows of its tables to read\n`);
}

/** The query cell.reconcile-credentials logs in with to tell whether a role takes its new password. */
const LOGIN_CHECK_QUERY = 'select current_user';

/**
 * One query: the login check, the standbys, WAL replay's progress, or pg_is_in_recovery(), which
 * turns false after some polls, alone or with one of the others beside it (one row, `|` between).
 */
function psqlQuery(c: SimContainer, user: string, sql: string, now: Date): Out {
  if (sql === LOGIN_CHECK_QUERY) return ok(`${user}\n`);
  if (sql === REPLICATION_QUERY) return replicationRows(c.pg);
  const replay = answerReplayQuery(c.pg, sql, serverVersionNum(c.image));
  if (replay) return replay;
  const beside = besideRecovery(sql);
  if (beside !== undefined) {
    // A query the cell cannot answer fails whole, before the node's recovery moves on; the position is where it stands after.
    if (!answerReplayQuery(c.pg, beside, serverVersionNum(c.image))) return fail(1, `ERROR:  the simulated cell does not answer: ${sql}\n`);
    const state = inRecovery(c, now);
    return ok(`${state.stdout.trimEnd()}|${answerReplayQuery(c.pg, beside, serverVersionNum(c.image))!.stdout.trimEnd()}\n`);
  }
  if (sql !== RECOVERY_QUERY) return fail(1, `ERROR:  the simulated cell does not answer: ${sql}\n`);
  return inRecovery(c, now);
}

/** pg_is_in_recovery(): true for some polls of a restoring node, then false once Patroni promotes it. */
function inRecovery(c: SimContainer, now: Date): Out {
  if (!c.pg.inRecovery) return ok('f\n');
  if (c.pg.pollsUntilPromoted > 0) {
    c.pg.pollsUntilPromoted -= 1;
    return ok('t\n');
  }
  c.pg.inRecovery = false;
  // Patroni took the leader key and promoted the node (ha.py).
  const scope6 = (c.env.find((e) => e.startsWith('PATRONI_SCOPE=')) ?? '').slice('PATRONI_SCOPE='.length, 'PATRONI_SCOPE='.length + 6);
  logLine(c, now, patroniSays(scope6, now, 'promoted self to leader by acquiring session lock'));
  return ok('f\n');
}

const ALTER_ROLE = /^ALTER ROLE ("(?:[^"]|"")+") WITH PASSWORD ('(?:[^']|'')*');$/;

/** BEGIN; ALTER ROLE "r" WITH PASSWORD '…'; … COMMIT; — all or nothing, like the real transaction. */
function psqlScript(c: SimContainer, script: string): Out {
  const changes: Record<string, string> = {};
  const lines = script.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '' || line === 'BEGIN;' || line === 'COMMIT;') continue;
    const m = ALTER_ROLE.exec(line);
    if (!m) return fail(3, `psql:<stdin>:${n + 1}: ERROR:  syntax error (the simulated cell only runs ALTER ROLE … PASSWORD)\n`);
    const role = m[1]!.slice(1, -1).replace(/""/g, '"');
    if (!(role in c.pg.roles)) return fail(3, `psql:<stdin>:${n + 1}: ERROR:  role "${role}" does not exist\n`);
    changes[role] = m[2]!.slice(1, -1).replace(/''/g, "'");
  }
  Object.assign(c.pg.roles, changes);
  return ok();
}
