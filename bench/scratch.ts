/**
 * One scratch server's whole life as the tool lives it (a fresh cluster copied from the initdb
 * template, its sandbox opened, `postgres` started, accepting, one statement through psql, the
 * server stopped and the sandbox ended) beside what an operator does by hand with the same binaries
 * on a copy of the same cluster: `pg_ctl start -w` as the postgres account, `psql -c`, `pg_ctl stop
 * -m fast -w`. The difference is the sandbox's price per server (its account, namespaces, file
 * system, init and peer-only logins). Only the ratio means anything: ours / reference.
 */
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientEnv, sandboxSettings, settingsFor } from '../src/systems/pg-sandbox.js';
import {
  freshCluster,
  openSandbox,
  openScratch,
  psqlRows,
  SANDBOX_SOCKET_DIR,
  SCRATCH_PORT,
  waitAccepting,
} from '../src/systems/postgres/index.js';
import { runOk } from '../src/systems/processes.js';
import { PG_BIN, postgresAccount } from '../test/support/wale-archive.js';

const ROUNDS = 5;

async function ours(dir: string, round: number): Promise<void> {
  const dataDir = join(dir, `ours-${round}`);
  await freshCluster(openSandbox, PG_BIN, dataDir);
  const scratch = await openScratch({
    open: openSandbox,
    dataDir,
    socketDir: join(dir, `ours-${round}-sock`),
    writable: [],
    bins: [PG_BIN],
    logins: ['postgres'],
  });
  try {
    const settings = sandboxSettings({
      dataDir,
      socketDir: SANDBOX_SOCKET_DIR,
      port: SCRATCH_PORT,
      hbaFile: scratch.sandbox.hbaFile,
      identFile: scratch.sandbox.identFile,
    });
    const server = await scratch.start(settingsFor(15, [...settings, ['fsync', 'off']]), {
      kind: 'local',
      bin: PG_BIN,
      logFile: join(dir, `ours-${round}.log`),
    });
    const endpoint = scratch.endpoint(PG_BIN);
    if ((await waitAccepting(server, endpoint, 60_000)) !== 'ready')
      throw new Error(`the scratch server did not start: ${await server.lastWords(10)}`);
    const rows = await psqlRows(endpoint, { user: 'postgres', database: 'postgres', sql: 'select 1', env: clientEnv() });
    if (rows[0]?.[0] !== '1') throw new Error(`select 1 gave ${JSON.stringify(rows)}`);
  } finally {
    await scratch.close();
  }
}

async function byHand(dir: string, round: number): Promise<void> {
  const dataDir = join(dir, `ref-${round}`);
  const sock = join(dir, `ref-${round}-sock`);
  const as = postgresAccount();
  await freshCluster(openSandbox, PG_BIN, dataDir);
  await mkdir(sock);
  await runOk(['chown', '-R', `${as.uid}:${as.gid}`, dataDir, sock]);
  const pg = (bin: string, ...args: string[]) => runOk([join(PG_BIN, bin), ...args], { as });
  const opts = `-k ${sock} -c listen_addresses='' -c fsync=off`;
  await pg('pg_ctl', '-D', dataDir, '-o', opts, '-l', join(sock, 'log'), '-w', '-s', 'start');
  try {
    const out = await pg('psql', '-X', '-qAt', '-h', sock, '-U', 'postgres', '-d', 'postgres', '-c', 'select 1');
    if (out.stdout.trim() !== '1') throw new Error(`select 1 gave ${out.stdout}`);
  } finally {
    await pg('pg_ctl', '-D', dataDir, '-m', 'fast', '-w', '-s', 'stop');
  }
}

async function timed(what: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await what();
  return performance.now() - t;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchScratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'scratch-bench-'));
  // The postgres account of the reference reaches its folders through it.
  await chmod(dir, 0o755);
  try {
    // The template is made once, outside the rounds, as it is once per installation.
    await freshCluster(openSandbox, PG_BIN, join(dir, 'warm'));
    const oursMs: number[] = [];
    const refMs: number[] = [];
    // Alternated, so a busy moment of the shared machine weighs on both.
    for (let round = 0; round < ROUNDS; round++) {
      oursMs.push(await timed(() => ours(dir, round)));
      refMs.push(await timed(() => byHand(dir, round)));
      process.stdout.write(`round ${round + 1}: sandboxed ${oursMs[round]!.toFixed(0)} ms, by hand ${refMs[round]!.toFixed(0)} ms\n`);
    }
    const [o, r] = [median(oursMs), median(refMs)];
    return `scratch: one server's life, sandboxed ${o.toFixed(0)} ms, by hand (pg_ctl as postgres) ${r.toFixed(0)} ms (medians of ${ROUNDS}); ours / reference = ${(o / r).toFixed(2)}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
