/**
 * The merge back's apply: the patch the plan wrote, run in the live leader as one transaction once the
 * operator typed its checksum, after checking the live rows are still as the plan saw them (run again,
 * it finds them as the patch left them, and never applies it twice; the patch guards itself too). Its
 * confirmation shows, per table, the rows the patch puts back, reverts and leaves as they are.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { defineAction, type ActionDef, optional, output, required } from '../engine/runbook/index.js';
import { StepFailed } from '../core/errors.js';
import { applyPatch } from '../adapters/pg-merge.js';
import { patchState, type Expected } from '../merge/patch-state.js';
import { containerOn } from './support/params.js';
import { liveLeader } from './support/live-leader.js';

const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

const applyParams = {
  patchFile: required('string', 'the patch'),
  expectFile: required('string', 'what it expects of the live rows'),
  sha256: required('string', "the patch's sha256 when it was planned"),
  database: required('string', 'the database merged'),
  tables: optional('string[]', 'per table: the rows the patch puts back, reverts and leaves as they are'),
  instanceGuid: required('string', 'the live instance'),
  ...containerOn('the cell running its leader', "its leader's container"),
};

/** A table's line of the plan ("schema.table: puts back …") as a fact: named by its table. */
function tableFact(line: string): [string, string] {
  const at = line.indexOf(': ');
  return at < 0 ? ['rows', line] : [`rows of ${line.slice(0, at)}`, line.slice(at + 2)];
}

/** The patch and what it expects, refused when the file changed since it was planned (and shown). */
async function readPatch(p: { patchFile: string; expectFile: string; sha256: string }): Promise<{ sql: string; expected: Expected[] }> {
  const sql = await readFile(p.patchFile, 'utf8');
  if (sha256(sql) !== p.sha256) {
    throw new StepFailed(`the patch ${p.patchFile} changed since it was planned (sha256 ${sha256(sql)}, planned ${p.sha256})`, {
      hint: 'nothing was applied; the reviewed patch is the only one applied: start a new run to plan again',
    });
  }
  return { sql, expected: JSON.parse(await readFile(p.expectFile, 'utf8')) as Expected[] };
}

const mergeApply = defineAction({
  name: 'pitr.merge-apply',
  summary: 'Apply the merge patch in the live leader, in one transaction (docker exec … psql over SSH)',
  effect: 'destructive',
  params: applyParams,
  outputs: { applied: output('boolean', 'the patch is in the live database') },
  stableEvidence: ['patch', 'database', 'container'],
  evidence(_ctx, p) {
    return Promise.resolve({
      patch: `${p.patchFile} (sha256 ${p.sha256})`,
      database: p.database,
      container: `${p.container} on ${p.cellIp} (instance ${p.instanceGuid})`,
      ...Object.fromEntries((p.tables ?? []).map(tableFact)),
    });
  },
  result: (o) => (o.applied ? 'the patch is in the live database' : 'not applied'),
  async probe(ctx, p) {
    const { expected } = await readPatch(p);
    const leader = await liveLeader(ctx, p);
    const s = await patchState(leader.side.lines, p.database, expected);
    if (s.state === 'applied') return { done: true, outputs: { applied: true }, why: 'the live rows are as the patch leaves them' };
    if (s.state === 'before') return { done: false, why: 'the live rows are still as the plan saw them' };
    return { done: 'unknown', why: `the live rows are neither as planned nor as the patch leaves them: ${s.rows.slice(0, 3).join('; ')}` };
  },
  async run(ctx, p) {
    const { sql, expected } = await readPatch(p);
    const leader = await liveLeader(ctx, p);
    const s = await patchState(leader.side.lines, p.database, expected);
    if (s.state === 'applied') {
      ctx.evidence('the live rows are already as the patch leaves them: it was applied, and is not applied twice');
      return { applied: true };
    }
    if (s.state === 'moved') {
      throw new StepFailed(
        `the live rows changed since the plan, the patch is not applied: ${s.rows.slice(0, 5).join('; ')}${s.rows.length > 5 ? ` (${s.rows.length} in all)` : ''}`,
        {
          hint: 'nothing was changed; start a new run to plan the merge again against the live rows as they are now',
        },
      );
    }
    const r = await applyPatch(leader.docker, p.container, leader.apps, p.database, sql);
    if (r.exitCode !== 0) {
      throw new StepFailed(
        `the patch failed in ${p.container} (exit ${r.exitCode}): ${leader.docker.redactor.redact(r.stderr.trim().split('\n').slice(-3).join(' '))}`,
        {
          hint: 'it is one transaction: nothing of it was kept. Fix what PostgreSQL says (a constraint, a trigger, a lock held), then resume',
        },
      );
    }
    const after = await patchState(leader.side.lines, p.database, expected);
    if (after.state !== 'applied') {
      throw new StepFailed('psql ran the patch, but the live rows are not as it leaves them', {
        hint: `look at the tables in ${p.database}: a trigger of the tenant's may rewrite rows; the patch is ${p.patchFile}`,
      });
    }
    ctx.evidence(`applied ${p.patchFile} in ${p.database}: the live rows are as the patch leaves them`);
    return { applied: true };
  },
});

export const mergeApplyActions: ActionDef[] = [mergeApply];
