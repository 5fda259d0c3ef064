/**
 * `recover --target-time TIME` (or --target-xid, --target-lsn, --target-name, --target-immediate, with
 * --target-exclusive and --target-timeline; `rehearse` too): the deleted instance brought back as it was
 * at the target, before a bad write, rather than at its last write. The recovery swaps the archive into
 * a new instance, which replays every WAL to the end, the bad write included; so the run is
 * recover-to-target instead, which finds and confirms the instance as the recovery does, answered
 * from the same answers, then restores its archive to the target and loads it into a new service of
 * its name. The flags are checked as the drill checks them, before any run exists, and become the
 * runbook's inputs.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../../core/errors.js';
import { parseTargetTime } from '../../drill/target-time.js';
import { recoveryTargetOf, type RecoveryTarget } from '../../drill/recovery-target.js';
import { DEFAULT_RUNBOOK, runbookPath } from '../package-files.js';

const TARGET_RUNBOOK = 'recover-to-target';

export interface TargetArgs {
  targetTime?: string;
  targetXid?: string;
  targetLsn?: string;
  targetName?: string;
  targetImmediate?: boolean;
  targetExclusive?: boolean;
  targetTimeline?: string;
}

/** The runbook's target inputs and the flag that gives each. */
const TARGET_FLAGS = {
  targetTime: '--target-time',
  targetXid: '--target-xid',
  targetLsn: '--target-lsn',
  targetName: '--target-name',
  targetImmediate: '--target-immediate',
  targetExclusive: '--target-exclusive',
  targetTimeline: '--target-timeline',
};

const INSTEAD = `runs ${TARGET_RUNBOOK} (the archive restored to it in a scratch server, dumped and loaded into a new service of the instance's name) instead of swapping the archive in; only with the default runbook`;

export function targetOptions<T>(y: Argv<T>) {
  return y
    .option('target-time', {
      type: 'string',
      describe: `bring the deleted instance back as it was at TIME (ISO 8601 with its zone, e.g. 2016-11-21T14:01:30Z; a transaction committed exactly then is included), not at its last write: ${INSTEAD}`,
    })
    .option('target-xid', {
      type: 'string',
      describe: 'or as it was at this transaction (archive mistakes lists them; with --target-exclusive, just before it)',
    })
    .option('target-lsn', { type: 'string', describe: 'or as it was at this WAL location, e.g. 0/3000060' })
    .option('target-name', { type: 'string', describe: 'or as it was at this restore point' })
    .option('target-immediate', { type: 'boolean', describe: 'or as it was when its base backup ended (LATEST, no later WAL)' })
    .option('target-exclusive', {
      type: 'boolean',
      describe: 'leave the target out: stop just before the transaction, the WAL record or a commit at the moment',
    })
    .option('target-timeline', { type: 'string', describe: 'the timeline to recover along: latest (the default), current, or its number' });
}

/** The drill's flag in a refusal, as these commands name it. */
function asOurFlags(text: string): string {
  return text.replace(/--target immediate/g, '--target-immediate');
}

/** The target the flags ask for (null: none), refused as the drill refuses (several, malformed) with these commands' flag names. */
function targetOf(argv: TargetArgs): RecoveryTarget | null {
  try {
    return recoveryTargetOf({
      targetTime: argv.targetTime === undefined ? undefined : parseTargetTime(argv.targetTime),
      targetXid: argv.targetXid,
      targetLsn: argv.targetLsn,
      targetName: argv.targetName,
      target: argv.targetImmediate ? 'immediate' : undefined,
      targetExclusive: argv.targetExclusive,
      targetTimeline: argv.targetTimeline,
    });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    throw new UsageError(asOurFlags(err.message), { hint: err.hint && asOurFlags(err.hint) });
  }
}

/**
 * With a target, the runbook the run takes (recover-to-target) and the inputs the flags give it;
 * undefined without one. `runbook` is the one the run would take without it. Refused before any run exists.
 */
export function atTarget(
  argv: TargetArgs,
  runbook: string,
): { runbook: string; inputs: Record<string, unknown>; inputFlags: Record<string, string> } | undefined {
  const target = targetOf(argv);
  if (!target) return undefined;
  if (runbookPath(runbook) !== runbookPath(DEFAULT_RUNBOOK)) {
    throw new UsageError(
      `a target (--target-time and the like) is for the recovery of a deleted instance (${DEFAULT_RUNBOOK}), not runbook ${runbook}`,
      {
        hint: "leave out --runbook (or its scenario's runbook); to bring back any instance, live or deleted, as it was at a target, run --runbook restore-to-time with targetTime (or targetXid...) in the answers file",
      },
    );
  }
  // Every target input is given: an answers file naming another target (or another part of one) is refused.
  return {
    inputFlags: TARGET_FLAGS,
    runbook: TARGET_RUNBOOK,
    inputs: {
      targetTime: argv.targetTime?.trim() ?? '',
      targetXid: argv.targetXid?.trim() ?? '',
      targetLsn: argv.targetLsn?.trim() ?? '',
      targetName: argv.targetName ?? '',
      targetImmediate: argv.targetImmediate === true,
      targetExclusive: argv.targetExclusive === true,
      targetTimeline: argv.targetTimeline?.trim() ?? '',
    },
  };
}
