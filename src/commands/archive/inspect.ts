/**
 * `dingo-recover archive inspect <url>`: prove a wal-e archive restorable.
 *
 * Exit codes: 0 restorable and complete (replay reaches the newest archived WAL); 4 not
 * restorable, or restorable only up to a hole in the WAL after LATEST's stop or to a timeline
 * whose successor's history file is missing (the JSON says "complete": false and the "lost"
 * range); 1 the archive could not be read; 2 bad usage.
 */
import type { Argv } from 'yargs';
import { secrets } from '../../core/invocation.js';
import { missingOf, type ArchiveReport } from '../../wale/report.js';
import type { BackupReach } from '../../drill/archive-window.js';
import { EXAMPLE_ARCHIVES } from './examples.js';
import type { ArgsOf } from '../lazy-command.js';
import { configurable } from '../flags/config-file.js';
import { s3FlagOptions, scenarioStoreOption, storeFromFlags } from '../flags/s3.js';
import { setExitCode } from '../exit-code.js';
import { writeErr, writeJson, writeOut } from '../terminal-out.js';

/** `archive inspect` exit codes beside the usual 1 (could not inspect) and 2 (bad usage). */
const INSPECT_EXIT = { complete: 0, notRestorable: 4 } as const;

function inspectExitCode(report: ArchiveReport): number {
  return report.complete ? INSPECT_EXIT.complete : INSPECT_EXIT.notRestorable;
}

function inspectOptions(y: Argv) {
  return configurable(y, s3FlagOptions)
    .positional('url', { type: 'string', demandOption: true, describe: 's3://BUCKET/backups/GUID/wal/' })
    .options({
      window: {
        type: 'boolean',
        describe:
          "also check every base backup, not only LATEST: its start and stop WAL location, whether every segment from its start to the archive's end is archived (holes named), and the first and last moments a restore from it reaches",
      },
      ...s3FlagOptions,
      ...scenarioStoreOption,
    })
    .example(`$0 archive inspect ${EXAMPLE_ARCHIVES.old} --json`, 'the report as JSON')
    .example(`$0 archive inspect ${EXAMPLE_ARCHIVES.old} --window`, 'what each base backup can be restored to')
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
    const { inspectArchive } = await import('../../archive/inspect.js');
    const { renderReport } = await import('./render.js');
    const store = await storeFromFlags(argv);
    let report: ArchiveReport;
    if (argv.window) {
      const { inspectWindows } = await import('../../drill/archive-window.js');
      const { localProcesses } = await import('../../systems/local-processes.js');
      const withReach = await inspectWindows(store, argv.url, localProcesses, secrets());
      report = withReach;
      if (argv.json) writeJson(withReach);
      else writeOut(`${renderReport(report)}${renderWindows(withReach.reach)}`);
    } else {
      report = await inspectArchive(store, argv.url, { redactor: secrets() });
      if (argv.json) writeJson(report);
      else writeOut(renderReport(report));
    }
    // Warnings apart from the result: a script reading stdout gets the report alone.
    if (!argv.json) for (const w of report.warnings) writeErr(`dingo-recover archive inspect: warning: ${w}\n`);
    setExitCode(inspectExitCode(report));
  },
};

/** Each base backup's reach, one paragraph each. */
function renderWindows(reach: BackupReach[]): string {
  const out = ['', 'base backups and what each reaches:'];
  for (const r of reach) {
    out.push(`  ${r.backup}: WAL ${r.startLsn} to ${r.stopLsn ?? '(stop unknown)'}${r.complete ? '' : ' (incomplete)'}`);
    if (!r.restorable) out.push(`    not restorable${r.problems.length ? `: ${r.problems.join(' ')}` : ''}`);
    else {
      out.push(
        `    reaches ${r.earliest ?? `(its end cannot be known: ${r.earliestSource})`} to ${r.latest ?? 'unknown'} (WAL ${r.reachesTo ?? 'none'})`,
      );
      for (const g of r.gaps)
        out.push(`    hole: WAL ${g.from === g.to ? g.from : `${g.from} .. ${g.to}`} (${g.count} segment(s)) missing`);
      if (r.lost) out.push(`    replay cannot reach WAL ${r.lost.from} .. ${r.lost.to} (${missingOf(r.lost)} is missing)`);
      for (const p of r.problems) out.push(`    problem: ${p}`);
    }
  }
  return `${out.join('\n')}\n`;
}
