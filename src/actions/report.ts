/**
 * The closing report: what was recovered from where, what was moved aside (and
 * where it is kept), and what the operator still has to do.
 */
import { reportOutputs } from './support/params.js';
import { join } from 'node:path';
import { quote } from '../core/command-line.js';
import { defineAction, type ActionDef, optional, output, required } from '../engine/runbook/index.js';
import { lossPhrase } from '../engine/report/index.js';

const summary = defineAction({
  name: 'report.summary',
  onThisHost: true,
  summary: 'Report what was done',
  effect: 'read',
  params: {
    serviceName: required('string', 'service name'),
    plan: required('string', 'plan the user asked for'),
    soloPlan: required('string', 'plan the instance was recreated with'),
    oldGuid: required('string', 'deleted instance'),
    newGuid: required('string', 'recreated instance'),
    oldArchive: required('string', 'archive restored from'),
    quarantine: required('string', "where the new instance's original archive is kept"),
    dataAside: required('string', "where the new container's original data is kept"),
    cellIp: required('string', 'cell'),
    apps: required('string[]', 'apps rebound'),
    leftStopped: optional('string[]', 'apps rebound but left stopped, as the user had them'),
    lastSegmentAt: optional('string', 'newest archived WAL'),
    deletedAt: optional('string', 'when the instance was deleted'),
    nodes: optional('number', 'nodes the cluster has after growing to the plan (absent: not grown by the run)'),
  },
  outputs: { ...reportOutputs, todo: output('string[]', 'what is left, a short line each, for the end of the run') },
  result: () => 'written; what is left is listed at the end of the run',
  run(ctx, p) {
    const stopped = p.leftStopped ?? [];
    const lines = [
      `# Recovery of ${p.serviceName}`,
      '',
      `- Deleted instance: ${p.oldGuid}`,
      `- Recreated as: ${p.newGuid} (plan ${p.soloPlan}) on cell ${p.cellIp}`,
      `- Restored from: ${p.oldArchive}${p.lastSegmentAt ? ` (newest archived WAL ${p.lastSegmentAt}; later writes were never archived)` : ''}`,
      `- Kept, not deleted: the new instance's original archive at ${p.quarantine}; its original data at ${p.dataAside} on ${p.cellIp}`,
      `- Apps rebound and restarted: ${p.apps.filter((a) => !stopped.includes(a)).join(', ') || 'none'}`,
      stopped.length ? `- Apps rebound and left stopped, as the user had them: ${stopped.join(', ')}` : '',
      typeof p.nodes === 'number' && p.nodes > 1
        ? `- Grown to ${p.nodes} nodes for plan ${p.plan}; the new nodes stream the restored database`
        : p.nodes === 1 && p.plan !== p.soloPlan
          ? `- Left with 1 node, as many as the deleted instance ran (plan ${p.plan}); more with \`${quote(['cf', 'update-service', p.serviceName, '-c', '{"node-count": N}'])}\``
          : '',
      '',
      '## Still to do',
      typeof p.nodes === 'number'
        ? ''
        : p.plan !== p.soloPlan
          ? `- The user asked for plan "${p.plan}". Grow the cluster with \`${quote(['cf', 'update-service', p.serviceName, '-c', '{"node-count": N}'])}\` (never shrink it).`
          : '- Nothing: the user asked for a single node.',
      '- Ask the user to check their latest data; writes after the newest archived WAL are lost.',
    ];
    for (const l of lines.filter(Boolean)) ctx.note(l);
    const grow =
      typeof p.nodes !== 'number' && p.plan !== p.soloPlan
        ? [`grow it to plan "${p.plan}": ${quote(['cf', 'update-service', p.serviceName, '-c', '{"node-count": N}'])} (never shrink it)`]
        : [];
    const todo = [
      ...(p.deletedAt !== undefined && p.lastSegmentAt !== undefined
        ? [`tell the user the data-loss window: ${lossPhrase(p.deletedAt, p.lastSegmentAt)}`]
        : ['tell the user that writes after the newest archived WAL are lost']),
      ...grow,
      ...stopped.map(
        (a) =>
          `${a} was stopped before the recovery and is left stopped, bound to ${p.serviceName}: start it (${quote(['cf', 'start', a])}) when the user wants it`,
      ),
    ];
    // The engine writes the full incident report (this summary, the decisions, the timeline) there when the run ends.
    return { reportFile: join(ctx.runDir, 'report.md'), todo };
  },
});

export const reportActions: ActionDef[] = [summary];
