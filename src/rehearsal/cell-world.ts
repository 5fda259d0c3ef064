/**
 * The state of a simulated Dingo cell (its Docker containers and the folders the recovery
 * touches), JSON-serialisable, and what every simulated command on it answers with.
 */
import type { CommandResult } from '../core/seams.js';
import type { SimReplication } from './cell-sim-replication.js';
import type { StreamedTar } from './cell-drill-tar.js';
import { majorOfVersionNum } from '../adapters/postgres-replay.js';

interface SimMount {
  Source: string;
  Destination: string;
  Mode: string;
  RW: boolean;
}

/** A database of the simulated server (cell-load.ts): its tables, and each dump loaded into it. */
export interface SimDatabase {
  owner: string;
  tables: number;
  loads: { bytes: number; sha256: string }[];
  /** The extensions made in it, and the schemas made for them (a superuser's script). */
  extensions?: string[];
  schemas?: string[];
}

/** Where a crash-looping container is in its cycle (crash-loop.ts): since `at`, running an attempt or waiting out `delayMs`. */
export interface CrashLoop {
  phase: 'running' | 'restarting';
  at: string;
  /** The restart manager's last delay (0: none yet). */
  delayMs: number;
  /** How long one failing attempt runs before it exits. */
  attemptMs: number;
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
  /** When each line of `logs` was written (ISO), for `docker logs -t --since`; a line without one was written at `startedAt`. */
  logsAt?: string[];
  /**
   * The container's log driver (HostConfig.LogConfig.Type): Docker's default `json-file` when absent.
   * Dingo's tile sets `syslog` (job_cell_z1.yml `docker.log_driver`), which `docker logs` cannot read.
   */
  logDriver?: string;
  /** Times Docker restarted it under its restart policy (cf-containers-broker's default, `always`). */
  restartCount?: number;
  /** What its Patroni does while it does not serve: waits for the leader a stale `/leader` names (restore.ts). */
  patroni?: 'waiting-for-leader';
  /** Where its crash loop is while its Patroni exits at each start, which the restart policy starts again (crash-loop.ts). */
  crashLoop?: CrashLoop;
  /**
   * A real PostgreSQL of the image's major on this machine answers the container's psql and
   * pg_restore (the platform's ContainerServers), made once from `seed` (SQL, a file of the
   * scenario's), its first statement transaction `nextXid`; absent: the simulation's, which holds no rows.
   */
  postgres?: { seed: string; nextXid?: number };
  /** localTrust: false makes pg_hba refuse the local socket too (default: trusted, as initdb leaves it). */
  pg: {
    ready: boolean;
    inRecovery: boolean;
    pollsUntilPromoted: number;
    roles: Record<string, string>;
    localTrust?: boolean;
    /** Databases a load created or filled (cell-load.ts); absent: only the empty postgres. */
    databases?: Record<string, SimDatabase>;
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

/** Each database of a restored system, with its tables and rows (a scenario's, by system identifier). */
export type Holdings = Record<string, { tables: number; rows: number }>;

export interface CellHooks {
  onStart?(c: SimContainer): void;
  onStop?(c: SimContainer): void;
  now?(): Date;
  /** Lets `ms` pass on the cell's clock (a stop's grace period): the time after it. */
  elapse?(ms: number): Date;
  /** What a server restored from an archive of system SYSID holds, when the scenario says. */
  holdings?(sysid: string): Holdings | undefined;
}

/** Docker's FinishedAt of a container that never ran. */
export const NEVER = '0001-01-01T00:00:00Z';

/** What a simulated command prints and exits with (it takes no time). */
export type Out = Omit<CommandResult, 'durationMs'>;
export const ok = (stdout = ''): Out => ({ exitCode: 0, stdout, stderr: '' });
export const fail = (exitCode: number, stderr: string, stdout = ''): Out => ({ exitCode, stdout, stderr });

/** A container by name, or by an id prefix of at least four characters, as docker resolves them. */
export function findContainer(state: CellWorld, nameOrId: string): SimContainer | undefined {
  return state.containers[nameOrId] ?? Object.values(state.containers).find((c) => nameOrId.length >= 4 && c.id.startsWith(nameOrId));
}

/** Between the attempts of a crash loop: Docker's State.Restarting (Running too, as Docker has it). */
export const restarting = (c: SimContainer): boolean => c.crashLoop?.phase === 'restarting';

/**
 * The daemon's refusal of `docker exec` NAME (moby daemon/exec.go getActiveContainer), or the container
 * it runs in: refused when there is no such container, it is not running, or between the restarts of a crash loop.
 */
export function execRefusal(state: CellWorld, name: string): { refused: Out } | { c: SimContainer } {
  const c = findContainer(state, name);
  if (!c) return { refused: fail(1, `Error response from daemon: No such container: ${name}\n`) };
  if (!c.running) return { refused: fail(1, `Error response from daemon: Container ${c.id} is not running\n`) };
  if (restarting(c))
    return { refused: fail(1, `Error response from daemon: Container ${c.id} is restarting, wait until the container is running\n`) };
  return { c };
}

/** A container's environment (its NAME=VALUE lines) as a record. */
export function envOf(c: SimContainer): Record<string, string> {
  return Object.fromEntries(c.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

/** PostgreSQL 9.5.19, as the Dingo image runs it. */
export const DINGO_VERSION_NUM = 90_519;

/**
 * The server_version_num of the PostgreSQL a container's image runs, from its tag: `…-patroni:9.5`
 * 9.5.19, `:15` 15.14; a tag naming no version (`latest`) is Dingo's 9.5.
 */
export function serverVersionNum(image: string): number {
  const m = /:(\d+)(?:\.(\d+))?$/.exec(image);
  if (!m) return DINGO_VERSION_NUM;
  const major = Number(m[1]);
  if (major >= 10) return major * 10_000 + 14;
  return major * 10_000 + Number(m[2] ?? 0) * 100 + 19;
}

/** The PostgreSQL major a container's image runs, as its packages name it (`9.5`, `15`). */
export function majorOfImage(image: string): string {
  return majorOfVersionNum(serverVersionNum(image));
}

/** Writes a line to the container's output at `at`, as `docker logs -t` dates it. */
export function logLine(c: SimContainer, at: Date, line: string): void {
  const times = c.logsAt ?? c.logs.map(() => c.startedAt);
  c.logs.push(line);
  c.logsAt = [...times, at.toISOString()];
}

/**
 * A command's input as the simulated cell takes it: text or bytes, or the members of a streamed tar.
 * The only input the live tool streams to a cell is the drill's tar (systems/cell-scratch.ts), a copy
 * of every WAL segment, which the world's session reads as it comes (cell-sim.ts readCellSpec) instead of keeping it.
 */
export type CellInput = string | Buffer | StreamedTar;
