/** The cell simulator as a CommandRunner, recording every spec it was given. */
import { simulateCell, type CellHooks, type CellWorld } from '../../src/rehearsal/cell-sim.js';
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
      // A restore's dump, read whole first, as the world's session reads it.
      const dump = spec.database?.dump === undefined ? undefined : await stdinBytes(spec.database.dump);
      return settled(() => {
        specs.push(spec);
        return simulateCell(state, dump && spec.database ? { ...spec, database: { call: spec.database.call, dump } } : spec, hooks);
      });
    },
  };
}
