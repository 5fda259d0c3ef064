/**
 * `docker exec` on the simulated cell: pg_isready, and psql either as a role with its password
 * over TCP (the adapter's PSQL_VIA_STDIN) or over the trusted local socket as the postgres user,
 * either under `env NAME=VALUE…` (PGOPTIONS, which the server checks at login). psql answers the recovery query and runs ALTER ROLE … PASSWORD scripts, all or nothing.
 */
import { PSQL_VIA_STDIN } from '../adapters/psql.js';
import { RECOVERY_QUERY } from '../adapters/postgres-readiness.js';
import { REPLICATION_QUERY } from '../adapters/pg-replication.js';
import { controlData, replicationRows } from './cell-sim-replication.js';
import { answerReplayQuery, historyFile, type RestoringPg } from './restore-replay.js';
import { PG_RESTORE_VIA_STDIN } from '../adapters/pg-load.js';
import { databaseQuery, extensionScript, pgRestore } from './cell-load.js';
import { type CellWorld, fail, findContainer, logLine, ok, type Out, serverVersionNum, type SimContainer } from './cell-world.js';
import { patroniSays } from './patroni-lines.js';

export function exec(state: CellWorld, a: string[], input: Buffer, now: Date = new Date()): Out {
  let i = 0;
  let osUser = 'root';
  while (a[i]?.startsWith('-')) {
    if (a[i] === '-u' || a[i] === '--user') osUser = a[++i] ?? osUser;
    i += 1;
  }
  const name = a[i] ?? '';
  const { env, cmd } = withEnv(a.slice(i + 1));
  const c = findContainer(state, name);
  if (!c) return fail(1, `Error response from daemon: No such container: ${name}\n`);
  if (!c.running) return fail(1, `Error response from daemon: Container ${c.id} is not running\n`);
  // psql reads text; a pg_restore's dump stays bytes.
  const stdin = input.toString('utf8');
  if (cmd[0] === 'pg_isready') {
    const where = `${valueAfter(cmd, '-h') ?? '/var/run/postgresql'}:${valueAfter(cmd, '-p') ?? '5432'}`;
    return c.pg.ready ? ok(`${where} - accepting connections\n`) : fail(2, '', `${where} - no response\n`);
  }
  if (cmd[0] === 'sh' && cmd[1] === '-c' && cmd[2] === PSQL_VIA_STDIN && cmd[3] === 'sh') {
    const nl = stdin.indexOf('\n');
    return psql(
      c,
      { user: cmd[4] ?? '', password: nl < 0 ? stdin : stdin.slice(0, nl), options: env.PGOPTIONS },
      cmd.slice(5),
      nl < 0 ? '' : stdin.slice(nl + 1),
      now,
    );
  }
  if (cmd[0] === 'sh' && cmd[1] === '-c' && cmd[2] === PG_RESTORE_VIA_STDIN && cmd[3] === 'sh') {
    // The password line is text; the dump after it stays bytes.
    const nl = input.indexOf(0x0a);
    const password = (nl < 0 ? input : input.subarray(0, nl)).toString('utf8');
    return pgRestore(c, { user: cmd[4] ?? '', password }, cmd.slice(5), nl < 0 ? Buffer.alloc(0) : input.subarray(nl + 1));
  }
  // A restore that was promoted ended on timeline 1 and goes on on timeline 2.
  if (cmd[0] === 'pg_controldata') return controlData(c.pg, cmd[1], osUser, (c.pg as RestoringPg).replay && !c.pg.inRecovery ? 2 : 1);
  // The new timeline's history file a promoted restore wrote (root or postgres may read it).
  if (cmd[0] === 'cat' && cmd.length === 2) return historyFile(c.pg, cmd[1]!) ?? fail(1, `cat: ${cmd[1]}: No such file or directory\n`);
  // psql over the local socket as the postgres OS user: the image's pg_hba trusts local connections.
  if (cmd[0] === 'psql' && cmd.slice(1, 5).join(' ') === '-X -w -d postgres') {
    if (osUser !== 'postgres' || c.pg.localTrust === false)
      return fail(2, `psql: FATAL:  Peer authentication failed for user "postgres"\n`);
    return psql(c, { user: 'postgres', password: null, options: env.PGOPTIONS }, cmd.slice(5), stdin, now);
  }
  return fail(127, `exec: "${cmd[0] ?? ''}": executable file not found in $PATH\n`);
}

