/** The cell simulator as a CommandRunner, recording every spec it was given. */
import { readCellSpec, simulateCell, type CellHooks, type CellWorld } from '../../src/rehearsal/cell-sim.js';
import type { CommandResult, CommandRunner, CommandSpec } from '../../src/core/seams.js';
import { settled } from './started.js';

export interface SimRunner extends CommandRunner {
  specs: CommandSpec[];
}

export function simRunner(state: CellWorld, hooks: CellHooks = {}): SimRunner {
  const specs: CommandSpec[] = [];
  return {
    where: `cell ${state.ip} (simulated)`,
    specs,
    async run(spec: CommandSpec): Promise<CommandResult> {
      // Its input read first, as the world's session reads it.
      const read = await readCellSpec(spec);
      return settled(() => {
        specs.push(spec);
        return simulateCell(state, read, hooks);
      });
    },
  };
}
