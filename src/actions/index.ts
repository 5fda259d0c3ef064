/** Every action a runbook can name. */
import { type ActionDef, type ActionRegistry } from '../engine/runbook/index.js';
import { archiveActions } from './archive.js';
import { boshActions } from './bosh.js';
import { cellActions } from './cell.js';
import { cellRestoreActions } from './cell-restore.js';
import { cellDrillActions } from './cell-drill.js';
import { cfActions } from './cf.js';
import { decisionActions } from './decision.js';
import { drillActions } from './drill.js';
import { growActions } from './grow.js';
import { preflightActions } from './preflight.js';
import { logsActions } from './logs.js';
import { mergeBackActions } from './merge-back.js';
import { mergeApplyActions } from './merge-apply.js';
import { reportActions } from './report.js';
import { restoreTimeActions } from './restore-time/steps.js';
import { restoreTimeCopyActions } from './restore-time/copy.js';
import { restoreTimeTargetActions } from './restore-time/target.js';
import { restoreTimeDumpActions } from './restore-time/dump.js';
import { restoreTimeFindActions } from './restore-time/find.js';
import { restoreTimeLoadActions } from './restore-time/load.js';
import { spaceActions } from './space.js';
import { spaceReportActions } from './space-report.js';
import { volumesActions } from './volumes.js';
import { volumesProofActions } from './volumes-proofs.js';
import { volumesReportActions } from './volumes-report.js';

export function actionRegistry(): ActionRegistry {
  const all: ActionDef[] = [
    ...logsActions,
    ...archiveActions,
    ...drillActions,
    ...decisionActions,
    ...preflightActions,
    ...cfActions,
    ...boshActions,
    ...cellActions,
    ...cellRestoreActions,
    ...cellDrillActions,
    ...growActions,
    ...reportActions,
    ...spaceActions,
    ...spaceReportActions,
    ...volumesActions,
    ...volumesProofActions,
    ...volumesReportActions,
    ...restoreTimeActions,
    ...restoreTimeFindActions,
    ...restoreTimeCopyActions,
    ...restoreTimeTargetActions,
    ...restoreTimeDumpActions,
    ...restoreTimeLoadActions,
    ...mergeBackActions,
    ...mergeApplyActions,
  ];
  return new Map(all.map((a) => [a.name, a]));
}
