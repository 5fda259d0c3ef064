/**
 * Vitest's global setup for what a test run leaves on the machine, in vitest's main process, under
 * the suite's temporary root: the registry of the servers the tests start (server-registry.ts) and
 * the run's own folder, which the workers make their environment folders in (test-environment.ts);
 * both given to the workers through the environment. The workers' temporary folder (TMPDIR) is the
 * run's too, named in its folder: the scratch servers the tool starts in a test (a drill's, a look's,
 * a restore's) are registered nowhere, and whatever still runs naming that folder is stopped with the
 * run. What an interrupted earlier run left, servers and folders, goes first. This run's servers are
 * stopped and its folders removed at its teardown (and the root when nothing is left in it), and at a
 * SIGINT or SIGTERM, after which the process exits as the signal would have ended it.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './cli.js';
import { COMMAND_CLIENT } from './client-setup.js';
import { imagePartFolders } from './pg-image-build.js';
import { pgLinkFolders } from './pg-majors.js';
import { removeEndedParts } from './parts.js';
import {
  OWNER_VAR,
  REGISTRY_VAR,
  alive,
  clearFolder,
  pruneRegistry,
  removeOrLeave,
  stopServers,
  unmountUnder,
  type Cleared,
  type ServerEntry,
} from './server-registry.js';
import { ENV_PARENT_VAR } from './test-environment.js';
import { mountInMemory } from './in-memory.js';
import { oncePerRun } from './once-per-run.js';

/** The suite's temporary root: DINGO_TEST_SUITE_ROOT, else one folder per checkout in the temporary folder. */
export function suiteRoot(): string {
  return (
    process.env.DINGO_TEST_SUITE_ROOT ??
    join(tmpdir(), `dingo-recover-tests-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}`)
  );
}

/** The folder of the run whose vitest main process is `owner`, in the suite's root. */
export function runFolder(root: string, owner: number): string {
  return join(root, `run-${owner}`);
}

/** The run folders in `root` whose run has ended: a run killed outright never removed its own. */
function endedRunFolders(root: string): string[] {
  return readdirSync(root)
    .map((name) => /^run-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null && Number(m[1]) !== process.pid && !alive(Number(m[1])))
    .map((m) => join(root, m[0]));
}

/** The file in a run's folder that names the run's temporary folder. */
const TEMP_NOTE = 'tmpdir';

/**
 * Makes the run's temporary folder, as /tmp is (anyone may make a file there, no one remove another's), and names it in
 * FOLDER. Its name is short: the tool makes Unix sockets a few folders down in it, and a socket's path has 107 bytes.
 * It is a tmpfs of its own where it can be (in-memory.ts), named in FOLDER before it is mounted, so that whatever ends
 * the run, its teardown or the next run's setup unmounts it.
 */
function makeTemp(folder: string): string {
  const temp = mkdtempSync(join(tmpdir(), 'drt-'));
  writeFileSync(join(folder, TEMP_NOTE), temp);
  inMemory(temp, 0o1777);
  chmodSync(temp, 0o1777);
  return temp;
}

/** Mounts a tmpfs on DIR (in-memory.ts), saying so when it stays on disk. */
function inMemory(dir: string, mode: number): void {
  const onDisk = mountInMemory(dir, mode);
  if (onDisk) process.stderr.write(`the test run's folder ${dir} is on disk, not in memory: ${onDisk}\n`);
}

/** Stops what runs in the temporary folder the run folder FOLDER names and removes both: what was stopped, and what is left. */
function clearRun(folder: string): Cleared {
  const note = join(folder, TEMP_NOTE);
  const temp = existsSync(note) ? clearFolder(readFileSync(note, 'utf8')) : { stopped: [] };
  unmountUnder(folder);
  // A worker still ending may write in the run's folder meanwhile: nothing runs there that is not the run's own.
  const left = [temp.left, removeOrLeave(folder)].filter((why) => why !== undefined);
  return { stopped: temp.stopped, left: left.join('; ') || undefined };
}

const told = (why: string, stopped: ServerEntry[]): void => {
  if (stopped.length)
    process.stderr.write(`${why}: stopped ${stopped.map((e) => `${e.what} (pid ${e.pid}${e.dir ? `, ${e.dir}` : ''})`).join(', ')}\n`);
};

/** Says what clearRun stopped in the run's temporary folder, and what it could not remove. */
const toldTemp = (why: string, { stopped, left }: Cleared): void => {
  if (stopped.length) process.stderr.write(`${why}: stopped in its temporary folder ${stopped.join(', ')}\n`);
  if (left) process.stderr.write(`${left}\n`);
};

export function setup(): () => void {
  const root = suiteRoot();
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const file = join(root, 'servers.ndjson');
  told(
    'left by an interrupted earlier test run',
    stopServers(file, (e) => e.owner !== process.pid && !alive(e.owner)),
  );
  // Their registered servers stopped, what they left running in their temporary folders goes with the folders.
  for (const dir of endedRunFolders(root)) toldTemp('left by an interrupted earlier test run', clearRun(dir));
  // And the parts their writers left in the folders that outlive a run (parts.ts).
  const parts = [dirname(COMMAND_CLIENT), ...imagePartFolders(), ...pgLinkFolders()].flatMap(removeEndedParts);
  if (parts.length) process.stderr.write(`left by an interrupted earlier test run: removed ${parts.join(', ')}\n`);
  const folder = runFolder(root, process.pid);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  // Its folders in memory, the run's own first: it names the temporary one, so whatever ends the run finds both.
  inMemory(folder, 0o700);
  const temp = makeTemp(folder);
  const removeFolder = (why: string): void => {
    toldTemp(why, clearRun(folder));
  };
  const onExit = (): void => {
    removeFolder('test run ended before its teardown');
  };
  process.env[REGISTRY_VAR] = file;
  process.env[OWNER_VAR] = String(process.pid);
  process.env[ENV_PARENT_VAR] = folder;
  process.env.TMPDIR = temp;
  // Node 22.1 and later keep the code they compile for each module a process loads in this folder, and a later
  // process loading the same module skips compiling it: a pass starts the built command line about 900 times, the
  // doubles' bundled scripts about 1,700 and a worker per file. The run's own folder, so it goes with the run.
  // Node 20 ignores it. The code run is the same; only V8's compiling is kept.
  process.env.NODE_COMPILE_CACHE = join(folder, 'compile-cache');
  const mine = (e: ServerEntry): boolean => e.owner === process.pid;
  const onSignal = (signal: NodeJS.Signals): void => {
    told(`test run stopped by ${signal}`, stopServers(file, mine));
    // A worker may have been starting one as the signal came.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    told(`test run stopped by ${signal}`, stopServers(file, mine));
    removeFolder(`test run stopped by ${signal}`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // A run that exits without its teardown (vitest failing itself) still takes its folders.
  process.once('exit', onExit);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
    told(
      "shared by the run's test files",
      stopServers(file, (e) => mine(e) && e.shared === true),
    );
    told('still running at the end of the test run', stopServers(file, mine));
    pruneRegistry(file);
    removeFolder('still running at the end of the test run');
    // Nothing left to find for a later run (a killed run never gets here): the root goes too.
    if (process.env.DINGO_TEST_SUITE_ROOT === undefined && readdirSync(root).length === 0) rmdirSync(root);
  };
}

export default oncePerRun('suite', setup);
