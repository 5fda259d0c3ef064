/**
 * The scratch server's log is the server account's file, in a folder it may write: code of the
 * archive's that runs there can put a FIFO in its place, which a read would wait on for ever. A real
 * PostgreSQL 15 archive in moto, drilled by the real command line; the test swaps the log for a FIFO
 * as the server's account could: while the server recovers (the drill reads it when recovery ends), and while the
 * operator's query runs (only the deadline's message reads it then). The drill never waits on it:
 * it fails naming it, its deadline still ends it, SIGTERM still stops it, and no server is left.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, renameSync } from 'node:fs';
import { chmod, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRILL_EXIT } from '../../src/drill/exit-codes.js';
import { runCli, type CliResult } from '../support/cli.js';
import { setUpDrill, tearDownDrill, type DrillFixtures } from '../support/drill-fixtures.js';
import { allPids, procFile } from '../support/proc.js';

const BUCKET = 'server-log-bucket';
const PREFIX = 'backups/server-log/wal/';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIASERVERLOG001', AWS_SECRET_ACCESS_KEY: 'server-log-secret-4Hq2' };

/** The archive in moto (set up once for the file): a few rows before and after its base backup. */
let fx: DrillFixtures;
beforeAll(async () => {
  fx = await setUpDrill({
    scratch: 'drill-server-log-',
    bucket: BUCKET,
    prefix: PREFIX,
    archive: { rowsBefore: 20, rowsAfter: 10 },
    env: CREDENTIALS,
  });
}, 120_000);
afterAll(() => tearDownDrill(fx));

/** The command lines of every process, by PID. */
function processes(): Map<number, string> {
  return new Map(allPids().map((pid) => [pid, procFile(pid, 'cmdline').replace(/\0/g, ' ')]));
}

/** The postmasters serving a data folder under `under`. */
const postmastersUnder = (under: string): number[] =>
  [...processes()].filter(([, cmd]) => /\/postgres /.test(cmd) && cmd.includes(` ${under}/`)).map(([pid]) => pid);

/** The drill's scratch folder under `workdir`, once it is made. */
function drillFolder(workdir: string): string | null {
  const made = readdirSync(workdir).find((n) => n.startsWith('dingo-drill-'));
  return made ? join(workdir, made) : null;
}

/** Waits until `ready` says so (polling), at most `ms`. */
async function until(ready: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Puts a FIFO in the place of the drill's server log, as the server's account could. */
function swapForFifo(log: string): void {
  execFileSync('mkfifo', [`${log}.fifo`]);
  renameSync(`${log}.fifo`, log);
}

/**
 * Runs the drill command line with `extra` flags; `meanwhile` is given its PID and scratch folder
 * once the folder is made. Whatever happens, no server is left running under it.
 */
async function drillWith(
  extra: string[],
  meanwhile: (pid: number, workdir: string) => Promise<void>,
  timeoutMs: number,
): Promise<CliResult & { left: number[] }> {
  const workdir = await mkdtemp(join(fx.dir, 'work-'));
  await chmod(workdir, 0o755);
  let pid = 0;
  const started = runCli(
    ['drill', `s3://${BUCKET}/${PREFIX}`, '--workdir', workdir, '--s3-endpoint', fx.moto.endpoint, '--s3-path-style', ...extra],
    {
      env: CREDENTIALS,
      timeoutMs,
      onStart: (p) => (pid = p),
    },
  );
  try {
    const [r] = await Promise.all([started, meanwhile(pid, workdir).catch((err: unknown) => err)]);
    return { ...r, left: postmastersUnder(workdir) };
  } finally {
    // A drill that hung was killed by runCli: its server is stopped here, by PID.
    for (const p of postmastersUnder(workdir)) process.kill(p, 'SIGQUIT');
  }
}

/** The drill's log path, once what it holds says `ready` (polling), at most 90 s. */
async function logSays(workdir: string, ready: (text: string) => boolean, what: string): Promise<string> {
  let log = '';
  await until(
    () => {
      const d = drillFolder(workdir);
      log = d ? join(d, 'postgresql.log') : '';
      try {
        return ready(readFileSync(log, 'utf8'));
      } catch {
        return false;
      }
    },
    90_000,
    what,
  );
  return log;
}

/** The drill's log path, once the server has written to it. */
const logged = (workdir: string): Promise<string> => logSays(workdir, (text) => text.length > 0, 'the server log');

/** The drill's log path, once recovery ended (the log says the server accepts connections). */
const recovered = (workdir: string): Promise<string> =>
  logSays(workdir, (text) => /database system is ready to accept connections/.test(text), 'the end of recovery');

/** Waits until the operator's query runs (a session of the reader role), then swaps the log for a FIFO. */
async function swapDuringQuery(workdir: string): Promise<void> {
  const log = await recovered(workdir);
  await until(() => [...processes().values()].some((cmd) => /postgres: dingo_recover_reader .*SELECT/.test(cmd)), 60_000, 'the query');
  swapForFifo(log);
}

const SLOW_QUERY = ['--query', 'select pg_catalog.pg_sleep(600)'];

describe("a drill whose server log is swapped for a FIFO by the server's account", () => {
  it('fails at once, naming the FIFO, when the log is swapped while the server recovers', async () => {
    const r = await drillWith(
      ['--deadline', '3m'],
      async (_pid, workdir) => {
        // As soon as the server has its log: the drill reads it when recovery ends, which a swap at that
        // moment could come after (the end is read from pg_control first).
        swapForFifo(await logged(workdir));
      },
      150_000,
    );
    expect(r.signal, r.stderr).toBeUndefined();
    expect(r.code, r.stderr).toBe(DRILL_EXIT.couldNotRun);
    expect(r.stderr).toMatch(/the server log \S+postgresql\.log is a FIFO, no longer the file PostgreSQL wrote/);
    expect(r.left).toEqual([]);
  }, 180_000);

  it('is still ended by its --deadline, which names the FIFO it did not read', async () => {
    const began = Date.now();
    const r = await drillWith(['--deadline', '40s', ...SLOW_QUERY], async (_pid, workdir) => swapDuringQuery(workdir), 150_000);
    expect(r.signal, r.stderr).toBeUndefined();
    expect(r.code, r.stderr).toBe(DRILL_EXIT.couldNotRun);
    expect(r.stderr).toMatch(
      /the drill's deadline of 40\.0 s passed while PostgreSQL was still replaying WAL \(the server log \S+ is a FIFO/,
    );
    // The deadline, then the server's stop (fast, at most 30 s, then immediate).
    expect(Date.now() - began).toBeLessThan(100_000);
    expect(r.left).toEqual([]);
  }, 180_000);

  it('is still stopped by SIGTERM, and leaves no server', async () => {
    let signalled = 0;
    const r = await drillWith(
      ['--deadline', '10m', ...SLOW_QUERY],
      async (pid, workdir) => {
        await swapDuringQuery(workdir);
        signalled = Date.now();
        process.kill(pid, 'SIGTERM');
      },
      150_000,
    );
    expect(r.signal, r.stderr).toBeUndefined();
    expect(r.code, r.stderr).toBe(130);
    expect(Date.now() - signalled).toBeLessThan(60_000);
    expect(r.left).toEqual([]);
  }, 180_000);
});
