/**
 * The plain fake cell's daemon (../fake-cli/command-daemon.ts): each docker command against the cell state beside its
 * socket (cell-world.json), answered by the rehearsal's cell simulator under the state's lock.
 */
import { dirname, join } from 'node:path';
import { simulateCell, type CellWorld } from '../../../src/rehearsal/cell-sim.js';
import { updateState } from '../fake-cli/locked-state.js';
import { serviceDatabaseCall } from '../live/cell-postgres.js';
import { daemonSocket, serveCommands } from '../fake-cli/command-daemon.js';

const STATE_FILE = 'cell-world.json';

const file = join(dirname(daemonSocket()), STATE_FILE);

serveCommands(({ args, stdin }) =>
  updateState<CellWorld, ReturnType<typeof simulateCell>>(file, (state) => {
    // psql and pg_restore in a service container, as the live adapter writes them, reach the cell as the typed call they carry.
    const database = serviceDatabaseCall(state, args, stdin);
    return simulateCell(state, { argv: ['docker', ...args], stdin, writes: false, ...(database && { database }) });
  }),
);
