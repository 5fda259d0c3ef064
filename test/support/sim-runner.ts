/** The cell simulator as a CommandRunner, recording every spec it was given. */
import { simulateCell, type CellHooks, type CellWorld } from '../../src/rehearsal/cell-sim.js';
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
    run(spec: CommandSpec): Promise<CommandResult> {
      return settled(() => {
        specs.push(spec);
        return simulateCell(state, spec, hooks);
      });
    },
  };
}
