/**
 * Commands as the operator pastes them back: values quoted for a POSIX shell, the program as it was
 * invoked (`npx dingo-recover` from a clone, `dingo-recover` installed), and the global options the
 * run needs to be found again (a `--state-dir` other than the default).
 */

import { invocation } from './invocation.js';
import { pasteCommand } from './shell-quote.js';

/** Quotes argv of a command printed for the operator to paste (core/shell-quote.ts). */
export const quote = pasteCommand;

/** The state folder every printed command must name, or undefined when it is the default. */
export function useStateDir(dir: string | undefined): void {
  invocation().stateDirArgs = dir === undefined ? [] : ['--state-dir', dir];
}

/** `npx dingo-recover` when npx (npm exec) started this process, else `dingo-recover`. */
function programName(env: NodeJS.ProcessEnv = invocation().env): string {
  return env.npm_command === 'exec' ? 'npx dingo-recover' : 'dingo-recover';
}

/** A dingo-recover command line to paste: `args` quoted, the state folder added when it is not the default. */
export function commandLine(args: readonly string[], env: NodeJS.ProcessEnv = invocation().env): string {
  return `${programName(env)} ${quote([...args, ...invocation().stateDirArgs])}`;
}

/** A rehearsal's `--scenario DIR`, for a command it prints that reads the same simulated platform (a drill); none live. */
export function scenarioFlag(platform: { readonly scenario?: string }): string[] {
  return platform.scenario ? ['--scenario', platform.scenario] : [];
}
