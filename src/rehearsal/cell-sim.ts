/**
 * A simulated Dingo cell: it answers exactly the command lines the live adapters
 * build (src/adapters/docker.ts, cell-files.ts), in Docker 1.11's formats, against a
 * JSON-serialisable state, and the typed calls to a container's database their commands
 * carry (CommandSpec.database, answered by cell-database.ts). Anything else is "not found", as a
 * shell would say, so a rehearsal notices a command the real cell was never asked.
 *
 * The commands live beside this file: cell-inspect.ts, cell-ps.ts, cell-lifecycle.ts
 * (stop, start, logs), cell-exec.ts (pg_isready, pg_controldata) and cell-files.ts (find, mkdir, test).
 */
import type { CommandResult, CommandSpec, DatabaseCall, StdinData } from '../core/seams.js';
import { advanceCrashLoops } from './crash-loop.js';
import { isStdinStream, stdinBytes } from '../core/stdin.js';
import { TarScan } from './cell-drill-tar.js';
import { answerCall } from './cell-database.js';
import { exec } from './cell-exec.js';
import { drillDocker } from './cell-drill-sim.js';
import { drillFiles } from './cell-drill-store.js';
import { exists, find, mkdirP } from './cell-files.js';
import { inspect } from './cell-inspect.js';
import { ps } from './cell-ps.js';
import { logs, start, stop } from './cell-lifecycle.js';
import { type CellHooks, type CellInput, type CellWorld, fail, ok, type Out } from './cell-world.js';

export type { CellHooks, CellWorld, SimContainer } from './cell-world.js';

/**
 * The program and arguments a command runs on the cell, its `sudo -n` taken off; undefined when sudo
 * asks this cell for a password, which it refuses.
 */
export function cellCommand(state: CellWorld, spec: Pick<CommandSpec, 'argv' | 'sudo'>): string[] | undefined {
  const sudo = spec.argv[0] === 'sudo' && spec.argv[1] === '-n';
  return (sudo || spec.sudo === true) && state.sudoNeedsPassword ? undefined : sudo ? spec.argv.slice(2) : spec.argv;
}

/** The docker CLI, by name or path: the arguments after it, or undefined for another program. */
function dockerArgs(argv: string[]): string[] | undefined {
  const [program = '', ...args] = argv;
  return program === 'docker' || program.endsWith('/docker') ? args : undefined;
}

/** A command for the simulated cell: its input, and a restore's dump, already read. */
export type CellSpec = Omit<CommandSpec, 'stdin' | 'database'> & {
  stdin?: CellInput;
  database?: { call: DatabaseCall; dump?: Buffer };
};

/**
 * A command read for the simulated cell, which answers once it has all of its input: a restore's
 * dump read whole, a streamed input as the tar members it holds, text and bytes as they are.
 */
export async function readCellSpec({ stdin, database, ...command }: CommandSpec): Promise<CellSpec> {
  if (database) {
    const dump = database.dump === undefined ? undefined : await stdinBytes(database.dump);
    return { ...command, database: { call: database.call, ...(dump && { dump }) } };
  }
  return { ...command, ...(stdin !== undefined && { stdin: await cellInput(stdin) }) };
}

async function cellInput(stdin: StdinData): Promise<CellInput> {
  if (!isStdinStream(stdin)) return stdin;
  const scan = new TarScan();
  for await (const chunk of stdin) scan.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Uint8Array));
  return { tar: scan.members };
}

export function simulateCell(state: CellWorld, spec: CellSpec, hooks: CellHooks = {}): CommandResult {
  const argv = cellCommand(state, spec);
  const now = (hooks.now ?? (() => new Date()))();
  // What Docker's restart policy did since the last command: a crash loop's exits and restarts.
  advanceCrashLoops(state, now);
  const out =
    argv === undefined
      ? fail(1, 'sudo: a password is required\n')
      : spec.database
        ? answerCall(state, spec.database.call, spec.database.dump ?? Buffer.alloc(0), now)
        : dispatch(state, argv, spec.stdin ?? '', hooks);
  return { ...out, durationMs: 0 };
}

function dispatch(state: CellWorld, argv: string[], stdin: CellInput, hooks: CellHooks): Out {
  const [program = '', ...args] = argv;
  const dockerCall = dockerArgs(argv);
  if (dockerCall) return docker(state, dockerCall, stdin, hooks);
  const drill = drillFiles(state, argv);
  if (drill) return drill;
  if (program === 'find') return find(state, args);
  if (program === 'mkdir' && args[0] === '-p' && args.length === 2) return mkdirP(state, args[1]!);
  if (program === 'test' && args[0] === '-e' && args.length === 2) return exists(state, args[1]!) ? ok() : fail(1, '');
  return fail(127, `sh: 1: ${program}: not found\n`);
}

function docker(state: CellWorld, args: string[], stdin: CellInput, hooks: CellHooks): Out {
  const rest = args[0] === '--host' || args[0] === '-H' ? args.slice(2) : args;
  const [command, ...a] = rest;
  const now = (hooks.now ?? (() => new Date()))();
  advanceCrashLoops(state, now);
  // The drill's throwaway containers (cell-drill-sim.ts) live beside the platform's.
  const drill = drillDocker(state, command, a, stdin, hooks);
  if (drill) return drill;
  switch (command) {
    case 'inspect':
      return inspect(state, a);
    case 'ps':
      return ps(state, a, now);
    case 'stop':
      return stop(state, a, now, hooks);
    case 'start':
      return start(state, a, now, hooks);
    case 'exec':
      return exec(state, a);
    case 'logs':
      return logs(state, a, now);
    default:
      return fail(1, `docker: '${command ?? ''}' is not a docker command.\nSee 'docker --help'.\n`);
  }
}
