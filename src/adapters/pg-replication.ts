/**
 * What a Dingo cluster's leader says about its replicas, and which database a node holds.
 *
 * - `pg_stat_replication` on the leader lists each standby whose walreceiver is connected, with
 *   its state (`streaming` once it caught up with the leader's WAL). Patroni names each standby's
 *   connection after its node (application_name).
 * - The system identifier comes from `pg_controldata` on the node's data directory (Dingo keeps
 *   PostgreSQL's data in /data/postgres0), which works on 9.5, where pg_control_system() does not
 *   exist yet. A standby can only stream from a primary with the same system identifier, so a
 *   streaming replica of a leader that holds the restored identifier holds the restored database.
 */
import { quote } from '../core/command-line.js';
import { StepFailed } from '../core/errors.js';
import type { CellDocker } from './docker.js';
import type { PgLogin } from './postgres.js';
import { psqlWithChain } from './psql.js';

export const REPLICATION_QUERY =
  "select application_name, coalesce(host(client_addr), ''), state from pg_stat_replication order by application_name";

/** Where Dingo's patroni keeps the cluster inside the container. */
export const DINGO_PGDATA = '/data/postgres0';

export interface Replica {
  /** The standby's node, as Patroni names its connection. */
  name: string;
  clientAddr: string;
  /** startup, catchup, streaming, backup… */
  state: string;
}

/** `psql -tA` rows of REPLICATION_QUERY: `name|addr|state`. */
export function parseReplicationRows(stdout: string): Replica[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [name = '', clientAddr = '', state = ''] = line.split('|');
      return { name, clientAddr, state };
    });
}

/** The standbys connected to the leader in CONTAINER, as pg_stat_replication lists them. */
export async function replicasOf(docker: CellDocker, container: string, logins: PgLogin[]): Promise<Replica[]> {
  const { result } = await psqlWithChain(docker, container, logins, { mode: 'query', sql: REPLICATION_QUERY, writes: false });
  if (result.exitCode !== 0) {
    throw new StepFailed(
      `reading pg_stat_replication in ${container} failed (psql exit ${result.exitCode}): ${docker.redactor.redact(result.stderr.trim())}`,
      {
        hint: `run \`${REPLICATION_QUERY}\` on the leader by hand to see what PostgreSQL says, then resume`,
      },
    );
  }
  return parseReplicationRows(result.stdout);
}

/** `Database system identifier: N` of pg_controldata's output, or null. */
export function parseControlDataSysid(stdout: string): string | null {
  return /^Database system identifier:\s+(\d+)\s*$/m.exec(stdout)?.[1] ?? null;
}

/** A cluster's pg_controldata: what it printed, and the system identifier it names. */
export interface ControlData {
  text: string;
  sysid: string;
}

/**
 * pg_controldata of CONTAINER's data directory, as the postgres OS user (a refusal, showing what came
 * back, when it names no system identifier).
 */
export async function controlDataOf(docker: CellDocker, container: string, pgdata = DINGO_PGDATA): Promise<ControlData> {
  const result = await docker.exec(container, ['pg_controldata', pgdata], { user: 'postgres' });
  const sysid = result.exitCode === 0 ? parseControlDataSysid(result.stdout) : null;
  if (sysid !== null) return { text: result.stdout, sysid };
  throw new StepFailed(
    `pg_controldata ${pgdata} in ${container} did not give a system identifier (exit ${result.exitCode}): ${docker.redactor.redact(result.stderr.trim() || result.stdout.trim().split('\n')[0] || '(no output)')}`,
    {
      hint: `check the container's data directory (${quote(['docker', 'exec', '-u', 'postgres', container, 'pg_controldata', pgdata])}), then resume`,
    },
  );
}
