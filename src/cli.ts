/**
 * The command line: the yargs assembly and `main`. Each command lives in commands/ and loads only
 * when it runs. Exit codes are decided in one place (core/errors.ts). The top-level help is also
 * written at build time (`topLevelHelp`) so that bin/ can answer `--help` without loading yargs.
 */
import yargs, { type Argv } from 'yargs';
import { DingoError, EXIT, UsageError, exitCodeOf, isClosedOutput, uncaughtReport } from './core/errors.js';
import { CommandLineExit, invocation, secrets, tellCrash, withInvocation, type EmbeddedIo } from './core/invocation.js';
import { signalWords, STOP_SIGNALS } from './core/signals.js';
import { addCommands, COMMANDS } from './commands/index.js';
import { takeExitCode } from './commands/exit-code.js';
import { printError } from './commands/print-error.js';
import { globalOptions } from './commands/flags/global.js';
import { flagChecks } from './commands/flags/checks.js';
import { stdinValues } from './commands/flags/stdin-values.js';
import { nodeEndOfLifeLine } from './commands/node-support.js';
import { packageVersion } from './commands/package-files.js';

export { DEFAULT_RUNBOOK, DEFAULT_SCENARIO, packageRoot } from './commands/package-files.js';
export { defaultStateDir } from './commands/flags/state-dir.js';

/** Every exit code a command ends with, in words: one for each of core/errors.ts EXIT (a new one without words fails to compile). */
const EXIT_WORDS: Record<(typeof EXIT)[keyof typeof EXIT], string> = {
  0: 'done',
  1: 'step failed',
  2: 'bad usage or input',
  3: 'waiting for the operator',
  8: 'done with warnings (a step could not do all its work: the report says why)',
  75: 'another process drives the run (try again later, or --steal-lock)',
  130: 'interrupted',
  141: 'output closed (a run is saved as interrupted)',
};

/** The exit codes, for the top-level help: the runs' and the drill's own verdicts. */
const EXIT_CODES = `Exit codes: ${Object.entries(EXIT_WORDS)
  .map(([code, words]) => `${code} ${words}`)
  .join(
    ', ',
  )}; drill also ends 4 not restorable, 5 too old, 6 query failed, 7 could not run, and drill --all 9 budget spent (drill --help).`;

/** The names of the top-level commands (`logs` of `logs <command>`). */
const TOP_LEVEL = new Set(Object.values(COMMANDS).map((c) => c.command.split(' ')[0]!));

/**
 * What yargs refused, as a UsageError: a misspelled command is named with the one meant, the parent
 * command included (`logs fnd` -> `logs find`), and a command of commands given alone names its own.
 */
function usageError(msg: string | null, args: string[]): UsageError {
  const words = args.filter((a) => !a.startsWith('-'));
  const meant = /^Did you mean (.+)\?$/.exec(msg ?? '')?.[1];
  const parent = words.length > 1 && TOP_LEVEL.has(words[0]!) && !TOP_LEVEL.has(meant ?? '') ? `${words[0]} ` : '';
  const typed = parent ? words[1] : words[0];
  if (meant && typed)
    return new UsageError(`unknown command "${parent}${typed}": did you mean "${parent}${meant}"?`, {
      hint: `dingo-recover ${parent}${meant} --help`,
    });
  if (/^Not enough non-option arguments/.test(msg ?? '') && words.length === 1 && TOP_LEVEL.has(words[0]!))
    return new UsageError(`"${words[0]}" needs a command of its own`, { hint: `dingo-recover ${words[0]} --help lists them` });
  return new UsageError(msg || 'bad usage', { hint: 'see dingo-recover --help' });
}

/**
 * An example whose command holds a URL is printed on a line of its own, its description above it
 * as a shell comment (as kubectl prints examples): yargs gives an example's command at most half
 * the width, and would split the URL.
 */
function urlExamplesWhole<T>(y: Argv<T>): Argv<T> {
  const example = y.example.bind(y) as (command: string, description: string) => Argv<T>;
  const whole = (command: string, description: string): Argv<T> => {
    if (!command.includes('://')) return example(command, description);
    example(`# ${description}`, '');
    return example(command, '');
  };
  return Object.assign(y, { example: whole });
}

