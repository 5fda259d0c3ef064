/**
 * The proof that dumps restore: each is restored into a fresh scratch cluster of the newest local
 * PostgreSQL (a copy of that major's initdb template), in a folder of ours removed afterwards, and its
 * row counts compared with those taken at dump time. What the dump makes run while it is restored runs
 * in that server's sandbox, as its own account (systems/postgres/), in sessions of a role that is no
 * superuser; the dump reaches pg_restore on its standard input, so the sandbox sees no file of ours but
 * the use-lists.
 */
import { createReadStream } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StepFailed } from '../core/errors.js';
import { pipeThrough, StageFailed } from '../systems/processes.js';
import { rowCounts, type DumpFacts, type Query } from './dump-facts.js';
import { lineReader, querier } from './scratch-server.js';
import type { QueryLines } from '../systems/pg-query.js';
import { newestLocalBin } from '../systems/pg-install.js';
import { sandboxSettings, settingsFor, unprivilegedClientEnv } from '../systems/pg-sandbox.js';
import {
  connArgs,
  freshCluster,
  openSandbox,
  openScratch,
  SANDBOX_SOCKET_DIR,
  SCRATCH_PORT,
  waitAccepting,
  type Endpoint,
  type Scratch,
} from '../systems/postgres/index.js';
import { readDumpToc } from '../adapters/pg-dump-toc.js';
import { extensionStatements, loadPlan, useList, type LoadPlan } from '../adapters/pg-load-plan.js';
import { isOwnFolder } from '../core/own-folder.js';

export interface RestoreCheck {
  database: string;
  file: string;
  restored: boolean;
  /** Tables whose row count after the restore differs from the dump's, with both counts. */
  differences: string[];
  tables: number;
}

/** A throwaway cluster to restore into: its sandbox, clients and a query function. */
interface RestoreCluster {
  scratch: Scratch;
  endpoint: Endpoint;
  /** The folder the restores' use-lists are written in: ours, read-only in the sandbox. */
  lists: string;
  query: Query;
  /** Reads of the restored tables (COPY), as the restoring role (no superuser) in READ ONLY transactions. */
  lines: QueryLines;
}

export interface VerifyOptions {
  binRoot?: string;
  /**
   * The folder of the scratch cluster, made here (it must not exist): a run journals it before the
   * server starts, so that a resume after a kill finds the server there. `{ in: DIR }`: a new
   * temporary folder in DIR (a command's scratch folder).
   */
  work: string | { in: string };
  /** Told the scratch server's PID and data folder once it runs. */
  started?(pid: number, data: string): void;
}

