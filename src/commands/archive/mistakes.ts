/**
 * `dingo-recover archive mistakes <url>`: the commits in an archive's WAL, the TRUNCATEs, DROPs and
 * mass DELETEs or UPDATEs among them pointed out, and the restore that stops just before the first.
 * Exit codes as the drill's (src/drill/exit-codes.ts): 0 listed, 2 bad usage, 4 not restorable or
 * outside the archive, 7 could not run (no pg_waldump of the archive's major, the deadline).
 */
import type { Argv } from 'yargs';
import { exitCodeOf, messageOf, UsageError } from '../../core/errors.js';
import { oneLine, printableJson } from '../../core/display.js';
import { secrets, invocation } from '../../core/invocation.js';
import { systemClock, systemScratch } from '../../core/runtime.js';
import { parseDuration } from '../../core/duration.js';
import type { S3Flags } from '../../core/s3-flags.js';
import type { MistakesOptions, MistakesReport } from '../../drill/mistakes.js';
import { EXAMPLE_ARCHIVES } from './examples.js';
import { configurable } from '../flags/config-file.js';
import { setExitCode } from '../exit-code.js';
import { printError } from '../print-error.js';
import { s3FlagOptions, scenarioStoreOption, storeFromFlags, walePrefixOption } from '../flags/s3.js';
import { screenOutput, type CommandOutput } from '../terminal-out.js';
import { CELL_REACH_FLAGS, checkOnCellFlags, ON_CELL_FLAGS, type CellDriller, type OnCellArgs } from '../drill/on-cell.js';

export interface MistakesArgs extends S3Flags, OnCellArgs {
  scenario?: string;
  url: string;
  until?: string;
  since?: string;
  massRows: number;
  pgBin?: string;
  deadline?: string;
  json?: boolean;
}

/** Rows of one table a DELETE or UPDATE must change to be pointed out, by default. */
const MASS_ROWS = 1000;

export const mistakesCommand = {
  command: 'mistakes <url>',
  describe:
    'List the commits in the archived WAL, point out TRUNCATE, DROP and mass DELETE/UPDATE, and propose the restore that stops before the first',
  builder: (yargs: Argv) =>
    configurable(yargs, { ...s3FlagOptions, ...CELL_REACH_FLAGS })
      .positional('url', walePrefixOption)
      .options({
        until: {
          type: 'string',
          describe:
            "the end of the window (ISO 8601 with its zone; default: the archive's end): the scan starts at the newest base backup that ended before it",
        },
        since: { type: 'string', describe: 'start the window at the newest base backup that ended before this moment instead' },
        'mass-rows': {
          type: 'number',
          default: MASS_ROWS,
          describe: 'point out a DELETE or UPDATE of at least this many rows of one table',
        },
        'pg-bin': { type: 'string', describe: "folder of the archive's major's PostgreSQL binaries (pg_ctl, pg_waldump)" },
        deadline: { type: 'string', describe: 'give up (exit 7) when the restore of the base backup takes longer' },
        json: { type: 'boolean', describe: 'print the findings as JSON' },
        ...s3FlagOptions,
        ...scenarioStoreOption,
        ...ON_CELL_FLAGS,
        'on-cell': {
          type: 'string',
          describe:
            "restore and read the WAL in the service's own image on this Dingo cell (its IP), when it holds the archive's WAL reader (pg_xlogdump for 9.x, pg_waldump from 10): for an archive whose PostgreSQL this machine has no server of. Reached as recover reaches the cells; the archive is fetched and checked here and streamed in",
        },
      })
      .example(
        `$0 archive mistakes ${EXAMPLE_ARCHIVES.old} --on-cell 10.58.111.150 --gateway ubuntu@opsman`,
        "a 9.5 archive: restored and its WAL read by pg_xlogdump in the service's image on that Dingo cell",
      )
      .example(
        `$0 archive mistakes ${EXAMPLE_ARCHIVES.old} --until 2016-11-21T15:00:00Z`,
        'which transaction emptied the table before 15:00 UTC?',
      ),
  handler: async (argv: MistakesArgs) => {
    setExitCode(await runMistakesCommand(argv));
  },
};

