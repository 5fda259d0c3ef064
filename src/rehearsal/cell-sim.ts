/**
 * A simulated Dingo cell: it answers exactly the command lines the live adapters
 * build (src/adapters/docker.ts, postgres.ts, cell-files.ts), in Docker 1.11's
 * formats, against a JSON-serialisable state. Anything else is "not found", as a
 * shell would say, so a rehearsal notices a command the real cell was never asked.
 */
import type { CommandResult, CommandSpec } from '../core/seams.js';
import { PS_FORMAT } from '../adapters/docker.js';
import { PSQL_VIA_STDIN, RECOVERY_QUERY } from '../adapters/postgres.js';
import { REPLICATION_QUERY } from '../adapters/pg-replication.js';
import { controlData, replicationRows, type SimReplication } from './cell-sim-replication.js';

export interface SimMount {
  Source: string;
  Destination: string;
  Mode: string;
  RW: boolean;
}

export interface SimContainer {
  id: string;
  name: string;
  image: string;
  env: string[];
  mounts: SimMount[];
  running: boolean;
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  logs: string[];
  /** localTrust: false makes pg_hba refuse the local socket too (default: trusted, as initdb leaves it). */
  pg: {
    ready: boolean;
    inRecovery: boolean;
    pollsUntilPromoted: number;
    roles: Record<string, string>;
    localTrust?: boolean;
  } & SimReplication;
}

export interface CellWorld {
  ip: string;
  dockerVersion: '1.11.0';
  containers: Record<string, SimContainer>;
  /** Folder → names of its entries. */
  files: Record<string, string[]>;
  sudoNeedsPassword?: boolean;
}

export interface CellHooks {
  onStart?(c: SimContainer): void;
  onStop?(c: SimContainer): void;
  now?(): Date;
}

const NEVER = '0001-01-01T00:00:00Z';

type Out = Omit<CommandResult, 'durationMs'>;
const ok = (stdout = ''): Out => ({ exitCode: 0, stdout, stderr: '' });
const fail = (exitCode: number, stderr: string, stdout = ''): Out => ({ exitCode, stdout, stderr });

export function simulateCell(state: CellWorld, spec: CommandSpec, hooks: CellHooks = {}): CommandResult {
  let argv = spec.argv;
  let sudo = spec.sudo === true;
  if (argv[0] === 'sudo' && argv[1] === '-n') {
    argv = argv.slice(2);
    sudo = true;
  }
  const out = sudo && state.sudoNeedsPassword ? fail(1, 'sudo: a password is required\n') : dispatch(state, argv, spec.stdin ?? '', hooks);
  return { ...out, durationMs: 0 };
}

function dispatch(state: CellWorld, argv: string[], stdin: string, hooks: CellHooks): Out {
  const [program = '', ...args] = argv;
  if (program === 'docker' || program.endsWith('/docker')) return docker(state, args, stdin, hooks);
  if (program === 'find') return find(state, args);
  if (program === 'mkdir' && args[0] === '-p' && args.length === 2) return mkdirP(state, args[1]!);
  if (program === 'test' && args[0] === '-e' && args.length === 2) return exists(state, args[1]!) ? ok() : fail(1, '');
  return fail(127, `sh: 1: ${program}: not found\n`);
}

// ---------------------------------------------------------------- docker

function docker(state: CellWorld, args: string[], stdin: string, hooks: CellHooks): Out {
  let rest = args;
  if (rest[0] === '--host' || rest[0] === '-H') rest = rest.slice(2);
  const [command, ...a] = rest;
  const now = (hooks.now ?? (() => new Date()))();
  switch (command) {
    case 'inspect':
      return inspect(state, a, now);
    case 'ps':
      return ps(state, a, now);
    case 'stop':
      return stop(state, a, now, hooks);
    case 'start':
      return start(state, a, now, hooks);
    case 'exec':
      return exec(state, a, stdin);
    case 'logs':
      return logs(state, a);
    default:
      return fail(1, `docker: '${command ?? ''}' is not a docker command.\nSee 'docker --help'.\n`);
  }
}

function find1(state: CellWorld, nameOrId: string): SimContainer | undefined {
  return state.containers[nameOrId] ?? Object.values(state.containers).find((c) => nameOrId.length >= 4 && c.id.startsWith(nameOrId));
}

