/**
 * Entry of the fake docker client: loads the cell state the --host socket path
 * points at, lets the cell simulator answer, saves the state, prints the answer.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { simulateCell, type CellWorld } from '../../../src/rehearsal/cell-sim.js';
import { serviceDatabaseCall } from '../live/cell-postgres.js';

export const STATE_FILE = 'cell-world.json';

function stateFile(args: string[]): string {
  const i = args.findIndex((a) => a === '--host' || a === '-H');
  const host = i >= 0 ? args[i + 1] : undefined;
  if (!host?.startsWith('unix://')) {
    process.stderr.write('Cannot connect to the Docker daemon. Is the docker daemon running on this host?\n');
    process.exit(1);
  }
  return join(dirname(host.slice('unix://'.length)), STATE_FILE);
}

function readStdin(): Buffer {
  try {
    return readFileSync(0);
  } catch {
    return Buffer.alloc(0);
  }
}

const args = process.argv.slice(2);
const file = stateFile(args);
let state: CellWorld;
try {
  state = JSON.parse(readFileSync(file, 'utf8')) as CellWorld;
} catch {
  process.stderr.write(`Cannot connect to the Docker daemon. Is the docker daemon running on this host?\n`);
  process.exit(1);
}
const stdin = args.includes('-i') ? readStdin() : Buffer.alloc(0);
// psql and pg_restore in a service container, as the live adapter writes them, reach the cell as the typed call they carry.
const database = serviceDatabaseCall(state, args, stdin);
const result = simulateCell(state, { argv: ['docker', ...args], stdin, writes: false, ...(database && { database }) });
writeFileSync(file, JSON.stringify(state, null, 2));
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.exitCode;
