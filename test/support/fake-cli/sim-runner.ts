/** A CommandRunner that answers from a simulator in-process, recording every spec it ran. */
import type { CommandResult, CommandRunner, CommandSpec } from '../../../src/core/seams.js';

export interface SimRunner extends CommandRunner {
  readonly ran: CommandSpec[];
}

export function simRunner(simulate: (spec: CommandSpec) => CommandResult, where = 'simulation'): SimRunner {
  const ran: CommandSpec[] = [];
  return {
    where,
    ran,
    async run(spec) {
      ran.push(spec);
      return simulate(spec);
    },
  };
}
