/**
 * A simulated cell (sample-cell.ts) whose patroni container answers psql with a REAL PostgreSQL 15
 * (support/live/cell-postgres.ts): `docker exec … psql` over the cell seam runs against it, every
 * other docker command against the simulation. Its server is stopped by PID in `stop`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CellDocker } from '../../src/adapters/docker.js';
import { DEFAULT_SETTINGS } from '../../src/engine/runbook/index.js';
import { readCellSpec, simulateCell, type CellWorld } from '../../src/rehearsal/cell-sim.js';
import { envOf } from '../../src/rehearsal/cell-world.js';
import type { CellSession, CommandResult, CommandSpec } from '../../src/core/seams.js';
import { stdinBytes } from '../../src/core/stdin.js';
import {
  ensureCellPostgres,
  PG15_BIN,
  realExecOf,
  runRealExec,
  stopCellPostgres,
  type CellPostgres,
} from '../support/live/cell-postgres.js';
import { freshTestCluster } from '../support/fresh-cluster.js';
import { leftover } from '../support/leftovers.js';
import { PG_BIN } from '../support/pg-volumes.js';
import { testRuntime } from '../support/runtime.js';
import { CONTAINER, sampleCell } from '../support/sample-cell.js';

export interface CellWithPostgres {
  state: CellWorld;
  specs: CommandSpec[];
  session: CellSession;
  /** The real server behind the container (started by the first psql). */
  server(): CellPostgres;
  /** psql as the postgres OS user in the server's database `db`, as `role` when given (SET ROLE); its rows (-At). */
  psql(db: string, sql: string, role?: string): string;
  /** The cell's docker, as the adapters reach it (sudo, the default binary and host). */
  docker(): CellDocker;
  stop(): void;
}

/** The cell, its container's data folder under `dir`, and the fresh cluster its server starts as a copy of. */
export async function cellWithPostgres(dir: string): Promise<CellWithPostgres> {
  // The server's data folder is beside the container's: the postgres account must pass through it.
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const cluster = join(dir, 'pg15-fresh');
  await freshTestCluster(PG15_BIN, cluster);
  const state = sampleCell();
  const c = state.containers[CONTAINER]!;
  c.mounts = [{ Source: join(dir, 'data'), Destination: '/data', Mode: '', RW: true }];
  const servers: Record<string, CellPostgres> = {};
  const forget = leftover(() => {
    stopCellPostgres(servers);
  });
  const specs: CommandSpec[] = [];
  const run = async (spec: CommandSpec): Promise<CommandResult> => {
    specs.push(spec);
    const argv = spec.argv[0] === 'sudo' && spec.argv[1] === '-n' ? spec.argv.slice(2) : spec.argv;
    const e = realExecOf(argv.slice(1));
    if (e?.container === CONTAINER) {
      const input = spec.stdin === undefined ? Buffer.alloc(0) : await stdinBytes(spec.stdin);
      const r = runRealExec(ensureCellPostgres(servers, c, envOf(c), cluster), e, input);
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, durationMs: 0 };
    }
    // Anything else is the simulation's: a call to another container's database as its typed call, a restore's dump read alone.
    return simulateCell(state, await readCellSpec(spec));
  };
  const server = (): CellPostgres => ensureCellPostgres(servers, c, envOf(c), cluster);
  const session: CellSession = {
    where: `cell ${state.ip}`,
    run,
    etcd: () => Promise.reject(new Error('no etcd here')),
    close: () => Promise.resolve(),
  };
  return {
    state,
    specs,
    session,
    server,
    psql: (db, sql, role) =>
      execFileSync(
        'runuser',
        [
          '-u',
          'postgres',
          '--',
          join(PG_BIN, 'psql'),
          '-X',
          '-q',
          '-At',
          '-v',
          'ON_ERROR_STOP=1',
          '-h',
          server().socketDir,
          '-p',
          '5432',
          '-d',
          db,
        ],
        { input: `${role ? `SET ROLE ${role};\n` : ''}${sql}` },
      ).toString(),
    docker: () =>
      new CellDocker(session, {
        binary: DEFAULT_SETTINGS.dockerBinary,
        host: DEFAULT_SETTINGS.dockerHost,
        sudo: true,
        redactor: testRuntime().redactor,
      }),
    stop: () => {
      stopCellPostgres(servers);
      forget();
    },
  };
}
