/**
 * The proof that dumps restore: each is restored into a fresh scratch cluster of the newest local
 * PostgreSQL, in a temporary folder of ours removed afterwards, and its row counts compared with
 * those taken at dump time. What the dump makes run while it is restored runs in that server: as the
 * scratch account in a network namespace of its own, and in sessions of a role that is no superuser.
 */
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StepFailed } from '../core/errors.js';
import { freePort } from '../systems/ports.js';
import { run, runOk, type RunAs } from '../systems/processes.js';
import { isolated, scratchAccount } from '../systems/scratch-account.js';
import { rowCounts, type DumpFacts, type Query } from './dump-facts.js';
import { lineReader, querier } from './scratch-server.js';
import type { QueryLines } from '../systems/pg-query.js';
import { newestLocalBin } from '../systems/pg-install.js';
import { serverEnv, unprivilegedClientEnv } from '../systems/pg-sandbox.js';
import { readDumpToc } from '../adapters/pg-dump-toc.js';
import { extensionStatements, loadPlan, useList, type LoadPlan } from '../adapters/pg-load-plan.js';

export interface RestoreCheck {
  database: string;
  file: string;
  restored: boolean;
  /** Tables whose row count after the restore differs from the dump's, with both counts. */
  differences: string[];
  tables: number;
}

/** A throwaway cluster to restore into: its binaries, connection flags and a query function. */
interface RestoreCluster {
  bin: string;
  /** The check's folder, ours: the restores' use-lists are written there. */
  work: string;
  conn: string[];
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
  const as = scratchAccount();
  const work = typeof opts.work === 'string' ? opts.work : await mkdtemp(join(opts.work.in, 'dingo-restore-check-'));
  if (typeof opts.work === 'string') await mkdir(work, { mode: 0o700 });
  const data = join(work, 'data');
  try {
    const cluster = await startRestoreCluster(local.bin, work, data, as);
    opts.started?.(Number((await readFile(join(data, 'postmaster.pid'), 'utf8')).split('\n')[0]), data);
    const out: RestoreCheck[] = [];
    for (const [i, d] of dumps.entries()) out.push(await restoreOne(cluster, d, `check_${i}`));
    return out;
  } finally {
    await run([join(local.bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', '-s', 'stop'], { as, env: serverEnv() });
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Whether `folder` is a check's folder as verifyDumps leaves it: a folder (not a link) owned by the
 * scratch account it was given to, or by this process's own account.
 */
export async function isCheckFolder(folder: string): Promise<boolean> {
  const st = await lstat(folder);
  return st.isDirectory() && [process.getuid?.(), scratchAccount().uid].includes(st.uid);
}

/**
 * initdb and start a cluster in `data`, trusting local connections on a socket in `work`/s only. The
 * scratch account owns those two folders and nothing else of `work`, which stays ours (0711): what
 * the server runs can write neither the restores' use-lists there nor any name beside them.
 */
async function startRestoreCluster(bin: string, work: string, data: string, as: RunAs): Promise<RestoreCluster> {
  const socket = join(work, 's');
  for (const folder of [data, socket]) {
    await mkdir(folder, { mode: 0o700 });
    await runOk(['chown', `${as.uid}:${as.gid}`, folder]);
  }
  await chmod(work, 0o711);
  const port = await freePort();
  const conn = ['-h', socket, '-p', String(port)];
  const writable = [data, socket];
  // --locale C: the operator's LANG may name a locale this machine lacks, and initdb would refuse it.
  await runOk(
    isolated([join(bin, 'initdb'), '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C'], as, writable),
    {
      env: serverEnv(),
    },
  );
  const options = `-p ${port} -k ${socket} -c listen_addresses='' -c fsync=off`;
  await runOk(isolated([join(bin, 'pg_ctl'), '-D', data, '-l', join(socket, 'log'), '-w', '-s', '-o', options, 'start'], as, writable), {
    env: serverEnv(),
  });
  const query = querier(bin, { args: conn, user: 'postgres' });
  await query('postgres', `create role ${RESTORER} login nosuperuser nocreaterole nocreatedb`);
  return { bin, work, conn, query, lines: lineReader(bin, { args: conn, user: RESTORER }, undefined, '', RESTORER) };
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
  // The use-list in our folder, where the scratch server writes nothing; a new file, never through a link.
  const list = join(cluster.work, `${target}.list`);
  await writeFile(list, useList(plan.restore), { mode: 0o600, flag: 'wx' });
  // --no-owner: the roles of the lost cluster do not exist here; what is checked is the data.
  const r = await run(
    [
      join(cluster.bin, 'pg_restore'),
      '--exit-on-error',
      '--no-owner',
      '--no-acl',
      ...cluster.conn,
      '-U',
      RESTORER,
      '-L',
      list,
      '-d',
      target,
      d.file,
    ],
    { env: unprivilegedClientEnv() },
  );
  if (r.code !== 0) return failed(r.stderr.trim());
  const after = await rowCounts(cluster, target);
  const differences = Object.entries(d.rowCounts)
    .filter(([t, n]) => after[t] !== n)
    .map(([t, n]) => `${t}: ${n} rows dumped, ${after[t] ?? 'missing'} restored`);
  return { database: d.database, file: d.file, restored: true, differences, tables: Object.keys(after).length };
}
