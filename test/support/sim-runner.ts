/** The cell simulator as a CommandRunner, recording every spec it was given. */
import { simulateCell, type CellHooks, type CellWorld } from '../../src/rehearsal/cell-sim.js';
import type { CommandResult, CommandRunner, CommandSpec } from '../../src/core/seams.js';
import { settled } from './started.js';
import { isStdinStream, stdinBytes } from '../../src/core/stdin.js';

export interface SimRunner extends CommandRunner {
  specs: CommandSpec[];
}

export function simRunner(state: CellWorld, hooks: CellHooks = {}): SimRunner {
  const specs: CommandSpec[] = [];
  return {
    where: `cell ${state.ip} (simulated)`,
    specs,
    async run(spec: CommandSpec): Promise<CommandResult> {
      // A restore's dump and a streamed input (the drill's tar), read whole first, as the world's session reads them.
      const dump = spec.database?.dump === undefined ? undefined : await stdinBytes(spec.database.dump);
      const stdin = isStdinStream(spec.stdin) ? await stdinBytes(spec.stdin) : spec.stdin;
      return settled(() => {
        specs.push(spec);
        const read = { ...spec, stdin };
        return simulateCell(state, dump && spec.database ? { ...read, database: { call: spec.database.call, dump } } : read, hooks);
      });
    },
  };
}
