/** The cell simulator as a CommandRunner, recording every spec it was given. */
import { cellInput, simulateCell, type CellHooks, type CellWorld } from '../../src/rehearsal/cell-sim.js';
import type { CommandResult, CommandRunner, CommandSpec } from '../../src/core/seams.js';
import { settled } from './started.js';
import { stdinBytes } from '../../src/core/stdin.js';

export interface SimRunner extends CommandRunner {
  specs: CommandSpec[];
}

export function simRunner(state: CellWorld, hooks: CellHooks = {}): SimRunner {
  const specs: CommandSpec[] = [];
  return {
    where: `cell ${state.ip} (simulated)`,
    specs,
    async run(spec: CommandSpec): Promise<CommandResult> {
      // A restore's dump read whole and a streamed input (the drill's tar) read as it comes, as the world's session reads them.
      const { stdin, database, ...command } = spec;
      const dump = database?.dump === undefined ? undefined : await stdinBytes(database.dump);
      const input = stdin === undefined ? undefined : await cellInput(stdin);
      return settled(() => {
        specs.push(spec);
        return simulateCell(
          state,
          { ...command, ...(input && { stdin: input }), ...(database && { database: { call: database.call, ...(dump && { dump }) } }) },
          hooks,
        );
      });
    },
  };
}
