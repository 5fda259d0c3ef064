/**
 * The command line: the yargs assembly and `main`. Each command lives in commands/ and loads only
 * when it runs. Exit codes are decided in one place (core/errors.ts). The top-level help is also
 * written at build time (`topLevelHelp`) so that bin/ can answer `--help` without loading yargs.
 */
import { resolve } from 'node:path';
import yargs from 'yargs';
import { useStateDir } from './core/command-line.js';
import { DingoError, EXIT, UsageError, exitCodeOf, isClosedOutput, messageOf } from './core/errors.js';
import { secrets } from './core/redact.js';
import { addCommands } from './commands/index.js';
import { takeExitCode } from './commands/exit-code.js';
import { globalOptions } from './commands/global-options.js';
import { packageVersion } from './commands/package-files.js';

export { DEFAULT_RUNBOOK, DEFAULT_SCENARIO, packageRoot } from './commands/package-files.js';
import { defaultStateDir } from './commands/state-dir.js';
export { defaultStateDir };

function parserFor(args: string[]) {
  const parser = addCommands(
    globalOptions(yargs(args))
      .scriptName('dingo-recover')
      .usage("$0 <command>\n\nRecover a user's deleted Dingo PostgreSQL service instance, step by step, with evidence."),
  )
    .strict()
    .command({
      command: '$0',
      describe: false,
      handler: () => {
        // A bare dingo-recover starts nothing: it shows what there is to do.
        parser.showHelp((text) => {
          process.stdout.write(text + '\n');
        });
      },
    })
    .demandCommand(0)
    // Every command the tool prints for pasting back names the state folder when it is not the default.
    .middleware((argv) => {
      const dir = resolve(argv['state-dir']);
      useStateDir(dir === defaultStateDir() ? undefined : dir);
    })
    .epilogue(
      'Exit codes: 0 done, 1 step failed, 2 bad usage or input, 3 waiting for the operator, 130 interrupted, 141 output closed (a run is saved as interrupted).',
    )
    .exitProcess(false)
    .fail((msg: string | null, err: Error | undefined) => {
      throw err ?? new UsageError(msg || 'bad usage', { hint: 'see --help' });
    })
    .help()
    .version(packageVersion())
    // English whatever the operator's locale: every other word on the screen is English.
    .detectLocale(false);
  return parser;
}

/** The text `dingo-recover --help` prints (and a bare `dingo-recover`), for a screen of 80 columns or no terminal. */
export async function topLevelHelp(): Promise<string> {
  return `${await parserFor([]).wrap(80).getHelp()}\n`;
}

/** The failure as the operator reads it on stderr (redacted); returns the exit code. */
function reportFailure(err: unknown): number {
  const message = secrets.redact(messageOf(err));
  process.stderr.write(`dingo-recover: ${message}\n`);
  if (err instanceof DingoError) {
    if (err.hint) process.stderr.write(`what to do: ${secrets.redact(err.hint)}\n`);
    return exitCodeOf(err);
  }
  process.stderr.write(secrets.redact(err instanceof Error ? (err.stack ?? '') : '') + '\n');
  return EXIT.stepFailed;
}

/** A reader that went away (`| head`, a pager quit) ends the output quietly; a run in progress handles it itself. */
function quietOnClosedOutput(err: unknown): void {
  if (!isClosedOutput(err)) throw err;
  if (process.stdout.listenerCount('error') === 1) process.exit(EXIT.outputClosed);
}

export async function main(args: string[]): Promise<number> {
  if (!process.stdout.listeners('error').includes(quietOnClosedOutput)) process.stdout.on('error', quietOnClosedOutput);
  takeExitCode();
  try {
    await parserFor(args).parseAsync();
    // Domain commands (drill, wal-fetch, archive) report their own exit codes through process.exitCode.
    const code = takeExitCode();
    return code !== EXIT.done ? code : Number(process.exitCode ?? EXIT.done);
  } catch (err) {
    return reportFailure(err);
  }
}