/** Runs the scan for parsed arguments; returns the exit code. */
export async function runMistakesCommand(argv: MistakesArgs, out: CommandOutput = screenOutput): Promise<number> {
  const abort = new AbortController();
  const onSignal = (): void => {
    abort.abort();
  };
  const stopListening = invocation().onStop(onSignal);
  let cell: CellDriller | undefined;
  try {
    checkOnCellFlags(argv);
    if (!Number.isInteger(argv.massRows) || argv.massRows < 1) {
      throw new UsageError(`--mass-rows must be a whole number of rows from 1, not "${argv.massRows}"`);
    }
    const { parseTargetTime } = await import('../../drill/target-time.js');
    const { findArchiveMistakes } = await import('../../drill/mistakes.js');
    const options: MistakesOptions = {
      url: argv.url,
      store: await storeFromFlags(argv),
      until: argv.until === undefined ? undefined : parseTargetTime(argv.until, '--until'),
      since: argv.since === undefined ? undefined : parseTargetTime(argv.since, '--since'),
      massRows: argv.massRows,
      processes: (await import('../../systems/local-processes.js')).localProcesses,
      redactor: secrets(),
      workdir: systemScratch(),
      now: () => systemClock.now(),
      pgBin: argv.pgBin,
      deadlineMs: argv.deadline === undefined ? undefined : parseDuration(argv.deadline, '--deadline'),
      signal: abort.signal,
      progress:
        argv.json || out !== screenOutput || !invocation().stderr.isTTY
          ? undefined
          : (m) => {
              out.stderr(`... ${m}\n`);
            },
    };
    let report: MistakesReport;
    if (argv.onCell) {
      const { cellDeadline, openCellDrillerHere } = await import('../drill/on-cell.js');
      const deadline = { ms: options.deadlineMs, given: argv.deadline };
      const limit = cellDeadline('archive mistakes', argv.onCell, deadline, abort.signal, options.progress);
      const here = { ...options, progress: limit.progress };
      cell = await openCellDrillerHere(argv, here);
      const { result, ranOn } = await cell
        .at((place) => findArchiveMistakes({ ...here, signal: limit.signal, cell: place }))
        .catch((err: unknown) => {
          throw limit.failure(err);
        });
      report = result;
      if (ranOn.without.length)
        report.warnings.push(`read without the hardening option(s) ${ranOn.without.join(', ')}, which the cell's Docker refused`);
    } else report = await findArchiveMistakes(options);
    out.stdout(secrets().redact(argv.json ? `${printableJson({ ok: true, report }, 2)}\n` : renderMistakes(report)));
    return 0;
  } catch (err) {
    const code = exitCodeOf(err);
    if (argv.json) out.stdout(secrets().redact(`${printableJson({ ok: false, exitCode: code, message: messageOf(err) }, 2)}\n`));
    else printError('archive mistakes', err, out.stderr);
    return code;
  } finally {
    await cell?.close().catch(() => undefined);
    stopListening();
  }
}

/** The findings for a person: suspects first, then every commit, every name printable on one line. */
function renderMistakes(r: MistakesReport): string {
  const out = [
    `archive ${r.archive}`,
    `  base backup ${r.backup} (PostgreSQL ${r.postgresMajor}), restored and read in ${oneLine(r.readIn)}; WAL read from ${r.scanned.from} to ${r.scanned.to ?? 'nothing'} (${r.scanned.records} records in ${r.scanned.segments} segment(s))${r.until ? `, commits up to ${r.until}` : ''}`,
  ];
  out.push(r.suspects.length ? 'suspects:' : 'no TRUNCATE, DROP or mass DELETE/UPDATE found');
  for (const s of r.suspects) out.push(`  transaction ${s.xid}  committed ${s.at}  at ${s.lsn}: ${s.flags.map(oneLine).join('; ')}`);
  if (r.proposal) {
    out.push(`proposed stop: just before transaction ${r.proposal.xid} (recovery_target_xid ${r.proposal.xid}, exclusive):`);
    out.push(`  ${oneLine(r.proposal.command)}`);
  }
  out.push(`commits (${r.commits.length}):`);
  for (const c of r.commits) {
    const what = [
      ...c.relations.map(
        (x) =>
          `${oneLine(x.relation)} ${[
            ['+', x.insert],
            ['~', x.update],
            ['~hot ', x.hotUpdate],
            ['-', x.delete],
          ]
            .filter(([, n]) => n)
            .map(([k, n]) => `${k}${n}`)
            .join(' ')}`,
      ),
      ...c.truncated.map((n) => `TRUNCATE ${oneLine(n)}`),
      ...c.dropped.map((n) => `DROP ${oneLine(n)}`),
      ...c.rewritten.map((n) => `rewrote ${oneLine(n)}`),
    ];
    out.push(`  ${c.xid.padStart(10)}  ${c.at}  ${c.lsn.padEnd(11)}  ${what.join(', ')}`);
  }
  if (r.restorePoints.length)
    out.push(`restore points: ${r.restorePoints.map((p) => `${JSON.stringify(oneLine(p.name))} at ${p.lsn}`).join(', ')}`);
  for (const w of r.warnings) out.push(`warning: ${oneLine(w)}`);
  return `${out.join('\n')}\n`;
}
