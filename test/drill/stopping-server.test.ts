/**
 * A hot standby whose WAL raises a setting it started below (max_connections & co.) stops, before
 * PostgreSQL 14, with a FATAL: its postmaster drops the sessions it has while it still lives. A poll
 * of the recovery that meets such a session must look again and find the server stopped, the log's
 * FATAL in the drill's words, not fail on psql's "server closed the connection unexpectedly". The
 * server here is a postmaster.pid naming a live process, removed a moment after psql's failure, as
 * a stopping postmaster removes it; psql runs in a sandbox of the test's, and the server lives while
 * its postmaster.pid is there. So must a poll that finds the socket already gone: a stopping postmaster removes it
 * before it exits.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, realpath, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { ScratchSandbox } from '../../src/core/seams.js';
import type { Postmaster, Scratch } from '../../src/systems/postgres/index.js';
import { DrillFailed } from '../../src/drill/exit-codes.js';
import { ScratchCluster } from '../../src/drill/scratch-cluster.js';
import { readPidFile } from '../../src/systems/postgres/postmaster.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const FATAL =
  'FATAL:  hot standby is not possible because max_connections = 40 is a lower setting than on the master server (its value was 60)';
const LOST = 'psql: error: connection to server on socket "/tmp/s/.s.PGSQL.5432" failed: server closed the connection unexpectedly';
/** psql of 14 and later, and before, when the socket is gone: a stopping postmaster removes it before it exits. */
const NO_SOCKET = [
  'psql: error: connection to server on socket "/run/postgresql/.s.PGSQL.5432" failed: No such file or directory\n\tIs the server running locally and accepting connections on that socket?',
  'psql: could not connect to server: No such file or directory\n\tIs the server running locally and accepting\n\tconnections on Unix domain socket "/run/postgresql/.s.PGSQL.5432"?',
];

/** A cluster whose postmaster.pid says it is ready, whose psql gives `answers` in turn, and whose pid file goes `removeAfterMs` after each psql, when given. */
async function stoppingCluster(answers: { code: number; stderr: string }[], removeAfterMs?: number) {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'stopping-')));
  dirs.push(dir);
  const pidFile = join(dir, 'postmaster.pid');
  // The postmaster.pid of PostgreSQL 10 and later (its pid, its status on the eighth line), which the postmaster below reads: while
  // it is there, the server is alive and ready. This process stands for it.
  await writeFile(pidFile, `${String(process.pid)}\n${dir}\n0\n5432\n/tmp/s\n\n0 0\nready   \n`);
  const logFile = join(dir, 'server.log');
  await writeFile(logFile, `LOG:  entering standby mode\n${FATAL}\nLOG:  startup process (PID 1) exited with exit code 1\n`);
  let calls = 0;
  const sandbox = {
    run: () => {
      const answer = answers[Math.min(calls++, answers.length - 1)]!;
      if (removeAfterMs !== undefined) setTimeout(() => void unlink(pidFile).catch(() => undefined), removeAfterMs);
      return Promise.resolve({ code: answer.code, stdout: '', stderr: answer.stderr });
    },
  } as unknown as ScratchSandbox;
  const postmaster: Postmaster = {
    how: 'a postmaster.pid',
    alive: () => Promise.resolve(existsSync(pidFile)),
    pidFile: () => readPidFile(dir),
    pid: () => Promise.resolve(process.pid),
    lastWords: () => Promise.resolve(''),
    stop: () => Promise.resolve(),
  };
  const scratch = {
    sandbox,
    endpoint: (bin: string) => ({ sandbox, bin, port: 5432 }),
    start: () => Promise.resolve(postmaster),
    close: () => Promise.resolve(),
  } as unknown as Scratch;
  const cluster = new ScratchCluster({ scratch, bin: '/nowhere', logFile, settings: [] });
  await cluster.start();
  return { cluster, calls: () => calls };
}

it('a poll that loses its session to a server stopping looks again, and says why it stopped', async () => {
  const { cluster } = await stoppingCluster([{ code: 2, stderr: LOST }], 20);
  const paused = cluster.waitPaused({ user: 'postgres', database: 'postgres' }, 12);
  await expect(paused).rejects.toBeInstanceOf(DrillFailed);
  await expect(paused).rejects.toThrow(`PostgreSQL stopped during recovery: ${FATAL}`);
});

it.each(NO_SOCKET)('a poll that finds the socket of a server stopping gone looks again, and says why it stopped: %s', async (said) => {
  const { cluster } = await stoppingCluster([{ code: 2, stderr: said }], 20);
  const paused = cluster.waitPaused({ user: 'postgres', database: 'postgres' }, 12);
  await expect(paused).rejects.toThrow(`PostgreSQL stopped during recovery: ${FATAL}`);
});

it('a server that keeps no socket and lives on fails the poll, in psql’s words, after a while', async () => {
  const { cluster, calls } = await stoppingCluster([{ code: 2, stderr: NO_SOCKET[0]! }]);
  const paused = cluster.waitPaused({ user: 'postgres', database: 'postgres' }, 12);
  await expect(paused).rejects.toThrow('No such file or directory');
  expect(calls()).toBe(51);
}, 30_000);

it('a server that drops every session and lives on fails the poll, in psql’s words, after a while', async () => {
  const { cluster, calls } = await stoppingCluster([{ code: 2, stderr: LOST }]);
  const paused = cluster.waitPaused({ user: 'postgres', database: 'postgres' }, 12);
  await expect(paused).rejects.toThrow(LOST);
  expect(calls()).toBe(51);
}, 30_000);
