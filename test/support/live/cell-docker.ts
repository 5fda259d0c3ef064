/**
 * The cell's `docker` for the live end-to-end test: the Docker 1.11 client stand-in of
 * test/support/fake-docker (the rehearsal's cell simulator answering, state in
 * cell-world.json next to the --host socket path), plus what a Dingo patroni container does
 * when it starts, judged from the REAL parts:
 *
 * - /data (the real folder on this machine) still holds a cluster: it resumes that database.
 * - /data is empty and etcd (real, at the container's ETCD_HOST_PORT) has the instance's
 *   /initialize holding another system identifier than the archive's at its prefix: Patroni refuses
 *   to start ("system ID mismatch"), the container exits, and the restart policy `always` makes that
 *   a crash loop (src/rehearsal/crash-loop.ts).
 * - /data is empty and /initialize holds the archive's system identifier: it restores the archive at
 *   its prefix in S3 (moto): it reads sysids/sysid there, replays for a couple of polls
 *   (pg_is_in_recovery() = t), and the restored database holds that archive's roles and passwords.
 * - /data is empty and etcd has no /initialize: the image's restore_leader_if_missing.sh writes none
 *   (dingo-postgresql-release 1d353d3, images/postgresql95-patroni/scripts/postgres/), so Patroni
 *   bootstraps a new empty database (src/rehearsal/restore.ts).
 * - etcd still has the instance's /leader (restore_leader_if_missing.sh looks for it first): it
 *   says "leader exists, no additional preparation required for container to join cluster" and
 *   only waits to join that leader; PostgreSQL never comes up.
 * - `docker stop` kills it (run.sh does not pass SIGTERM on): its Patroni never deletes its keys,
 *   so its /leader (while it names the node) and member key are written again into the REAL etcd
 *   with the TTL they had left (`PUT ?ttl=`: 30 s from the last refresh, made every 10 s since it
 *   started), and etcd itself drops them when it runs out.
 *
 * With realPostgres, psql and pg_restore exec'd in a running container run against a REAL
 * PostgreSQL 15 server of that container's (./cell-postgres.ts), the rest as simulated.
 *
 * A test may also have the cell hold a command once (`holds`): it takes effect, then the
 * answer waits, long enough for the test to cut the SSH connection the client came over, so
 * the operator's side never learns how it ended.
 *
 * The cell's daemon (../fake-cli/command-daemon.ts), bundled and started by `fakeDaemon()`
 * (../fake-docker/world.ts); the `docker` client on the cell sends it each command.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { simulateCell, type CellWorld, type SimContainer } from '../../../src/rehearsal/cell-sim.js';
import { envOf, type Holdings } from '../../../src/rehearsal/cell-world.js';
import { crashLoopFrom } from '../../../src/rehearsal/crash-loop.js';
import { updateState } from '../fake-cli/locked-state.js';
import { containerCredentials } from './broker-config.js';
import { daemonSocket, serveCommands, type CommandAnswer } from '../fake-cli/command-daemon.js';
import {
  ensureCellPostgres,
  realExecOf,
  runRealExecAsync,
  serviceDatabaseCall,
  type CellPostgres,
  type RealExec,
} from './cell-postgres.js';
import { archivePrefix, BASE, httpSync, s3Request, type HttpRequest } from './shared.js';
import type { RestoringPg, SimReplay } from '../../../src/rehearsal/restore-replay.js';
import { formatSegment, nextSegment, parseSegment } from '../../../src/wale/segments.js';
import { PATRONI_LOOP_WAIT_SECONDS, PATRONI_TTL_SECONDS, nodeKeys, patroniMemberName } from '../../../src/adapters/patroni-keys.js';

const STATE_FILE = 'cell-world.json';

export interface LiveCellWorld extends CellWorld {
  /** The S3 endpoint the containers archive to (their environment has only the bucket). */
  s3Endpoint: string;
  /** The roles and passwords of the database each sysid names (what a restore brings back). */
  databases: Record<string, Record<string, string>>;
  /** The sysid of the database each container serves, by container name. */
  serving: Record<string, string>;
  /** What a drill of each sysid's archive finds: its databases' tables and rows. */
  holdings?: Record<string, Holdings>;
  history: string[];
  /** false: the restored cluster's pg_hba trusts no local login (only passwords work). */
  localTrust?: boolean;
  /** Commands to hold once each, the first one matching a command first. */
  holds?: CommandHold[];
  /**
   * When set, a psql or pg_restore exec'd in a running container runs for real, against a PostgreSQL 15
   * server of that container's (./cell-postgres.ts), started on the first one on a copy of `cluster`
   * (a fresh cluster the case made: fresh-cluster.ts).
   */
  realPostgres?: { cluster: string };
  /** The real servers started, by container name: what the case's cleanup stops by PID. */
  postgres?: Record<string, CellPostgres>;
  /** Each node's member data (its conn_url, with the host port registrator gave it), kept when it was killed. */
  members?: Record<string, string>;
}

