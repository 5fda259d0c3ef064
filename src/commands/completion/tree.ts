/**
 * The command line's shape for shell completion, read from the command modules themselves at build
 * time (bin/write-top-level-help.js writes it next to the built modules): each command's subcommands,
 * flags (whether a value follows, its choices) and positionals. A Tab then needs neither yargs nor the
 * commands loaded (completion-words.ts).
 */
import type { Argv } from 'yargs';
import { COMMANDS } from '../index.js';
import { globalOptions } from '../flags/global.js';

interface FlagShape {
  /** A value follows the flag (`--scenario NAME`), as opposed to a switch (`--yes`). */
  value: boolean;
  choices?: string[];
}

export interface CompletionNode {
  commands: Record<string, CompletionNode>;
  /** Flag names without dashes, aliases included. */
  flags: Record<string, FlagShape>;
  /** Positional names in order (`run-id`, `runbook`), and their choices where they have some. */
  positionals: { name: string; choices?: string[] }[];
}

interface OptionConfig {
  type?: string;
  choices?: readonly unknown[];
  alias?: string | readonly string[];
  global?: boolean;
}

function node(): CompletionNode {
  return { commands: {}, flags: {}, positionals: [] };
}

function shapeOf(config: OptionConfig): FlagShape {
  const value = config.type !== 'boolean' && config.type !== 'count';
  const choices = config.choices?.map(String);
  return choices ? { value, choices } : { value };
}

function aliasesOf(config: OptionConfig): string[] {
  return config.alias === undefined ? [] : typeof config.alias === 'string' ? [config.alias] : [...config.alias];
}

/** A command module as builders hand it to `.command()`: its first word names it. */
interface ModuleLike {
  command?: string | readonly string[];
  builder?: unknown;
}

function nameOf(command: string | readonly string[] | undefined): string | undefined {
  const first = typeof command === 'string' ? command : command?.[0];
  return first?.trim().split(/\s+/)[0];
}

/**
 * A stand-in for yargs that a builder calls as it would call yargs: it writes down options,
 * positionals, aliases and subcommands into `into`, and answers any other call with itself.
 */
function recorder(into: CompletionNode, pending: Promise<void>[]): Argv {
  const proxy: Argv = new Proxy({} as Argv, {
    get(_t, prop) {
      if (prop === 'then') return undefined; // not a promise, whatever a builder awaits
      switch (prop) {
        case 'option':
        case 'options':
          return (name: string | Record<string, OptionConfig>, config: OptionConfig = {}) => {
            const table = typeof name === 'string' ? { [name]: config } : name;
            for (const [key, c] of Object.entries(table)) {
              for (const n of [key, ...aliasesOf(c)]) into.flags[n] = shapeOf(c);
            }
            return proxy;
          };
        case 'positional':
          return (name: string, config: OptionConfig = {}) => {
            const choices = config.choices?.map(String);
            into.positionals.push(choices ? { name, choices } : { name });
            return proxy;
          };
        case 'alias':
          return (key: string, alias: string | string[]) => {
            const shape = into.flags[key] ?? { value: false };
            for (const a of typeof alias === 'string' ? [alias] : alias) into.flags[a] = shape;
            return proxy;
          };
        case 'command':
          return (module: ModuleLike | string, _describe?: unknown, builder?: unknown) => {
            const m: ModuleLike = typeof module === 'string' ? { command: module, builder } : module;
            const name = nameOf(m.command);
            if (name !== undefined && typeof m.builder === 'function') {
              const child = (into.commands[name] = node());
              pending.push(record(m.builder as (y: Argv) => unknown, child, m.command));
            }
            return proxy;
          };
        default:
          return () => proxy;
      }
    },
  });
  return proxy;
}

/** Runs a builder on a recorder, with the positionals its command line names (`show <run-id>`). */
async function record(builder: (y: Argv) => unknown, into: CompletionNode, command?: string | readonly string[]): Promise<void> {
  const pending: Promise<void>[] = [];
  await builder(recorder(into, pending));
  const line = typeof command === 'string' ? command : command?.[0];
  for (const m of (line ?? '').matchAll(/[<[]([\w-]+)(?:\.\.)?[>\]]/g)) {
    if (!into.positionals.some((p) => p.name === m[1])) into.positionals.push({ name: m[1]! });
  }
  await Promise.all(pending);
}

/** The whole command line: the global flags at the top, every command under it. */
export async function completionTree(): Promise<CompletionNode> {
  const root = node();
  const pending: Promise<void>[] = [];
  globalOptions(recorder(root, pending));
  for (const n of ['help', 'h', 'version']) root.flags[n] = { value: false };
  for (const entry of Object.values(COMMANDS)) {
    const loaded = await entry.load();
    const name = nameOf(entry.command)!;
    root.commands[name] = node();
    await record(loaded.builder as (y: Argv) => unknown, root.commands[name], entry.command);
  }
  await Promise.all(pending);
  return root;
}
