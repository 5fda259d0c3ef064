/**
 * What a drill is given from the `drill` command's flags, whatever archive it restores: this
 * machine's programs, S3 and Docker Engine, the target, the checks asked for, and progress for a
 * person watching.
 */
import { UsageError } from '../../core/errors.js';
import { parseDuration } from '../../core/duration.js';
import { secrets, invocation } from '../../core/invocation.js';
import { systemClock, systemScratch } from '../../core/runtime.js';
import type { S3Flags } from '../../core/s3-flags.js';
import type { DrillOptions } from '../../drill/drill.js';
import type { TargetFlags } from '../../drill/recovery-target.js';
import { storeFromFlags } from '../flags/s3.js';
import type { NotifyFormat } from '../run/notify-formats.js';
import { screenOutput, type CommandOutput } from '../terminal-out.js';
import type { NotifyOn } from './notice.js';
import type { OnCellArgs } from './on-cell.js';

export interface DrillArgs extends S3Flags, Omit<TargetFlags, 'targetTime'>, OnCellArgs {
  scenario?: string;
  url: string;
  query?: string;
  expectRows?: number;
  maxAge?: string;
  targetTime?: string;
  pgBin?: string;
  dockerHost?: string;
  workdir?: string;
  keep?: boolean;
  json?: boolean;
  quiet?: boolean;
  deadline?: string;
  dbUser: string;
  dbName: string;
  concurrency: number;
  notify?: string;
  notifyFormat?: NotifyFormat;
  notifyOn?: NotifyOn;
  /** Every archive under `url` (`drill --all`), or `sample` of them, within `budget`; names from `clusterdata`. */
  all?: boolean;
  sample?: number;
  budget?: string;
  clusterdata?: string;
  'state-dir'?: string;
}

/** The settings of a drill of these flags; the caller adds the archive and the signal that stops it. */
export async function drillSettings(
  argv: DrillArgs,
  out: CommandOutput,
  local: { binRoot?: string },
): Promise<Omit<DrillOptions, 'url' | 'signal'>> {
  if (argv.expectRows !== undefined && (!Number.isInteger(argv.expectRows) || argv.expectRows < 0)) {
    throw new UsageError(`--expect-rows must be a whole number of rows, not "${argv.expectRows}"`);
  }
  const { parseTargetTime } = await import('../../drill/target-time.js');
  const { recoveryTargetOf } = await import('../../drill/recovery-target.js');
  const targetTime = argv.targetTime === undefined ? undefined : parseTargetTime(argv.targetTime);
  const target = recoveryTargetOf({ ...argv, targetTime }) ?? undefined;
  if (target && argv.maxAge !== undefined) {
    throw new UsageError(
      `--max-age checks the latest base backup and --${target.stop.kind === 'immediate' ? 'target' : `target-${target.stop.kind}`} restores to a target: give one of them`,
    );
  }
  const { localProcesses } = await import('../../systems/local-processes.js');
  const { dockerEngine } = await import('../../systems/docker-engine.js');
  return {
    processes: localProcesses,
    redactor: secrets(),
    store: await storeFromFlags(argv),
    query: argv.query,
    expectRows: argv.expectRows,
    target,
    maxAgeMs: argv.maxAge === undefined ? undefined : parseDuration(argv.maxAge, '--max-age'),
    deadlineMs: argv.deadline === undefined ? undefined : parseDuration(argv.deadline, '--deadline'),
    pgBin: argv.pgBin,
    binRoot: local.binRoot,
    engine: argv.dockerHost === undefined ? undefined : dockerEngine(argv.dockerHost),
    workdir: argv.workdir ?? systemScratch(),
    now: () => systemClock.now(),
    keep: argv.keep,
    dbUser: argv.dbUser,
    dbName: argv.dbName,
    concurrency: argv.concurrency,
    // Progress only for a person watching; cron and --json/--quiet get the outcome alone.
    progress:
      argv.quiet || argv.json || out !== screenOutput || !invocation().stderr.isTTY
        ? undefined
        : (m) => {
            out.stderr(`... ${m}\n`);
          },
  };
}
