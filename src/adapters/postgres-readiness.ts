/**
 * Whether PostgreSQL in a patroni container is up and has left recovery. Readiness is a chain
 * (cf-bosh-docker-formats §4): State.Running, then pg_isready exit 0, then `pg_is_in_recovery()` = f.
 * pg_isready alone is not enough: Patroni runs with hot_standby=on, so a node still replaying WAL
 * accepts connections.
 */
import { StepFailed } from '../core/errors.js';
import type { CellDocker } from './docker.js';
import { loginsFor, PG_HOST, PG_PORT, type PgLogin } from './postgres.js';
import { psqlWithChain } from './psql.js';

export const RECOVERY_QUERY = 'select pg_is_in_recovery()';

type ReadinessMeaning = 'accepting' | 'rejecting' | 'no-response' | 'no-attempt';

export interface Readiness {
  exitCode: number;
  meaning: ReadinessMeaning;
  /** pg_isready's own line, e.g. `127.0.0.1:5432 - accepting connections`. */
  output: string;
}

const MEANINGS: Record<number, ReadinessMeaning> = { 0: 'accepting', 1: 'rejecting', 2: 'no-response', 3: 'no-attempt' };

/** pg_isready's exit code: 0 accepting, 1 rejecting (starting up), 2 no response, 3 no attempt. */
export async function pgIsReady(docker: CellDocker, name: string): Promise<Readiness> {
  const result = await docker.exec(name, ['pg_isready', '-h', PG_HOST, '-p', PG_PORT]);
  const meaning = MEANINGS[result.exitCode];
  if (!meaning) {
    throw new StepFailed(
      `pg_isready in ${name} exited ${result.exitCode}: ${docker.redactor.redact(result.stderr.trim() || result.stdout.trim())}`,
      {
        hint: 'exit 126/127 means the container has no pg_isready: is it a patroni PostgreSQL container?',
      },
    );
  }
  return { exitCode: result.exitCode, meaning, output: result.stdout.trim() };
}
export type RecoveryAnswer = { kind: 'value'; inRecovery: boolean } | { kind: 'unreachable'; detail: string };

export async function askRecovery(docker: CellDocker, name: string, chain: PgLogin[]): Promise<RecoveryAnswer> {
  const { result } = await psqlWithChain(docker, name, chain, { mode: 'query', sql: RECOVERY_QUERY, writes: false });
  const out = result.stdout.trim();
  if (result.exitCode === 0 && (out === 't' || out === 'f')) return { kind: 'value', inRecovery: out === 't' };
  const stderr = docker.redactor.redact(result.stderr.trim());
  if (result.exitCode === 2) return { kind: 'unreachable', detail: stderr };
  throw new StepFailed(
    `psql in ${name} exited ${result.exitCode}${stderr ? `: ${stderr}` : ''}${out ? ` (printed ${JSON.stringify(out.slice(0, 80))})` : ''}`,
    {
      hint: `run \`${RECOVERY_QUERY}\` in the container by hand to see what PostgreSQL says`,
    },
  );
}

/** True while the server replays WAL (standby), false once promoted. */
export async function isInRecovery(docker: CellDocker, name: string, logins?: PgLogin[]): Promise<boolean> {
  const answer = await askRecovery(docker, name, logins ?? (await loginsFor(docker, name)));
  if (answer.kind === 'unreachable') {
    throw new StepFailed(`PostgreSQL in ${name} is not accepting connections: ${answer.detail}`, {
      hint: 'wait for it to start (pg_isready), then ask again',
    });
  }
  return answer.inRecovery;
}
