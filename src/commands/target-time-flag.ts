/**
 * `recover --target-time TIME` (and `rehearse --target-time TIME`): the deleted instance brought back
 * as it was at TIME, before a bad write, rather than at its last write. The recovery swaps the
 * archive into a new instance, which replays every WAL to the end, the bad write included; so the
 * run is restore-to-time instead, answered from the recovery's answers: the copy a new service
 * named as the deleted instance.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../core/errors.js';
import { parseTargetTime } from '../drill/target-time.js';
import { type AnswersMapping, confirmIds } from '../engine/operator/index.js';
import { loadRunbook } from '../engine/runbook/index.js';
import { actionRegistry } from './action-registry.js';
import { DEFAULT_RUNBOOK, runbookPath } from './package-files.js';

const RUNBOOK = 'restore-to-time';

export function targetTimeOption<T>(y: Argv<T>) {
  return y.option('target-time', {
    type: 'string',
    describe:
      "bring the deleted instance back as it was at TIME (ISO 8601 with its zone, e.g. 2016-11-21T14:01:30Z; a transaction committed exactly then is included), not at its last write: runs restore-to-time, which restores the archive to TIME in a scratch server, dumps it and loads the dumps into a new service of the instance's name, instead of swapping the archive in (only with the default runbook)",
  });
}

/**
 * The runbook and the mapping of the recovery's answers a run given --target-time starts with; `runbook`
 * is the one the run would take without it. Refused before any run exists.
 */
export async function atTargetTime(given: string, runbook: string): Promise<{ runbookFile: string; answersMapping: AnswersMapping }> {
  if (runbookPath(runbook) !== runbookPath(DEFAULT_RUNBOOK)) {
    throw new UsageError(`--target-time is for the recovery of a deleted instance (${DEFAULT_RUNBOOK}), not runbook ${runbook}`, {
      hint: `leave out --runbook (or its scenario's runbook); to bring back a moment of any instance, live or deleted, run --runbook ${RUNBOOK} with targetTime in the answers file`,
    });
  }
  const at = parseTargetTime(given).iso;
  const actions = await actionRegistry();
  const runbookFile = runbookPath(RUNBOOK);
  const kept = confirmIds(loadRunbook(runbookFile, actions), actions).exact;
  const recovery = confirmIds(loadRunbook(runbookPath(DEFAULT_RUNBOOK), actions), actions).exact;
  const renamedConfirms: Record<string, string | null> = { 'confirm-deleted-instance': 'confirm-instance' };
  for (const id of recovery) if (!kept.includes(id) && !(id in renamedConfirms)) renamedConfirms[id] = null;
  return {
    runbookFile,
    answersMapping: {
      inputs: { targetTime: given.trim(), into: 'service' },
      renamedInputs: { serviceName: 'instance' },
      sameAs: { copyName: 'instance' },
      renamedConfirms,
      note: [
        `--target-time: the instance comes back as it was at ${at}, not at its last write.`,
        'Swapping its archive into a new instance (the recovery without --target-time) would replay every WAL to the end, the bad write included.',
        `So this run is ${RUNBOOK}: the archive is restored to ${at} in a scratch PostgreSQL on this machine, its databases dumped,`,
        'and the dumps loaded into a new service named as the deleted instance (its name is free once deleted; it is checked before the restore).',
      ].join('\n'),
    },
  };
}
