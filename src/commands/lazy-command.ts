/**
 * A command whose module loads only when it is the one run (or asked for help): the top-level
 * `--help` and `--version` need only its name and description.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';

/** A command module as the modules under commands/ write them: a builder function and a handler. */
export interface LoadedCommand<T, U> {
  command: string;
  describe: string;
  builder: (y: Argv<T>) => Argv<U>;
  handler: (argv: ArgumentsCamelCase<U>) => void | Promise<void>;
}

/** What the command table knows before loading: the name and description `--help` lists. */
export interface CommandEntry<T, U> {
  command: string;
  describe: string;
  load: () => Promise<LoadedCommand<T, U>>;
}

export function lazyCommand<T, U>({ command, describe, load }: CommandEntry<T, U>): CommandModule<T, U> {
  return {
    command,
    describe,
    builder: async (y) => (await load()).builder(y),
    handler: async (argv) => {
      await (await load()).handler(argv);
    },
  };
}

/** The parsed arguments a builder declares, camel-case keys included: what its handler receives. */
export type ArgsOf<B> = B extends (y: never) => Argv<infer U> ? ArgumentsCamelCase<U> : never;
