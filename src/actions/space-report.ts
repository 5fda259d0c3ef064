/**
 * The closing report of a space recovery: per instance what came back (new GUID, nodes), what was
 * kept aside, what was lost (writes after the last archived WAL), which apps were rebound and which
 * must be re-pushed first; then what could not be restored and what was left alone.
 */
import {
  defineAction,
  type ActionDef,
  defaulted,
  FOR_EACH_RESULT,
  isShaped,
  output,
  required,
  type RecordOf,
} from '../engine/runbook/index.js';
import { lossPhrase, lossWindow } from '../engine/report/index.js';
import { quote } from '../core/command-line.js';
import { INSTANCE_RECOVERED, LEFT_ALONE, SPACE_INSTANCE } from './support/records.js';
import { repushLines } from './support/repush.js';
import { cfApi } from './support/cf.js';
import { oneLine } from '../core/display.js';
import { SPACE_ROLE_EVENT_TYPES, spaceRolesAt } from '../logs/space-roles.js';
import type { StepContext } from '../engine/executor/index.js';

type Item = RecordOf<typeof SPACE_INSTANCE>;
type Result = RecordOf<typeof FOR_EACH_RESULT>;

/** What an item's recovery declares it produced (recover-space-instance's outputs), when they are that record. */
function recovered(result: Result): RecordOf<typeof INSTANCE_RECOVERED> {
  return isShaped(INSTANCE_RECOVERED, result.outputs) ? result.outputs : {};
}

/** The Markdown section of one instance, its table row, and what is left of it in short lines for the end of the run. */
function instanceSection(item: Item, result: Result | undefined): { lines: string[]; row: string; todo: string[] } {
  const name = item.name;
  const lines = [`### ${name}`, '', `- Deleted instance: ${item.instanceGuid} (plan ${item.plan || '?'})`];
  if (!result || result.status !== 'finished') {
    const why = result ? `failed at step ${result.failedStep || '?'}: ${result.error || 'unknown error'}` : 'not run';
    lines.push(`- NOT recovered: ${why}. Fix the cause and resume the run; nothing of the old archive was changed.`);
    return { lines, row: `${name}: FAILED (${why})`, todo: [`${name}: NOT recovered, ${why}: fix the cause and resume`] };
  }
  const got = recovered(result);
  const newGuid = got.newGuid ?? '';
  const nodes = got.nodes;
  const cell = got.cellIp ?? '';
  const bound = got.bound ?? [];
  const missing = got.missingApps ?? [];
  const lastAt = got.lastSegmentAt || item.lastSegmentAt || '';
  lines.push(
    `- Recovered as: ${newGuid}${typeof nodes === 'number' ? `, ${nodes} node(s)` : ''}${cell ? ` (cell ${cell})` : ''}`,
    `- Restored from: ${item.archiveUrl ?? ''}`,
    `- Lost: ${lossWindow(item.deletedAt, lastAt)}`,
    `- Kept aside, not deleted: the new instance's archive at ${got.quarantineUrl || '?'}; its data at ${got.dataAside || '?'}${cell ? ` on ${cell}` : ''}`,
    `- Apps rebound: ${bound.join(', ') || 'none'}`,
  );
  if (item.unnamed)
    lines.push(
      `- Name: no audit event or broker record gave one, so it came back as ${name}: once the user names it, cf rename-service ${name} NAME (its bindings and credentials stay)`,
    );
  const repush = repushLines(missing, item.appGuids, name);
  lines.push(...(repush?.lines ?? []));
  const todo = [...(item.unnamed ? ['rename it'] : []), ...(repush ? [repush.short] : [])];
  const left = [
    `${name}: tell its user the data-loss window: ${lossPhrase(item.deletedAt, lastAt)}`,
    ...(repush ? [repush.todo] : []),
    ...(item.unnamed ? [`${name} is a stand-in name: once the user names it, ${quote(['cf', 'rename-service', name, 'NAME'])}`] : []),
  ];
  return { lines, row: `${name}: recovered as ${newGuid}${todo.length ? `, ${todo.join(', ')}` : ''}`, todo: left };
}

/**
 * Each user's roles in the deleted space when it was deleted, as ROLE:USERNAME, from its role events
 * (logs/space-roles.ts); none when its GUID is not given.
 */
async function rolesOfDeletedSpace(ctx: StepContext, spaceGuid: string, deletedAt: string): Promise<string[]> {
  if (!spaceGuid) return [];
  const { events } = await (await cfApi(ctx)).events(SPACE_ROLE_EVENT_TYPES, { spaceGuid });
  const users = spaceRolesAt(events, deletedAt);
  if (users.length)
    ctx.evidence(
      `the space's users when it was deleted (its role events): ${users.map((u) => `${oneLine(u.user)} ${u.roles.join(', ')}`).join('; ')}`,
    );
  return users.flatMap((u) => u.roles.map((role) => `${role}:${u.user}`));
}