/** A docker command held once, after it took effect and before it answers. */
export interface CommandHold {
  /** Arguments the command must all carry, e.g. ['stop'] or ['exec', 'pg_isready']. */
  args: string[];
  /** A file created while the command is held (it holds its PID); removing it lets the command answer. */
  marker: string;
  /** How long the command waits at most (default 20 s). */
  maxMs?: number;
}

function takeHold(state: LiveCellWorld, args: string[]): CommandHold | undefined {
  const i = (state.holds ?? []).findIndex((h) => h.args.every((a) => args.includes(a)));
  return i < 0 ? undefined : state.holds!.splice(i, 1)[0];
}

async function holdUntilReleased(hold: CommandHold): Promise<void> {
  writeFileSync(hold.marker, `${process.pid}\n`);
  chmodSync(hold.marker, 0o666);
  const deadline = Date.now() + (hold.maxMs ?? 20_000);
  while (existsSync(hold.marker) && Date.now() < deadline) await sleep(20);
}

export function onStart(state: LiveCellWorld, c: SimContainer): void {
  const env = envOf(c);
  // registrator, or any container that is no patroni node: it only starts (the history is the instances').
  if (!env.PATRONI_SCOPE) return;
  const data = c.mounts.find((m) => m.Destination === '/data')?.Source;
  const entries = data && existsSync(data) ? readdirSync(data) : [];
  if (entries.length > 0) {
    state.history.push(`started ${c.name} on its existing data (${entries.sort().join(', ')})`);
    return;
  }
  const scope = env.PATRONI_SCOPE;
  const keys = nodeKeys(scope, patroniMemberName(env) ?? c.name);
  const [leader] = httpSync([{ method: 'GET', url: `http://${env.ETCD_HOST_PORT}/v2/keys${keys.leaderKey}` }]);
  if (leader!.status === 200) {
    c.pg = { ...c.pg, ready: false, inRecovery: false };
    c.logs.push(
      `${scope.slice(0, 6)}-restore_leader_if_missing> leader exists, no additional preparation required for container to join cluster`,
    );
    state.history.push(`${c.name} found ${keys.leaderKey} standing and only waits to join that leader`);
    return;
  }
  const [initialize, sysid] = httpSync([
    { method: 'GET', url: `http://${env.ETCD_HOST_PORT}/v2/keys/service/${scope}/initialize` },
    // wal-e reads the archive with the container's own AWS credentials.
    s3Request('GET', state.s3Endpoint, env.WAL_S3_BUCKET ?? '', `${archivePrefix(scope)}sysids/sysid`, containerCredentials(env)),
  ]);
  if (sysid!.status !== 200) {
    state.history.push(`started ${c.name} on an empty /data with no archive (S3 said ${sysid!.status}): bootstrapped a new database`);
    return;
  }
  const restored = sysid!.body.trim();
  if (initialize!.status !== 200) {
    state.history.push(`started ${c.name} on an empty /data with no /service/${scope}/initialize: bootstrapped a new database`);
    return;
  }
  const initialized = (JSON.parse(initialize!.body) as { node?: { value?: string } }).node?.value;
  if (initialized !== restored) {
    // It exits, and the restart policy (always) starts it again and again, on this machine's clock.
    c.pg = { ...c.pg, ready: false };
    c.logs.push(`${scope.slice(0, 6)}-patroni> FATAL: system ID mismatch, node belongs to a different cluster`);
    c.crashLoop = crashLoopFrom(new Date());
    state.history.push(`${c.name} refused to start: etcd's /service/${scope}/initialize holds ${initialized}, not ${restored}`);
    return;
  }
  const roles = state.databases[restored];
  if (!roles) throw new Error(`the cell knows no database with sysid ${restored}`);
  mkdirSync(join(data!, 'postgres0'), { recursive: true });
  writeFileSync(join(data!, 'postgres0', 'SYSID'), `${restored}\n`);
  c.pg = {
    ...c.pg,
    ready: true,
    inRecovery: true,
    pollsUntilPromoted: 2,
    roles: { ...roles },
    localTrust: state.localTrust,
    sysid: restored,
    // What it replays, so that once promoted it runs on timeline 2 and its history file names where replay ended.
    replay: walFetched(env, state.s3Endpoint, archivePrefix(scope)),
  } as RestoringPg;
  state.serving[c.name] = restored;
  // Patroni, restoring without a leader, takes the leader key and registers its member (kept alive while it runs).
  const memberData =
    state.members?.[c.name] ?? JSON.stringify({ conn_url: `postgres://replicator@${state.ip}:5432/postgres`, role: 'master' });
  httpSync([
    {
      method: 'PUT',
      url: `http://${env.ETCD_HOST_PORT}/v2/keys${keys.leaderKey}`,
      body: new URLSearchParams({ value: keys.member }).toString(),
      headers: FORM,
    },
    {
      method: 'PUT',
      url: `http://${env.ETCD_HOST_PORT}/v2/keys${keys.memberKey}`,
      body: new URLSearchParams({ value: memberData }).toString(),
      headers: FORM,
    },
  ]);
  state.history.push(`started ${c.name} on an empty /data: restores the archive of sysid ${restored}`);
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/**
 * The WAL a restore replays, as wal-e's wal-fetch brings it: from LATEST's first segment, each next
 * segment by its full name (`wal_005/<segment>.lzo`, a GET with the container's own credentials)
 * until one is not there. Undefined when not even the first is.
 */
function walFetched(env: Record<string, string>, endpoint: string, prefix: string): SimReplay | undefined {
  const from = /base_([0-9A-F]{24})_/.exec(BASE)![1]!;
  const there = (segment: string): boolean =>
    httpSync([s3Request('GET', endpoint, env.WAL_S3_BUCKET ?? '', `${prefix}wal_005/${segment}.lzo`, containerCredentials(env))])[0]!
      .status === 200;
  if (!there(from)) return undefined;
  let to = from;
  for (
    let next = formatSegment(nextSegment(parseSegment(to), '9.5'));
    there(next);
    next = formatSegment(nextSegment(parseSegment(to), '9.5'))
  )
    to = next;
  return { from, to };
}

/**
 * A killed node's keys, left to the TTL they had: each written again with `?ttl=` (and, for /leader,
 * `prevValue` naming the node, so another node's lock is never touched) into the real etcd.
 */
function leaveKeysToTtl(c: SimContainer): string | null {
  const env = envOf(c);
  const member = patroniMemberName(env);
  if (!env.PATRONI_SCOPE || !member || !env.ETCD_HOST_PORT) return null;
  const keys = nodeKeys(env.PATRONI_SCOPE, member);
  const base = `http://${env.ETCD_HOST_PORT}/v2/keys`;
  const alive = Math.max(0, Date.now() - Date.parse(c.startedAt)) / 1000;
  const ttl = Math.max(1, Math.ceil(PATRONI_TTL_SECONDS - (alive % PATRONI_LOOP_WAIT_SECONDS)));
  const [memberNow] = httpSync([{ method: 'GET', url: `${base}${keys.memberKey}` }]);
  const put = (key: string, form: Record<string, string>): HttpRequest => ({
    method: 'PUT',
    url: `${base}${key}`,
    body: new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const memberValue = memberNow!.status === 200 ? (JSON.parse(memberNow!.body) as { node: { value: string } }).node.value : null;
  httpSync([
    put(keys.leaderKey, { value: member, ttl: String(ttl), prevValue: member }),
    ...(memberValue === null ? [] : [put(keys.memberKey, { value: memberValue, ttl: String(ttl), prevExist: 'true' })]),
  ]);
  return memberValue;
}

/**
 * The container's real server for a psql or pg_restore exec'd in it (started if it has none), under
 * the state's lock so its PID is recorded; undefined when the cell simulates the command.
 */
function realServerFor(file: string, e: RealExec | undefined): CellPostgres | undefined {
  if (!e) return undefined;
  return updateState<LiveCellWorld, CellPostgres | undefined>(file, (state) => {
    const c = state.containers[e.container];
    if (!state.realPostgres || !c?.running) return undefined;
    const servers = (state.postgres ??= {});
    const known = servers[c.name]?.pid;
    const server = ensureCellPostgres(servers, c, envOf(c), state.realPostgres.cluster);
    if (server.pid !== known) state.history.push(`started PostgreSQL 15 for ${c.name} (pid ${String(server.pid)})`);
    state.history.push(`${e.program} in ${c.name} ran on its PostgreSQL 15`);
    return server;
  });
}

/**
 * One docker command against the state in `file`, under its lock: the run may drive two
 * containers of the cell at once (and the broker hook may be creating a third).
 */
function answer(file: string, args: string[], stdin: Buffer): { result: ReturnType<typeof simulateCell>; hold?: CommandHold } {
  return updateState<LiveCellWorld, { result: ReturnType<typeof simulateCell>; hold?: CommandHold }>(file, (state) => {
    const database = serviceDatabaseCall(state, args, stdin);
    const result = simulateCell(
      state,
      { argv: ['docker', ...args], stdin, writes: false, ...(database && { database }) },
      {
        onStart: (c) => {
          onStart(state, c);
        },
        holdings: (sysid) => state.holdings?.[sysid],
        onStop: (c) => {
          state.history.push(`stopped ${c.name}`);
          const member = leaveKeysToTtl(c);
          if (member !== null) state.members = { ...state.members, [c.name]: member };
        },
      },
    );
    const hold = takeHold(state, args);
    return hold ? { result, hold } : { result };
  });
}

/** One docker command: a psql or pg_restore its container's real server answers, else the simulator. */
async function handle(file: string, args: string[], input: Buffer): Promise<CommandAnswer> {
  const e = realExecOf(args);
  const server = realServerFor(file, e);
  // Outside the lock: a load takes its time, and other commands go on meanwhile.
  if (server) return runRealExecAsync(server, e!, input);
  const { result, hold } = answer(file, args, input);
  // Held after the change is saved and the lock released: other commands go on meanwhile.
  if (hold) await holdUntilReleased(hold);
  return result;
}

const stateFile = join(dirname(daemonSocket()), STATE_FILE);
serveCommands(({ args, stdin }) => handle(stateFile, args, stdin));
