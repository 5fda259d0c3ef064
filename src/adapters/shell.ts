/**
 * How a CommandSpec becomes the one command line an SSH exec request carries: argv
 * quoted for the remote POSIX shell, `sudo -n` in front when asked, and extra
 * environment handed over on standard input (never on the command line, where `ps`
 * on the cell would show it).
 */
import { quote } from '../core/command-line.js';
import { shellQuoteAll } from '../core/shell-quote.js';
import { StepFailed } from '../core/errors.js';
import type { Redactor } from '../core/redact.js';
import type { CommandResult, CommandSpec, StdinData } from '../core/seams.js';
import { prependStdin } from '../core/stdin.js';

/**
 * Reads `NAME=value` lines from stdin up to an empty line, exports them, then runs
 * the command with the rest of stdin. `read` takes input a byte at a time from a
 * pipe, so the command still sees its own input whole.
 */
const ENV_PREAMBLE = 'while IFS= read -r l && [ -n "$l" ]; do export "$l"; done; exec "$@"';

/** What `timeout` exits with when the deadline ends the command. */
export const TIMEOUT_EXIT = 124;

/**
 * The command, ended by the cell's `timeout` past its deadline, in whole seconds (exit 124): GNU timeout
 * signals the command's whole process group, so nothing it started goes on once the caller gave up.
 * An SSH server does not end a command without a terminal when its channel closes.
 */
export function limitedCommand(command: string, timeoutMs: number | undefined): string {
  return timeoutMs === undefined ? command : shellQuoteAll(['timeout', String(timeoutSeconds(timeoutMs)), 'sh', '-c', command]);
}

/** The whole seconds the cell's `timeout` is given for a deadline of `timeoutMs`. */
export const timeoutSeconds = (timeoutMs: number): number => Math.max(1, Math.ceil(timeoutMs / 1000));

export interface RemoteCommand {
  command: string;
  stdin: StdinData;
}

export function remoteCommand(spec: CommandSpec): RemoteCommand {
  const env = Object.entries(spec.env ?? {});
  let argv = spec.argv;
  let stdin: StdinData = spec.stdin ?? '';
  if (env.length > 0) {
    for (const [name, value] of env) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        throw new StepFailed(`environment variable name ${JSON.stringify(name)} cannot be passed to a remote command`);
      if (/[\n\0]/.test(value))
        throw new StepFailed(`environment variable ${name} holds a newline and cannot be passed to a remote command`);
    }
    argv = ['sh', '-c', ENV_PREAMBLE, 'sh', ...argv];
    stdin = prependStdin(env.map(([k, v]) => `${k}=${v}\n`).join('') + '\n', stdin);
  }
  if (spec.sudo) argv = ['sudo', '-n', ...argv];
  return { command: shellQuoteAll(argv), stdin };
}

/**
 * The command as an operator would read it in a message (redacted), whole: messages are journaled, and
 * the journal keeps what happened; only the screen may shorten a line.
 */
export function describe(spec: CommandSpec, redactor: Redactor): string {
  return redactor.redact(quote(spec.argv));
}

const SUDO_PASSWORD_REQUIRED = /sudo: (a password is required|a terminal is required)/;

/** `sudo -n` refuses rather than prompting: say what the account needs. */
export function assertSudoWorked(spec: CommandSpec, result: CommandResult, where: string, redactor: Redactor): void {
  if (!spec.sudo || result.exitCode === 0 || !SUDO_PASSWORD_REQUIRED.test(result.stderr)) return;
  throw new StepFailed(`sudo on ${where} needs a password, so \`${describe(spec, redactor)}\` could not run`, {
    hint: 'connect as a user with passwordless sudo (NOPASSWD), e.g. the user `bosh ssh` creates (group bosh_sudoers) or vcap on a BOSH cell',
  });
}