function inspect(state: CellWorld, a: string[], now: Date): Out {
  const names = a[0] === '--type' ? a.slice(2) : a;
  const found: object[] = [];
  const errors: string[] = [];
  for (const n of names) {
    const c = find1(state, n);
    if (c) found.push(inspectJson(state, c, now));
    else errors.push(`Error: No such container: ${n}\n`);
  }
  const stdout = JSON.stringify(found, null, 4) + '\n';
  return errors.length ? fail(1, errors.join(''), stdout) : ok(stdout);
}

function inspectJson(state: CellWorld, c: SimContainer, _now: Date): object {
  return {
    Id: c.id,
    Created: c.startedAt,
    Path: '/scripts/run.sh',
    Args: [],
    State: {
      Status: c.running ? 'running' : c.finishedAt === NEVER ? 'created' : 'exited',
      Running: c.running,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: c.running ? pidOf(c) : 0,
      ExitCode: c.running ? 0 : c.exitCode,
      Error: '',
      StartedAt: c.startedAt,
      FinishedAt: c.finishedAt,
    },
    Image: `sha256:${hex(c.image, 64)}`,
    ResolvConfPath: `/var/vcap/store/docker/docker/containers/${c.id}/resolv.conf`,
    Name: `/${c.name}`,
    RestartCount: 0,
    Driver: 'aufs',
    Mounts: c.mounts.map((m) => ({ Source: m.Source, Destination: m.Destination, Mode: m.Mode, RW: m.RW, Propagation: 'rprivate' })),
    Config: {
      Hostname: c.id.slice(0, 12),
      Domainname: '',
      User: '',
      ExposedPorts: { '5432/tcp': {} },
      Tty: false,
      Env: c.env,
      Cmd: ['/scripts/run.sh'],
      Image: c.image,
      Volumes: { '/data': {} },
      WorkingDir: '',
      Labels: {},
    },
    NetworkSettings: { IPAddress: '172.17.0.2', Ports: { '5432/tcp': [{ HostIp: '0.0.0.0', HostPort: '32785' }] } },
    _cell: state.ip,
  };
}

function ps(state: CellWorld, a: string[], now: Date): Out {
  const all = a.includes('-a') || a.includes('--all');
  const fi = a.indexOf('--format');
  // docker reads the two characters `\t` in a template as a tab.
  const format = fi >= 0 ? a[fi + 1]?.replace(/\\t/g, '\t') : undefined;
  const rows = Object.values(state.containers)
    .filter((c) => all || c.running)
    .sort((x, y) => y.startedAt.localeCompare(x.startedAt));
  if (format === PS_FORMAT.replace(/\\t/g, '\t'))
    return ok(rows.map((c) => `${c.id.slice(0, 12)}\t${c.name}\t${statusOf(c, now)}\n`).join(''));
  if (format !== undefined) return fail(1, `template: simulated docker 1.11 only knows --format '${PS_FORMAT}'\n`);
  const pad = (s: string, n: number): string => (s.length >= n ? s + ' ' : s.padEnd(n));
  const header = `${pad('CONTAINER ID', 20)}${pad('IMAGE', 37)}${pad('COMMAND', 25)}${pad('CREATED', 20)}${pad('STATUS', 20)}${pad('PORTS', 26)}NAMES\n`;
  return ok(
    header +
      rows
        .map(
          (c) =>
            `${pad(c.id.slice(0, 12), 20)}${pad(c.image, 37)}${pad('"/scripts/run.sh "', 25)}${pad(humanDuration(now.getTime() - Date.parse(c.startedAt)) + ' ago', 20)}${pad(statusOf(c, now), 20)}${pad(c.running ? '0.0.0.0:32785->5432/tcp' : '', 26)}${c.name}\n`,
        )
        .join(''),
  );
}

function statusOf(c: SimContainer, now: Date): string {
  if (c.running) return `Up ${humanDuration(now.getTime() - Date.parse(c.startedAt))}`;
  if (c.finishedAt === NEVER) return 'Created';
  return `Exited (${c.exitCode}) ${humanDuration(now.getTime() - Date.parse(c.finishedAt))} ago`;
}

