/**
 * The servers a test run started (sshd, moto, etcd, dockerd, the tests' own PostgreSQL), listed as they start in a registry
 * file under the suite's temporary root, so that they are stopped by PID whatever ends the run: the
 * global teardown, a SIGINT or SIGTERM of vitest's main process (suite-setup.ts), and, for a run
 * killed outright, the next run's global setup. Each entry names its server's PID, its process start
 * time and a text its command line holds: a PID reused since by another process is left alone. Its
 * folder goes with it. The file is append-only lines of JSON: `{"started": …}` and `{"stopped": PID}`.
 *
 * Stopping is synchronous, as a signal handler must be.
 */
import { spawnSync } from 'node:child_process';
import { processStart } from '../../src/core/process-start.js';
import { basename, dirname, join } from 'node:path';
import { allPids, procFile } from './proc.js';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';

/** The registry file of this run, set by the global setup for its workers; unset outside vitest (benches). */
export const REGISTRY_VAR = 'DINGO_TEST_SERVER_REGISTRY';
/** The PID of vitest's main process, whose run owns the servers its workers start. */
export const OWNER_VAR = 'DINGO_TEST_SUITE_OWNER';

export interface ServerEntry {
  what: string;
  pid: number;
  /** Field 22 of /proc/PID/stat when it started: the same PID with another start is another process. */
  start: string;
  /** Text its /proc/PID/cmdline holds (its folder, its port). */
  marker: string;
  /** Its folder, removed with it; '' when it has none. */
  dir: string;
  /** Files of its own outside its folder (a sudo rule in /etc/sudoers.d), removed with it. */
  files?: string[];
  owner: number;
  /** Shared by the run's test files one after another (moto.ts): stopped at the run's end, not by a file. */
  shared?: true;
}

function cmdline(pid: number): string {
  return procFile(pid, 'cmdline').split('\0').join(' ');
}

/** Whether PID is still the server the entry names. */
function isServer(e: ServerEntry): boolean {
  return processStart(e.pid) === e.start && cmdline(e.pid).includes(e.marker);
}

/** Whether process PID exists (a run's vitest main process, a server). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pids of the processes whose command line names something in `dir` (dockerd's containerd and its shims). */
export function processesNaming(dir: string): number[] {
  return allPids().filter((pid) => pid !== process.pid && cmdline(pid).includes(`${dir}/`));
}

/** The mount points under `dir`, deepest first (the 5th field of mountinfo, octal escapes undone). */
export function mountsUnder(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .map((p) => p.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** SIGTERM to PIDS, then SIGKILL to those still there after GRACEMS; returns once they are gone (or 5 s more). */
export function killAll(pids: number[], graceMs: number): void {
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // gone already
    }
  };
  for (const pid of pids) signal(pid, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < until) sleepSync(50);
  for (const pid of pids.filter(alive)) signal(pid, 'SIGKILL');
  while (pids.some(alive) && Date.now() < until + 5000) sleepSync(20);
}

/**
 * Registers a server of this run just started: returns the function that marks it stopped (its
 * own stop calls it). Outside a vitest run nothing is registered.
 */
export function registerServer(
  what: string,
  pid: number,
  marker: string,
  dir = '',
  { shared = false, files = [] }: { shared?: boolean; files?: string[] } = {},
): () => void {
  const file = process.env[REGISTRY_VAR];
  const start = processStart(pid);
  if (!file || start === undefined) return () => undefined;
  const owner = Number(process.env[OWNER_VAR] ?? process.ppid);
  const entry: ServerEntry = {
    what,
    pid,
    start,
    marker,
    dir,
    owner,
    ...(shared ? { shared: true as const } : {}),
    ...(files.length ? { files } : {}),
  };
  // The root holds each live run's folder, so no run's teardown removes it (suite-setup.ts); made again should it be gone.
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, `${JSON.stringify({ started: entry })}\n`);
  return () => {
    appendFileSync(file, `${JSON.stringify({ stopped: pid, start })}\n`);
  };
}

/**
 * Registers the PostgreSQL server pg_ctl just started on DATADIR (the PID its postmaster.pid names;
 * its command line names the folder): returns the function that marks it stopped. The folder is the
 * test's, left to it.
 */
export function registerPostmaster(dataDir: string): () => void {
  const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`postmaster.pid of ${dataDir} names no process`);
  return registerServer('postgres', pid, dataDir);
}

/** The entries of FILE not marked stopped. */
export function openServers(file: string): ServerEntry[] {
  if (!existsSync(file)) return [];
  const open = new Map<string, ServerEntry>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let record: { started?: ServerEntry; stopped?: number; start?: string };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      continue; // a line torn by a process killed while writing it
    }
    if (record.started) open.set(`${record.started.pid}/${record.started.start}`, record.started);
    else if (record.stopped !== undefined) open.delete(`${record.stopped}/${record.start ?? ''}`);
  }
  return [...open.values()];
}

/**
 * Stops the open servers of FILE that `which` picks, by PID (when the PID is still that server) with
 * whatever runs naming their folder, unmounts what is mounted under the folder and removes it, and
 * marks them stopped. Returns the ones that were still running: a server its test stopped without
 * saying so (a cluster it killed, a zombie no one reaped) is marked, not reported.
 */
export function stopServers(file: string, which: (e: ServerEntry) => boolean): ServerEntry[] {
  const picked = openServers(file).filter(which);
  const running = picked.filter(isServer);
  killAll(
    running.map((e) => e.pid),
    3000,
  );
  for (const e of picked) {
    const left = e.dir ? clearFolder(e.dir).left : undefined;
    if (left) process.stderr.write(`${left}\n`);
    for (const f of e.files ?? []) rmSync(f, { force: true });
    appendFileSync(file, `${JSON.stringify({ stopped: e.pid, start: e.start })}\n`);
  }
  return running;
}

/** What clearFolder did: what it stopped, each as its command's first word and PID; why the folder is left, when it could not be removed. */
export interface Cleared {
  stopped: string[];
  left?: string;
}

/**
 * Stops whatever runs naming something in DIR, by PID, unmounts what is mounted under it and removes
 * it. A folder that cannot be removed (a process still writing in it) is said, never thrown: what was
 * stopped is told all the same, and the next run removes the folder.
 */
export function clearFolder(dir: string): Cleared {
  const pids = processesNaming(dir);
  const stopped = pids.map((pid) => `${basename(cmdline(pid).split(' ')[0] ?? '')} (pid ${String(pid)})`);
  killAll(pids, 3000);
  unmountUnder(dir);
  return { stopped, left: removeOrLeave(dir) };
}

/** Unmounts what is mounted under DIR, DIR itself too, deepest first (lazily: a process still in it keeps its view). */
export function unmountUnder(dir: string): void {
  for (const point of mountsUnder(dir)) spawnSync('umount', ['-l', point]);
}

/** Removes DIR, tried again while something still writes in it; why it is left, when it could not be removed. */
export function removeOrLeave(dir: string): string | undefined {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    return undefined;
  } catch (err) {
    return `${dir} is left (${(err as Error).message}): the next test run removes it`;
  }
}

/** Removes FILE when it lists no open server, so that it does not grow run after run. */
export function pruneRegistry(file: string): void {
  if (!existsSync(file) || openServers(file).length) return;
  unlinkSync(file);
}

/** ENV without this run's registry: for a vitest run started by a test, which has a registry of its own. */
export function withoutRegistry(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => name !== REGISTRY_VAR && name !== OWNER_VAR));
}