/** Restores each dump into a fresh scratch cluster of the newest local PostgreSQL and compares row counts. */
export async function verifyDumps(dumps: DumpFacts[], opts: VerifyOptions): Promise<RestoreCheck[]> {
  // No dump, nothing to prove: no scratch server is started (nor a local PostgreSQL needed).
  if (dumps.length === 0) return [];
  const local = await newestLocalBin(opts.binRoot, 'server');
  if (!local)
    throw new StepFailed('no local PostgreSQL to restore the dumps into', {
      hint: 'install postgresql (any major at least as new as the dump)',
    });
  const work = typeof opts.work === 'string' ? opts.work : await mkdtemp(join(opts.work.in, 'dingo-restore-check-'));
  if (typeof opts.work === 'string') await mkdir(work, { mode: 0o700 });
  await chmod(work, 0o700);
  try {
    const cluster = await startRestoreCluster(local, work, opts);
    try {
      const out: RestoreCheck[] = [];
      for (const [i, d] of dumps.entries()) out.push(await restoreOne(cluster, d, `check_${i}`));
      return out;
    } finally {
      await cluster.scratch.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Whether `folder` is a check's folder as verifyDumps leaves it: a folder (not a link) of this process's own account. */
export async function isCheckFolder(folder: string): Promise<boolean> {
  return isOwnFolder(await lstat(folder));
}

/**
 * A fresh cluster in `work`/data, copied from the major's template, its server started in a sandbox of
 * its own with its socket in `work`/s; the use-lists go in `work`/lists, which it reads and cannot
 * write, and its log in `work`, which it cannot reach.
 */
async function startRestoreCluster(local: { bin: string; major: number }, work: string, opts: VerifyOptions): Promise<RestoreCluster> {
  const { bin } = local;
  const data = join(work, 'data');
  const lists = join(work, 'lists');
  await mkdir(lists, { mode: 0o755 });
  await freshCluster(openSandbox, bin, data);
  const scratch = await openScratch({
    open: openSandbox,
    dataDir: data,
    socketDir: join(work, 's'),
    readable: [lists],
    bins: [bin],
    logins: ['postgres', RESTORER],
  });
  try {
    const settings = settingsFor(local.major, [
      ...sandboxSettings({
        dataDir: data,
        socketDir: SANDBOX_SOCKET_DIR,
        port: SCRATCH_PORT,
        hbaFile: scratch.sandbox.hbaFile,
        identFile: scratch.sandbox.identFile,
      }),
      ['fsync', 'off'],
    ]);
    const server = await scratch.start(settings, { kind: 'local', bin, logFile: join(work, 'log') });
    const endpoint = scratch.endpoint(bin);
    const ready = await waitAccepting(server, endpoint, 600_000);
    if (ready !== 'ready') throw new StepFailed(`the scratch PostgreSQL of the check did not start: ${await server.lastWords(3)}`);
    opts.started?.(await server.pid(), data);
    const query = querier(endpoint, 'postgres');
    await query('postgres', `create role ${RESTORER} login nosuperuser nocreaterole nocreatedb`);
    return { scratch, endpoint, lists, query, lines: lineReader(endpoint, '', RESTORER) };
  } catch (err) {
    await scratch.close();
    throw err;
  }
}

/**
 * The role dumps are restored as: no superuser, so what a dump makes run while it is restored (an
 * index expression, a materialised view, a default calling a function of the tenant's) runs without
 * the server account's powers (no COPY TO PROGRAM, no reading the machine's files).
 */
const RESTORER = 'dingo_restore';

/**
 * Restores one dump into a new database `target` and compares its row counts with the dump's. As a
 * load into a service does (pg-load-plan.ts): the superuser makes the dump's extensions first, which
 * only a superuser may make, and the restoring role restores the rest (pg_restore -L).
 */
async function restoreOne(cluster: RestoreCluster, d: DumpFacts, target: string): Promise<RestoreCheck> {
  const failed = (why: string): RestoreCheck => ({
    database: d.database,
    file: d.file,
    restored: false,
    differences: [why.slice(0, 1000)],
    tables: 0,
  });
  let plan: LoadPlan;
  try {
    plan = loadPlan(readDumpToc(d.file), d.file);
  } catch (err) {
    return failed((err as Error).message);
  }
  await cluster.query('postgres', `create database ${target} owner ${RESTORER}`);
  if (plan.extensions.length) {
    try {
      await cluster.query(target, extensionStatements(plan, RESTORER).join('\n'));
    } catch (err) {
      return failed(`making the dump's extensions: ${(err as Error).message}`);
    }
  }
  // The use-list in our folder, which the scratch server reads and cannot write; a new file, never through a link.
  const list = join(cluster.lists, `${target}.list`);
  await writeFile(list, useList(plan.restore), { mode: 0o644, flag: 'wx' });
  // --no-owner: the roles of the lost cluster do not exist here; what is checked is the data.
  const argv = [join(cluster.endpoint.bin, 'pg_restore'), '--exit-on-error', '--no-owner', '--no-acl', ...connArgs(cluster.endpoint)];
  const restore = cluster.scratch.sandbox.stage([...argv, '-U', RESTORER, '-L', list, '-d', target], { env: unprivilegedClientEnv() });
  try {
    await pipeThrough(createReadStream(d.file), [restore]);
  } catch (err) {
    return failed(err instanceof StageFailed ? err.stderr.trim() : (err as Error).message);
  }
  const after = await rowCounts(cluster, target);
  const differences = Object.entries(d.rowCounts)
    .filter(([t, n]) => after[t] !== n)
    .map(([t, n]) => `${t}: ${n} rows dumped, ${after[t] ?? 'missing'} restored`);
  return { database: d.database, file: d.file, restored: true, differences, tables: Object.keys(after).length };
}
