/**
 * `dingo-recover archive inspect <url>`: prove a wal-e archive restorable.
 *
 * Exit codes: 0 restorable and complete (replay reaches the newest archived WAL); 4 not
 * restorable, or restorable only up to a hole in the WAL after LATEST's stop or to a timeline
 * whose successor's history file is missing (the JSON says "complete": false and the "lost"
 * range); 1 the archive could not be read; 2 bad usage.
 */
import type { Argv } from 'yargs';
import type { ArchiveReport } from '../wale/report.js';
import { EXAMPLE_ARCHIVES } from './archive-examples.js';
import type { ArgsOf } from './lazy-command.js';
import { configurable } from './config-file.js';
import { s3FlagOptions, storeFromFlags } from './s3-flags.js';
import { setExitCode } from './exit-code.js';
import { writeErr, writeJson, writeOut } from './terminal-out.js';

/** `archive inspect` exit codes beside the usual 1 (could not inspect) and 2 (bad usage). */
const INSPECT_EXIT = { complete: 0, notRestorable: 4 } as const;

function inspectExitCode(report: ArchiveReport): number {
  return report.complete ? INSPECT_EXIT.complete : INSPECT_EXIT.notRestorable;
}

function inspectOptions(y: Argv) {
  return configurable(y, s3FlagOptions)
    .positional('url', { type: 'string', demandOption: true, describe: 's3://BUCKET/backups/GUID/wal/' })
    .options(s3FlagOptions)
    .example(`$0 archive inspect ${EXAMPLE_ARCHIVES.old} --json`, 'the report as JSON')
    .epilogue(
      'Exit codes: 0 restorable and complete; 4 not restorable, or replay cannot reach the newest archived segment (a hole in ' +
        'the WAL after the LATEST backup, or WAL on a timeline whose history file is missing: "complete": false, ' +
        '"lost": {"from", "to"}); 1 the archive could not be read; 2 bad usage.',
    );
}

export const inspectCommand = {
  command: 'inspect <url>',
  describe: 'Prove a wal-e archive restorable: base backups, LATEST, WAL chain, gaps (exit 4 when not restorable to its newest WAL)',
  builder: inspectOptions,
  handler: async (argv: ArgsOf<typeof inspectOptions> & { json?: boolean }) => {
    const { inspectArchive } = await import('../archive/inspect.js');
    const { renderReport } = await import('./render-archive.js');
    const report = await inspectArchive(await storeFromFlags(argv), argv.url);
    if (argv.json) writeJson(report);
    else {
      writeOut(renderReport(report));
      // Warnings apart from the result: a script reading stdout gets the report alone.
      for (const w of report.warnings) writeErr(`dingo-recover archive inspect: warning: ${w}\n`);
    }
    setExitCode(inspectExitCode(report));
  },
};
