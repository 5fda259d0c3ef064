/**
 * `dingo-recover drill s3://BUCKET/PREFIX`: restore the archive's LATEST base
 * backup into a throwaway PostgreSQL, replay its WAL, run a query, report.
 * Exit codes: src/drill/exit-codes.ts.
 */
import type { Argv } from 'yargs';
import { exitCodeOf, messageOf } from '../../core/errors.js';
import { secrets, invocation } from '../../core/invocation.js';
import type { DrillReport } from '../../drill/drill.js';
import { DRILL_EXIT, DrillFailed } from '../../drill/exit-codes.js';
import { EXAMPLE_ARCHIVES } from '../archive/examples.js';
import { printError } from '../print-error.js';
import { configurable } from '../flags/config-file.js';
import { s3FlagOptions, scenarioStoreOption, walePrefixOption } from '../flags/s3.js';
import { setExitCode } from '../exit-code.js';
import { LOCAL_ENGINE_FLAG } from '../flags/engine.js';
import { screenOutput, type CommandOutput } from '../terminal-out.js';
import { printableJson } from '../../core/display.js';
import { NOTIFY_FLAG } from '../flags/connection.js';
import { drillNotice, notifyDrill, NOTIFY_ON_FLAG, type DrillEnd } from './notice.js';
import { webhookFor, type Webhook } from '../run/notifier.js';
import { CLUSTERDATA_FLAG } from '../logs/evidence-flags.js';
import { drillSettings, type DrillArgs } from './settings.js';
import { holdWaits } from './quiet-waits.js';
import { CELL_REACH_FLAGS, checkOnCellFlags, ON_CELL_FLAGS, type CellDrilled } from './on-cell.js';
import { renderCellDrillReport, renderDrillReport, renderWarnings } from './render.js';

export type { DrillArgs };

export const drillCommand = {
  command: 'drill <url>',
  describe: 'Restore a wal-e archive (or, with --all, every archive under a prefix) into a throwaway PostgreSQL and check what comes back',
  builder: (yargs: Argv) =>
    configurable(yargs, { ...s3FlagOptions, ...NOTIFY_FLAG, ...CLUSTERDATA_FLAG, ...CELL_REACH_FLAGS })
      .positional('url', {
        ...walePrefixOption,
        describe: `${walePrefixOption.describe} (with --all, the folder of archives: s3://BUCKET/backups/)`,
      })
      .options({
        query: { type: 'string', describe: 'SQL to run on the restored database' },
        'expect-rows': { type: 'number', describe: 'fail (exit 6) unless the query returns this many rows' },
        'max-age': { type: 'string', describe: 'fail (exit 5) when LATEST finished longer ago, e.g. 24h' },
        'target-time': {
          type: 'string',
          describe:
            'restore the database as it was at this moment (ISO 8601 with its zone, e.g. 2016-11-21T14:01:30Z): the newest base backup that ended before it, WAL replayed up to it; a transaction committed exactly at that moment is included. Outside what the archive reaches: exit 4, naming the range',
        },
        'target-xid': {
          type: 'string',
          describe:
            'restore up to the commit of this transaction (archive mistakes lists them), included unless --target-exclusive: the earliest base backup, its WAL replayed until then. Not met in the archived WAL: exit 4',
        },
        'target-lsn': {
          type: 'string',
          describe:
            'restore up to this WAL location (e.g. 0/3000060): the newest base backup that ended before it. Before the earliest backup ended or after the newest archived WAL: exit 4, naming the range',
        },
        'target-name': {
          type: 'string',
          describe: 'restore up to this named restore point (pg_create_restore_point); not met in the archived WAL: exit 4',
        },
        target: { type: 'string', describe: 'immediate: stop as soon as the base backup (LATEST) is consistent, replaying no later WAL' },
        'target-exclusive': {
          type: 'boolean',
          describe:
            'leave the target out: stop just before the transaction of --target-xid, the record at --target-lsn, a commit at --target-time',
        },
        'target-timeline': { type: 'string', describe: 'the timeline to recover along: latest (the default), current, or its number' },
        'pg-bin': { type: 'string', describe: 'folder of the PostgreSQL binaries (pg_ctl, psql) to restore with' },
        'docker-host': LOCAL_ENGINE_FLAG,
        workdir: { type: 'string', describe: 'where the scratch data folder goes (default: the temp folder)' },
        keep: { type: 'boolean', describe: 'keep the scratch folder (data, server log) afterwards' },
        json: { type: 'boolean', describe: 'print the report as JSON' },
        quiet: { type: 'boolean', describe: 'print nothing on success' },
        deadline: {
          type: 'string',
          describe:
            'give up (exit 7) when the whole drill takes longer, stopping the server (default: 15m plus 2m per GiB of base backup and WAL)',
        },
        'db-user': { type: 'string', default: 'postgres', describe: 'role the query runs as (SET ROLE: its own settings do not apply)' },
        'db-name': { type: 'string', default: 'postgres', describe: 'database the query runs in' },
        concurrency: { type: 'number', default: 4, describe: 'base backup partitions downloaded at once' },
        ...s3FlagOptions,
        ...scenarioStoreOption,
        notify: {
          type: 'string',
          describe: 'webhook URL told when the drill fails (exit code other than 0), or after every drill with --notify-on always',
        },
        'notify-format': NOTIFY_FLAG['notify-format'],
        'notify-on': NOTIFY_ON_FLAG,
        all: {
          type: 'boolean',
          describe:
            "drill every archive under the URL (s3://BUCKET/backups/), one after the other: a table of each one's backup age, WAL chain and result (or --json), exit code the worst result; a second run while one holds the lock in the state folder exits 75 naming it",
        },
        sample: {
          type: 'number',
          describe:
            "with --all: drill only N archives, those this machine drilled longest ago (never drilled first; the state folder's drill-history.json)",
        },
        budget: {
          type: 'string',
          describe:
            "with --all: the whole run's time, e.g. 2h; when spent, the drill under way is stopped and the rest are listed as not drilled (exit 9)",
        },
        clusterdata: {
          ...CLUSTERDATA_FLAG.clusterdata,
          describe:
            "with --all: the broker's clusterdata backup bucket, s3://BUCKET[/PREFIX], whose records name each instance in the table",
        },
        ...ON_CELL_FLAGS,
      })
      .example(
        `$0 drill ${EXAMPLE_ARCHIVES.old} --target-time 2016-11-21T14:01:30Z --query 'select count(*) from orders'`,
        'the database as it was at 14:01:30 UTC (e.g. just before a bad DELETE), and the moment replay stopped',
      )
      .example(
        `$0 drill ${EXAMPLE_ARCHIVES.old} --target-xid 1843 --target-exclusive --query 'select count(*) from orders'`,
        'the database just before transaction 1843 (a TRUNCATE that archive mistakes found) committed',
      )
      .example(
        `$0 drill ${EXAMPLE_ARCHIVES.old} --query 'select count(*) from orders' --max-age 24h`,
        'restore the newest base backup, replay its WAL, run the query; fail when LATEST is older than a day',
      )
      .example(
        `$0 drill ${EXAMPLE_ARCHIVES.old} --quiet --max-age 24h --notify https://hooks.slack.com/services/…`,
        'from cron: silent, and the chat told only when the drill fails',
      )
      .example(
        `$0 drill ${EXAMPLE_ARCHIVES.old} --on-cell 10.58.111.150 --gateway ubuntu@opsman`,
        "a 9.5 archive, which no server here restores: drilled in the service's own image on that Dingo cell, reached as recover reaches it",
      )
      .example(
        `$0 drill --all s3://dingo-wal/backups/ --sample 5 --budget 2h --quiet --clusterdata s3://dingo-clusterdata --notify https://hooks.slack.com/services/…`,
        'from cron: the five archives drilled longest ago, one at a time, two hours at most; the chat told only when one fails',
      ),
  handler: async (argv: DrillArgs) => {
    if (argv.all || argv.sample !== undefined || argv.budget !== undefined) {
      const { runDrillAll } = await import('./all.js');
      setExitCode(await runDrillAll(argv, screenOutput));
      return;
    }
    setExitCode(await runDrillCommand(argv));
  },
};