/** go-units HumanDuration, which docker ps uses for STATUS. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

function stop(state: CellWorld, a: string[], now: Date, hooks: CellHooks): Out {
  const names = a[0] === '-t' || a[0] === '--time' ? a.slice(2) : a;
  const missing = names.filter((n) => !find1(state, n));
  if (missing.length) {
    return fail(
      1,
      missing.map((n) => `Error response from daemon: No such container: ${n}\n`).join('') +
        `Error: failed to stop containers: [${missing.join(' ')}]\n`,
    );
  }
  for (const n of names) {
    const c = find1(state, n)!;
    if (!c.running) continue;
    // Patroni containers do not exit within the grace period; docker kills them (137).
    c.running = false;
    c.exitCode = 137;
    c.finishedAt = now.toISOString();
    c.pg = { ...c.pg, ready: false };
    hooks.onStop?.(c);
  }
  return ok(names.map((n) => `${n}\n`).join(''));
}

function start(state: CellWorld, a: string[], now: Date, hooks: CellHooks): Out {
  const missing = a.filter((n) => !find1(state, n));
  if (missing.length) {
    return fail(
      1,
      missing.map((n) => `Error response from daemon: No such container: ${n}\n`).join('') +
        `Error: failed to start containers: ${missing.join(', ')}\n`,
    );
  }
  for (const n of a) {
    const c = find1(state, n)!;
    if (c.running) continue;
    c.running = true;
    c.exitCode = 0;
    c.startedAt = now.toISOString();
    c.pg = { ...c.pg, ready: true };
    hooks.onStart?.(c);
  }
  return ok(a.map((n) => `${n}\n`).join(''));
}

function logs(state: CellWorld, a: string[]): Out {
  let tail: number | undefined;
  let name: string | undefined;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--tail') tail = Number(a[++i]);
    else if (a[i] === '--since')
      i++; // the simulated log has no timestamps to filter on
    else name = a[i];
  }
  const c = name ? find1(state, name) : undefined;
  if (!c) return fail(1, `Error response from daemon: No such container: ${name ?? ''}\n`);
  const lines = tail === undefined || Number.isNaN(tail) ? c.logs : tail === 0 ? [] : c.logs.slice(-tail);
  return ok(lines.map((l) => `${l}\n`).join(''));
}

function exec(state: CellWorld, a: string[], stdin: string): Out {
  let i = 0;
  let osUser = 'root';
  while (a[i]?.startsWith('-')) {
    if (a[i] === '-u' || a[i] === '--user') osUser = a[++i] ?? osUser;
    i += 1;
  }
  const name = a[i] ?? '';
  const cmd = a.slice(i + 1);
  const c = find1(state, name);
  if (!c) return fail(1, `Error response from daemon: No such container: ${name}\n`);
  if (!c.running) return fail(1, `Error response from daemon: Container ${c.id} is not running\n`);
  if (cmd[0] === 'pg_isready') {
    const where = `${valueAfter(cmd, '-h') ?? '/var/run/postgresql'}:${valueAfter(cmd, '-p') ?? '5432'}`;
    return c.pg.ready ? ok(`${where} - accepting connections\n`) : fail(2, '', `${where} - no response\n`);
  }
  if (cmd[0] === 'sh' && cmd[1] === '-c' && cmd[2] === PSQL_VIA_STDIN && cmd[3] === 'sh') {
    const nl = stdin.indexOf('\n');
    return psql(c, { user: cmd[4] ?? '', password: nl < 0 ? stdin : stdin.slice(0, nl) }, cmd.slice(5), nl < 0 ? '' : stdin.slice(nl + 1));
  }
  if (cmd[0] === 'pg_controldata') return controlData(c.pg, cmd[1], osUser);
  // psql over the local socket as the postgres OS user: the image's pg_hba trusts local connections.
  if (cmd[0] === 'psql' && cmd.slice(1, 5).join(' ') === '-X -w -d postgres') {
    if (osUser !== 'postgres' || c.pg.localTrust === false)
      return fail(2, `psql: FATAL:  Peer authentication failed for user "postgres"\n`);
    return psql(c, { user: 'postgres', password: null }, cmd.slice(5), stdin);
  }
  return fail(127, `exec: "${cmd[0] ?? ''}": executable file not found in $PATH\n`);
}

function valueAfter(list: string[], flag: string): string | undefined {
  const i = list.indexOf(flag);
  return i >= 0 ? list[i + 1] : undefined;
}

/** A psql session: a role with its password over TCP, or (password null) the trusted local socket. */
function psql(c: SimContainer, login: { user: string; password: string | null }, args: string[], script: string): Out {
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
  if (args[0] === '-tAc') {
    const sql = args[1] ?? '';
    if (sql === LOGIN_CHECK_QUERY) return ok(`${user}\n`);
    if (sql === REPLICATION_QUERY) return replicationRows(c.pg);
    if (sql !== RECOVERY_QUERY) return fail(1, `ERROR:  the simulated cell does not answer: ${sql}\n`);
    if (!c.pg.inRecovery) return ok('f\n');
    if (c.pg.pollsUntilPromoted > 0) {
      c.pg.pollsUntilPromoted -= 1;
      return ok('t\n');
    }
    c.pg.inRecovery = false;
    return ok('f\n');
  }
  if (args.join(' ') === '-q -v ON_ERROR_STOP=1') return psqlScript(c, script);
  return fail(1, `psql: the simulated cell does not know the options ${args.join(' ')}\n`);
}

