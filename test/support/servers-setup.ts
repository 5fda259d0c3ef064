/**
 * Vitest's global setup for the servers the tests start (server-registry.ts), in vitest's main
 * process: the registry of this run under the suite's temporary root, given to the workers through
 * the environment; what an interrupted earlier run left running stopped first; this run's servers
 * stopped at its teardown (and the root removed when nothing is left in it), and at a SIGINT or
 * SIGTERM, after which the process exits as the signal would have ended it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli.js';
import { OWNER_VAR, REGISTRY_VAR, alive, pruneRegistry, stopServers, type ServerEntry } from './server-registry.js';

/** The suite's temporary root: DINGO_TEST_SUITE_ROOT, else one folder per checkout in the temporary folder. */
export function suiteRoot(): string {
  return (
    process.env.DINGO_TEST_SUITE_ROOT ??
    join(tmpdir(), `dingo-recover-tests-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}`)
  );
}

const told = (why: string, stopped: ServerEntry[]): void => {
  if (stopped.length)
    process.stderr.write(`${why}: stopped ${stopped.map((e) => `${e.what} (pid ${e.pid}${e.dir ? `, ${e.dir}` : ''})`).join(', ')}\n`);
};

export default function setup(): () => void {
  const root = suiteRoot();
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const file = join(root, 'servers.ndjson');
  told(
    'left by an interrupted earlier test run',
    stopServers(file, (e) => e.owner !== process.pid && !alive(e.owner)),
  );
  process.env[REGISTRY_VAR] = file;
  process.env[OWNER_VAR] = String(process.pid);
  const mine = (e: ServerEntry): boolean => e.owner === process.pid;
  const onSignal = (signal: NodeJS.Signals): void => {
    told(`test run stopped by ${signal}`, stopServers(file, mine));
    // A worker may have been starting one as the signal came.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    told(`test run stopped by ${signal}`, stopServers(file, mine));
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    told('still running at the end of the test run', stopServers(file, mine));
    pruneRegistry(file);
    // Nothing left to find for a later run (a killed run never gets here): the root goes too.
    if (process.env.DINGO_TEST_SUITE_ROOT === undefined && readdirSync(root).length === 0) rmdirSync(root);
  };
}