/**
 * Run the drill for parsed arguments; returns the exit code. `binRoot`: where server binaries are
 * looked for instead of this machine's install (a test's empty folder: none installed).
 */
export async function runDrillCommand(
  argv: DrillArgs,
  out: CommandOutput = screenOutput,
  local: { binRoot?: string } = {},
): Promise<number> {
  const abort = new AbortController();
  const onSignal = (): void => {
    abort.abort();
  };
  const stopListening = invocation().onStop(onSignal);
  const began = new Date();
  let hook: Webhook | undefined;
  let code: number;
  let end: DrillEnd;
  const waits = holdWaits(argv.quiet, out);
  try {
    hook = await webhookFor(argv.notify, argv.notifyFormat);
    checkOnCellFlags(argv);
    const settings = await drillSettings(argv, out, local);
    const report = argv.onCell
      ? await (await import('./on-cell.js')).drillOnCell(argv, settings, abort.signal)
      : await (await import('../../drill/drill.js')).runDrill({ ...settings, url: argv.url, signal: abort.signal });
    if (argv.json) out.stdout(secrets().redact(`${printableJson({ ok: true, report }, 2)}\n`));
    else if (!argv.quiet) {
      out.stdout(secrets().redact('ranOn' in report ? renderCellDrillReport(report) : renderDrillReport(report)));
      // Warnings apart from the result: a script reading stdout gets the report alone.
      if (report.warnings.length) out.stderr(renderWarnings(report.warnings.map((w) => secrets().redact(w))));
    }
    code = DRILL_EXIT.ok;
    end = { report };
  } catch (err) {
    code = abort.signal.aborted ? DRILL_EXIT.interrupted : exitCodeOf(err);
    waits.say();
    const outcome = err instanceof DrillFailed ? err.outcome : code === 2 ? 'bad-usage' : abort.signal.aborted ? 'interrupted' : 'error';
    end = { err, outcome };
    if (argv.json) {
      const failure = {
        ok: false,
        exitCode: code,
        outcome,
        message: messageOf(err),
        hint: err instanceof DrillFailed ? (err.hint ?? null) : null,
        workdir: err instanceof DrillFailed ? err.workdir : null,
        lost: err instanceof DrillFailed ? err.lost : null,
        reachable: err instanceof DrillFailed ? err.reachable : null,
      };
      out.stdout(secrets().redact(`${printableJson(failure, 2)}\n`));
    } else {
      printError('drill', err, out.stderr);
    }
  } finally {
    waits.drop();
    stopListening();
  }
  if (hook && (code !== DRILL_EXIT.ok || argv.notifyOn === 'always')) {
    await notifyDrill(hook, drillNotice(argv.url, code, began, end), out.stderr);
  }
  return code;
}

export type { DrillReport, CellDrilled };