/** The query cell.reconcile-credentials logs in with to tell whether a role takes its new password. */
const LOGIN_CHECK_QUERY = 'select current_user';

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

// ---------------------------------------------------------------- files

function find(state: CellWorld, a: string[]): Out {
  const [dir = '', ...rest] = a;
  const shape = rest.slice(0, 4).join(' ');
  if (shape !== '-mindepth 1 -maxdepth 1') return fail(1, `find: the simulated cell does not know: find ${a.join(' ')}\n`);
  const entries = state.files[dir];
  if (!entries) return fail(1, `find: '${dir}': No such file or directory\n`);
  const action = rest.slice(4);
  if (action.length === 2 && action[0] === '-printf' && action[1] === '%f\\0') return ok(entries.map((e) => `${e}\0`).join(''));
  if (action.length === 6 && action[0] === '-exec' && action[1] === 'mv' && action[2] === '-t' && action[4] === '{}' && action[5] === '+') {
    return moveAll(state, dir, action[3]!);
  }
  return fail(1, `find: the simulated cell does not know: find ${a.join(' ')}\n`);
}

function moveAll(state: CellWorld, dir: string, dest: string): Out {
  const target = state.files[dest];
  if (!target) return fail(1, `mv: target '${dest}': No such file or directory\n`);
  const names = state.files[dir] ?? [];
  for (const name of names) {
    if (!target.includes(name)) target.push(name);
    const from = `${dir}/${name}`;
    for (const key of Object.keys(state.files)) {
      if (key === from || key.startsWith(`${from}/`)) {
        state.files[`${dest}/${name}${key.slice(from.length)}`] = state.files[key]!;
        delete state.files[key];
      }
    }
  }
  state.files[dir] = [];
  return ok();
}

function parentOf(path: string): { parent: string; name: string } {
  const i = path.lastIndexOf('/');
  return { parent: i <= 0 ? '/' : path.slice(0, i), name: path.slice(i + 1) };
}

function mkdirP(state: CellWorld, path: string): Out {
  const missing: string[] = [];
  for (let p = path.replace(/\/+$/, ''); p && p !== '/' && !(p in state.files); p = parentOf(p).parent) missing.unshift(p);
  for (const p of missing) {
    state.files[p] = [];
    const { parent, name } = parentOf(p);
    if (parent in state.files && !state.files[parent]!.includes(name)) state.files[parent]!.push(name);
  }
  return ok();
}

function exists(state: CellWorld, path: string): boolean {
  const clean = path.replace(/\/+$/, '') || '/';
  if (clean in state.files) return true;
  const { parent, name } = parentOf(clean);
  return state.files[parent]?.includes(name) ?? false;
}

// ---------------------------------------------------------------- helpers

function hex(seed: string, length: number): string {
  let h = 2166136261;
  let out = '';
  while (out.length < length) {
    for (const ch of seed + out.length) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}

function pidOf(c: SimContainer): number {
  return 1000 + (parseInt(c.id.slice(0, 4), 16) % 30000 || 0);
}