function parserFor(given: string[]) {
  const args = stdinValues(given);
  const y = urlExamplesWhole(yargs(args));
  const parser = addCommands(
    globalOptions(y)
      .scriptName('dingo-recover')
      .usage("$0 <command>\n\nRecover a user's deleted Dingo PostgreSQL service instance, step by step, with evidence."),
  )
    .middleware(flagChecks(args), true)
    .strict()
    .demandCommand(1, 'give a command')
    .epilogue(EXIT_CODES)
    .recommendCommands()
    .exitProcess(false)
    .fail((msg: string | null, err: Error | undefined) => {
      throw err ?? usageError(msg, args);
    })
    .help()
    .alias('help', 'h')
    .version(packageVersion())
    .alias('version', ['v', 'V'])
    // The terminal's width, examples and URLs included; on no terminal, lines are not wrapped at all.
    .wrap(y.terminalWidth())
    // English whatever the operator's locale: every other word on the screen is English.
    .detectLocale(false);
  return parser;
}

/**
 * The texts `dingo-recover --help` prints (and a bare `dingo-recover`): on no terminal (`none`: not
 * wrapped), and on a terminal of each of `widths` columns.
 */
export async function topLevelHelp(widths: readonly number[] = []): Promise<Record<string, string>> {
  const parser = parserFor([]);
  const texts: Record<string, string> = { none: `${await parser.wrap(null).getHelp()}\n` };
  for (const columns of widths) texts[columns] = `${await parser.wrap(columns).getHelp()}\n`;
  return texts;
}

/** The failure as the operator reads it on stderr (redacted); returns the exit code. */
function reportFailure(err: unknown): number {
  printError('', err);
  if (err instanceof DingoError) return exitCodeOf(err);
  invocation().stderr.write(secrets().redact(err instanceof Error ? (err.stack ?? '') : '') + '\n');
  return EXIT.stepFailed;
}

/** A reader that went away (`| head`, a pager quit) ends the output quietly; a run in progress handles it itself. */
function quietOnClosedOutput(err: unknown): void {
  if (!isClosedOutput(err)) throw err;
  if (process.stdout.listenerCount('error') === 1) process.exit(EXIT.outputClosed);
}

/**
 * A stop signal no command listens for (a run and the drill do, to journal it first) ends the process
 * as interrupted (130) by its exit, so what is done at exit is done (the children it started are
 * killed, child-processes.ts), where the signal's default would end it without.
 */
function exitOnStopSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  process.stderr.write(`\ninterrupted (${signalWords(signal)})\n`);
  process.exit(EXIT.interrupted);
}

/**
 * An error nothing caught (a library's event no one listens for) ends the process as a failed step does
 * (exit 1) by its exit, so what is done at exit is done (the children it started are killed, the copies
 * it made removed). A run records it first and shows it itself; otherwise it is shown here, redacted.
 */
function exitOnUncaught(err: unknown): void {
  if (!tellCrash(err)) process.stderr.write(`${secrets().redact(`dingo-recover: ${uncaughtReport(err)}`)}\n`);
  process.exit(EXIT.stepFailed);
}

/** What the command line that is its process takes on: its closed output, its stop signals, errors nothing caught, the AWS SDK's warning. */
function ownProcess(): void {
  if (!process.stdout.listeners('error').includes(quietOnClosedOutput)) process.stdout.on('error', quietOnClosedOutput);
  if (!process.listeners('uncaughtException').includes(exitOnUncaught)) process.on('uncaughtException', exitOnUncaught);
  for (const s of STOP_SIGNALS) if (!process.listeners(s).includes(exitOnStopSignal)) process.on(s, exitOnStopSignal);
  // The AWS SDK's warning about Node versions is seven lines in the middle of the operator's screen; ours is
  // one, for a person at a terminal who runs a command (cron and scripts read the outcome, not advice; help
  // and completion print only what was asked).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

export async function main(args: string[]): Promise<number> {
  if (invocation().ownsProcess) ownProcess();
  const asksHelp = args.length === 0 || args.some((a) => ['--help', '-h', '--version', '-v', '-V'].includes(a));
  const endOfLife =
    invocation().stderr.isTTY && !asksHelp && args[0] !== 'completion' ? nodeEndOfLifeLine(process.versions.node, new Date()) : undefined;
  if (endOfLife) invocation().stderr.write(`${endOfLife}\n`);
  takeExitCode();
  try {
    // A bare dingo-recover starts nothing: it shows what there is to do.
    await parserFor(args.length ? args : ['--help']).parseAsync();
    return takeExitCode();
  } catch (err) {
    if (err instanceof CommandLineExit) return err.code;
    return reportFailure(err);
  }
}

/**
 * Runs the command line inside this process, as a command line of its own (core/invocation.ts): its
 * environment, streams, secrets and exit code are `io`'s and its own, it never hears the process's
 * signals and never ends the process. yargs prints `--help` and `--version` with the process's
 * console: only bin/dingo-recover.js answers those.
 */
export function runInProcess(args: string[], io: EmbeddedIo): Promise<number> {
  return withInvocation(io, () => main(args));
}
