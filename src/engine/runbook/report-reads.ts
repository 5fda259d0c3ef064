/**
 * What the incident report (and the screen's last lines, and --notify) reads of a run: the runbook's
 * declared outputs it shows, each by name with its type, and for some the outputs of the step the
 * declared output is taken from (the drill's last replayed commit, the copy's served partials).
 *
 * A runbook lists under `report:` the declared outputs its report shows; the loader checks each
 * against this table (runbook-report.ts), and the report reads them only through it
 * (report/reported.ts), so an output renamed in a runbook is refused when it loads instead of
 * leaving a line out of the report.
 */
import type { ValueType } from './action.js';

/**
 * One output the report reads: its type, what it shows, and the outputs of the step it is taken from
 * that the report reads, with their types (`step` absent: none).
 */
function read<const T extends ValueType, const S extends Readonly<Record<string, ValueType>> = Readonly<Record<string, never>>>(
  type: T,
  shows: string,
  step?: S,
): { readonly type: T; readonly shows: string; readonly step: S } {
  return { type, shows, step: step ?? ({} as S) };
}

export const REPORT_READS = {
  newGuid: read('string', 'the new instance the deleted one came back into (a report of a recovery into a new instance)'),
  cellIp: read('string', "the cell of the new instance's container, where its moved-aside data is"),
  container: read('string', "the new instance's container"),
  cellInstance: read('string', 'the BOSH VM of the cell, in the command that removes the moved-aside data'),
  cellDeployment: read('string', "the BOSH deployment of the cell's VM, in that command"),
  quarantineUrl: read('string', "the new instance's original archive kept aside, and the command that removes it"),
  dataAside: read('string', "the new container's original data kept aside, and the command that removes it"),
  deletedAt: read('string', 'the deletion: the data-loss window and how long the user was without the database'),
  lastSegment: read('string', 'the newest archived WAL segment'),
  lastSegmentAt: read('string', 'the newest archived WAL time: the data-loss window and, else, the measured last moment', {
    lastMomentAt: 'string',
    lastMomentSource: 'string',
  }),
  latestBackup: read('string', 'the LATEST base backup restored from'),
  nameProof: read('string', "what proves the deleted instance's name"),
  decidedBy: read('string', 'who or what chose the deleted instance'),
  drilled: read('boolean', "the drill's section and the measured last moment", {
    drilled: 'boolean',
    lastTransactionAt: 'string',
    databases: 'string[]',
    why: 'string',
    servedPartials: 'string[]',
  }),
  drilledOnCell: read('string', "the section of the drill on the cell, in the new container's image", {
    drilled: 'boolean',
    drilledIn: 'string',
    replayedTo: 'string',
    databases: 'string[]',
    why: 'string',
  }),
  copied: read('number', "the copy's section and the served partial's moment", {
    copied: 'number',
    skipped: 'number',
    servedMomentAt: 'string',
    servedMomentSource: 'string',
  }),
  identical: read('boolean', "the copy check's section", { identical: 'boolean' }),
  bound: read('string[]', "the rebinding's section", { bound: 'string[]' }),
  restarted: read('string[]', "the restart's section", { restarted: 'string[]', leftStopped: 'string[]' }),
  replicas: read('string[]', 'the nodes the instance was grown to'),
  systemIdentifier: read('string', 'the restored leader the replicas stream from'),
  promoted: read('boolean', 'when the restored instance served again (its step finished)'),
  loaded: read('string[]', "when the copy's dumps were loaded into the instance (its step finished)"),
  restored: read('boolean', 'whether a copy was restored to a moment, for --notify'),
  time: read('string', 'the moment a copy was restored to, for --notify'),
  summary: read('string', 'the Markdown summary a step wrote for the report, under its title'),
  todo: read('string[]', 'what is left to do'),
} as const;

export type ReportName = keyof typeof REPORT_READS;
/** The outputs the report reads of the step a declared output `K` is taken from. */
export type StepReads<K extends ReportName> = (typeof REPORT_READS)[K]['step'];

export const REPORT_NAMES = Object.keys(REPORT_READS) as ReportName[];

export function isReportName(name: string): name is ReportName {
  return Object.hasOwn(REPORT_READS, name);
}