/**
 * The users' roles the space delete took, to give back in the space the recovery made: the
 * recreated space has only its creator's (cf create-space makes them SpaceManager and SpaceDeveloper).
 */
function rolesLeft(p: { org: string; space: string; roles: readonly string[]; recreated: boolean }): { lines: string[]; todo: string[] } {
  const given = p.roles.map((r) => ({ role: r.slice(0, r.indexOf(':')), user: r.slice(r.indexOf(':') + 1) }));
  const commands = given.map((g) => quote(['cf', 'set-space-role', g.user, p.org, p.space, g.role]));
  const own = p.recreated
    ? [
        `cf create-space made you SpaceManager and SpaceDeveloper of ${p.space}: once its users have their roles, remove yours if you should not keep them (${quote(['cf', 'unset-space-role', 'YOU', p.org, p.space, 'SpaceDeveloper'])}, and SpaceManager)`,
      ]
    : [];
  if (!given.length)
    return {
      lines: p.recreated
        ? ['### Space roles', '', `- No role event of the deleted space was found: ask its users who had which role.`, '']
        : [],
      todo: own,
    };
  return {
    lines: ['### Space roles', '', `- The delete took them; to give back: ${commands.join('; ')}`, ''],
    todo: [`give the space's users their roles back (the delete took them): ${commands.join('; ')}`, ...own],
  };
}

const report = defineAction({
  name: 'space.report',
  summary: 'Report what came back of the deleted space, what was kept aside, lost, or left alone',
  effect: 'read',
  params: {
    org: required('string', 'organization'),
    space: required('string', 'the space'),
    deletedAt: defaulted('string', '', 'when the space was deleted'),
    instances: required('object[]', 'the instances the plan recovered (space.confirm-plan)', SPACE_INSTANCE),
    results: required('object[]', 'the for-each results: {key, status, error?, failedStep?, outputs}', FOR_EACH_RESULT),
    unrecoverable: defaulted('object[]', [], 'instances that could not be restored', SPACE_INSTANCE),
    leftOut: defaulted('string[]', [], 'instances left out at the operator’s request'),
    others: defaulted('object[]', [], 'instances left alone', LEFT_ALONE),
    oldSpaceGuid: defaulted('string', '', "the deleted space's GUID, whose role events say who had which role ('' to read none)"),
    recreated: defaulted('boolean', false, 'the run recreated the space (cf create-space made its operator a manager and developer of it)'),
  },
  outputs: {
    recovered: output('string[]', 'names of the instances recovered'),
    failed: output('string[]', 'names of the instances whose recovery failed'),
    summary: output('string', 'the report (Markdown), included in the incident report'),
    todo: output('string[]', 'what is left, a short line each, for the end of the run'),
  },
  async run(ctx, p) {
    const byKey = new Map(p.results.map((r) => [r.key, r]));
    const lines = [`## Space ${p.org}/${p.space}${p.deletedAt ? ` (deleted ${p.deletedAt})` : ''}`, ''];
    const rows: string[] = [];
    const todo: string[] = [];
    const recovered: string[] = [];
    const failed: string[] = [];
    for (const item of p.instances) {
      const result = byKey.get(item.name);
      const s = instanceSection(item, result);
      (result?.status === 'finished' ? recovered : failed).push(item.name);
      lines.push(...s.lines, '');
      rows.push(s.row);
      todo.push(...s.todo);
    }
    const rest: [string, { name: string; instanceGuid: string; why: string }[]][] = [
      ['Not recoverable', p.unrecoverable],
      ['Left alone', p.others],
    ];
    for (const [title, list] of rest) {
      if (!list.length) continue;
      lines.push(`### ${title}`, '', ...list.map((o) => `- ${o.name || o.instanceGuid} (${o.instanceGuid}): ${o.why}`), '');
      for (const o of list) rows.push(`${o.name || o.instanceGuid}: ${title.toLowerCase()} (${o.why})`);
    }
    for (const o of p.unrecoverable) todo.push(`${o.name || o.instanceGuid}: NOT recovered (${o.why}): tell its user`);
    if (p.leftOut.length) lines.push(`Left out at the user's request: ${p.leftOut.join(', ')}`, '');
    const roles = rolesLeft({ ...p, roles: await rolesOfDeletedSpace(ctx, p.oldSpaceGuid, p.deletedAt) });
    lines.push(...roles.lines);
    todo.push(...roles.todo);
    lines.push('Remove the quarantined archives and moved-aside data once the users are satisfied.');
    for (const r of rows) ctx.note(r);
    return { recovered, failed, summary: lines.join('\n'), todo };
  },
});

export const spaceReportActions: ActionDef[] = [report];
