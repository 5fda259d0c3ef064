/**
 * The closing report of a space recovery: per instance what came back (new GUID, nodes), what was
 * kept aside, what was lost (writes after the last archived WAL), which apps were rebound and which
 * must be re-pushed first; then what could not be restored and what was left alone.
 */
import { defineAction, type ActionDef, defaulted, output, required } from '../engine/action.js';
import { lossWindow } from '../engine/incident-report.js';
import { isRecord, recordAt } from '../adapters/unknown-values.js';

type Row = Record<string, unknown>;

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function texts(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** An output of a sub-step of one for-each item, or undefined. */
function out(result: Row, step: string, key: string): unknown {
  const outputs = recordAt(result, 'outputs');
  const o = outputs ? outputs[step] : undefined;
  return isRecord(o) ? o[key] : undefined;
}

/** The Markdown section of one instance, and its table row. */
export function instanceSection(item: Row, result: Row | undefined): { lines: string[]; row: string } {
  const name = text(item.name);
  const lines = [`### ${name}`, '', `- Deleted instance: ${text(item.instanceGuid)} (plan ${text(item.plan) || '?'})`];
  if (!result || result.status !== 'finished') {
    const why = result ? `failed at step ${text(result.failedStep) || '?'}: ${text(result.error) || 'unknown error'}` : 'not run';
    lines.push(`- NOT recovered: ${why}. Fix the cause and resume the run; nothing of the old archive was changed.`);
    return { lines, row: `${name}: FAILED (${why})` };
  }
  const newGuid = text(out(result, 'create-service', 'instanceGuid'));
  const nodes = out(result, 'size-for-plan', 'nodes');
  const cell = text(out(result, 'find-new-container', 'cellIp'));
  const bound = texts(out(result, 'rebind-apps', 'bound'));
  const missing = texts(out(result, 'check-apps', 'missing'));
  const lastAt = text(out(result, 'inspect-old-archive', 'lastSegmentAt')) || text(item.lastSegmentAt);
  lines.push(
    `- Recovered as: ${newGuid}${typeof nodes === 'number' ? `, ${nodes} node(s)` : ''}${cell ? ` (cell ${cell})` : ''}`,
    `- Restored from: ${text(item.archiveUrl)}`,
    `- Lost: ${lossWindow(text(item.deletedAt), lastAt)}`,
    `- Kept aside, not deleted: the new instance's archive at ${text(out(result, 'quarantine-new-archive', 'quarantineUrl')) || '?'}; its data at ${text(out(result, 'flush-data', 'asideDir')) || '?'}${cell ? ` on ${cell}` : ''}`,
    `- Apps rebound: ${bound.join(', ') || 'none'}`,
  );
  for (const app of missing)
    lines.push(`- App ${app} no longer exists (the space delete removed it): re-push ${app}, then cf bind-service ${app} ${name}`);
  return { lines, row: `${name}: recovered as ${newGuid}${missing.length ? `, re-push ${missing.join(', ')}` : ''}` };
}

const report = defineAction({
  name: 'space.report',
  summary: 'Report what came back of the deleted space, what was kept aside, lost, or left alone',
  effect: 'read',
  params: {
    org: required('string', 'organization'),
    space: required('string', 'the space'),
    deletedAt: defaulted('string', '', 'when the space was deleted'),
    instances: required('object[]', 'the instances the plan recovered (space.confirm-plan)'),
    results: required('object[]', 'the for-each results: {key, status, error?, failedStep?, outputs}'),
    unrecoverable: defaulted('object[]', [], 'instances that could not be restored'),
    leftOut: defaulted('string[]', [], 'instances left out at the operator’s request'),
    others: defaulted('object[]', [], 'instances left alone'),
  },
  outputs: {
    recovered: output('string[]', 'names of the instances recovered'),
    failed: output('string[]', 'names of the instances whose recovery failed'),
    summary: output('string', 'the report (Markdown), included in the incident report'),
  },
  run(ctx, p) {
    const byKey = new Map(p.results.map((r) => [text(r.key), r]));
    const lines = [`## Space ${p.org}/${p.space}${p.deletedAt ? ` (deleted ${p.deletedAt})` : ''}`, ''];
    const rows: string[] = [];
    const recovered: string[] = [];
    const failed: string[] = [];
    for (const item of p.instances) {
      const result = byKey.get(text(item.name));
      const s = instanceSection(item, result);
      (result?.status === 'finished' ? recovered : failed).push(text(item.name));
      lines.push(...s.lines, '');
      rows.push(s.row);
    }
    const rest: [string, Row[]][] = [
      ['Not recoverable', p.unrecoverable],
      ['Left alone', p.others],
    ];
    for (const [title, list] of rest) {
      if (!list.length) continue;
      lines.push(
        `### ${title}`,
        '',
        ...list.map((o) => `- ${text(o.name) || text(o.instanceGuid)} (${text(o.instanceGuid)}): ${text(o.why)}`),
        '',
      );
      for (const o of list) rows.push(`${text(o.name) || text(o.instanceGuid)}: ${title.toLowerCase()} (${text(o.why)})`);
    }
    if (p.leftOut.length) lines.push(`Left out at the user's request: ${p.leftOut.join(', ')}`, '');
    lines.push('Remove the quarantined archives and moved-aside data once the users are satisfied.');
    for (const r of rows) ctx.note(r);
    return { recovered, failed, summary: lines.join('\n') };
  },
});

export const spaceReportActions: ActionDef[] = [report];