/**
 * `env NAME=VALUE… CMD…` as env runs it: its assignments (`vars`, in order), the variables they set
 * (a later one of a name wins) and the command they are set for.
 */
export function withEnv(cmd: string[]): { vars: string[]; env: Record<string, string | undefined>; cmd: string[] } {
  if (cmd[0] !== 'env') return { vars: [], env: {}, cmd };
  let k = 1;
  while (k < cmd.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(cmd[k]!)) k++;
  const vars = cmd.slice(1, k);
  const env = Object.fromEntries(vars.map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]));
  return { vars, env, cmd: cmd.slice(k) };
}

/**
 * A server's refusal of PGOPTIONS it cannot take, as PostgreSQL gives it at login, or null. libpq
 * splits the options at spaces; the server takes `-c NAME=VALUE` (or `-cNAME=VALUE`) of a setting it
 * knows: of those the adapters send, search_path.
 */
function refusedOptions(options: string | undefined): string | null {
  const words = (options ?? '').split(/\s+/).filter(Boolean);
  for (let k = 0; k < words.length; k++) {
    const word = words[k] === '-c' ? words[++k] : words[k]!.startsWith('-c') ? words[k]!.slice(2) : undefined;
    if (word === undefined || !word.includes('='))
      return `psql: FATAL:  invalid command-line argument for server process: ${words[k] ?? '-c'}\n`;
    const setting = word.slice(0, word.indexOf('=')).toLowerCase();
    if (setting !== 'search_path') return `psql: FATAL:  unrecognized configuration parameter "${setting}"\n`;
  }
  return null;
}

function valueAfter(list: string[], flag: string): string | undefined {
  const i = list.indexOf(flag);
  return i >= 0 ? list[i + 1] : undefined;
}

/**
 * A psql session: a role with its password over TCP, or (password null) the trusted local socket;
 * `options` is its PGOPTIONS, which the server checks at login.
 */
function psql(
  c: SimContainer,
  login: { user: string; password: string | null; options?: string },
  args: string[],
  script: string,
  now: Date,
): Out {
  const { user, password } = login;
  if (!c.pg.ready) {
    return fail(
      2,
      'psql: could not connect to server: Connection refused\n\tIs the server running on host "127.0.0.1" and accepting\n\tTCP/IP connections on port 5432?\n',
    );
  }
  if (password !== null && (!(user in c.pg.roles) || c.pg.roles[user] !== password)) {
    return fail(2, `psql: FATAL:  password authentication failed for user "${user}"\n`);
  }
  const refused = refusedOptions(login.options);
  if (refused) return fail(2, refused);
  // A later -d wins over the adapter's -d postgres, as psql reads its options.
  const database = args[0] === '-d' ? (args[1] ?? '') : 'postgres';
  if (args[0] === '-d') args = args.slice(2);
  if (args[0] === '-tAc') return databaseQuery(c, database, args[1] ?? '') ?? psqlQuery(c, user, args[1] ?? '', now);
  if (args.join(' ') === '-q -v ON_ERROR_STOP=1') return extensionScript(c, user, database, script) ?? psqlScript(c, script);
  return fail(1, `psql: the simulated cell does not know the options ${args.join(' ')}\n`);
}

/** The query cell.reconcile-credentials logs in with to tell whether a role takes its new password. */
const LOGIN_CHECK_QUERY = 'select current_user';

/** One -tAc query: the login check, or pg_is_in_recovery(), which turns false after some polls. */
function psqlQuery(c: SimContainer, user: string, sql: string, now: Date): Out {
  if (sql === LOGIN_CHECK_QUERY) return ok(`${user}\n`);
  if (sql === REPLICATION_QUERY) return replicationRows(c.pg);
  const replay = answerReplayQuery(c.pg, sql, serverVersionNum(c.image));
  if (replay) return replay;
  if (sql !== RECOVERY_QUERY) return fail(1, `ERROR:  the simulated cell does not answer: ${sql}\n`);
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
