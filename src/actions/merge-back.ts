/**
 * restore-to-time's merge back: the rows the bad write removed or changed, put back into the LIVE
 * database from the copy restored to the target, and nothing else. The plan reads the copy (its scratch
 * server, as the reader role) and the live leader (through its cell, as the role apps bind with), and
 * writes the patch (one transaction) into the run's folder, listed per table; merge-apply.ts runs it,
 * once typed.
 */
import { access, mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { defineAction, type ActionDef, output, required } from '../engine/runbook/index.js';
import type { StepContext } from '../engine/executor/index.js';
import { commandLine } from '../core/command-line.js';
import { StepFailed, UsageError } from '../core/errors.js';
import { targetOfFlags } from '../drill/recovery-target.js';
import { startScratchServer } from '../volumes/scratch-server.js';
import {
  choosePatch,
  describeDiff,
  describeOrder,
  describePatch,
  diffTables,
  leftAsTheyAre,
  missedChildren,
  undecided,
  UPDATE_CHOICES,
  type TableDiffs,
  type UpdateChoice,
} from '../merge/plan.js';
import { expectedOf } from '../merge/patch-state.js';
import { liveLeader } from './support/live-leader.js';
import { containerOn } from './support/params.js';
import { stopLeftoverServer } from './support/restore-copy.js';
import { scratchEngine } from './support/scratch-engine.js';

/**
 * Refuses a merge whose instance has no live database: deleted (cf no longer knows it), or live with
 * no container of it found. Checked before the restore, and again by the plan.
 */
function checkMergeTarget(
  ctx: StepContext,
  p: { tables: readonly string[]; live: boolean; container: string; instanceGuid: string },
): void {
  if (!p.tables.length || (p.live && p.container)) return;
  const without = commandLine(['resume', ctx.runId, '--set', 'merge=']);
  if (!p.live) {
    throw new UsageError(
      `the instance ${p.instanceGuid} is deleted: a deleted instance has no live database to merge ${p.tables.join(', ')} into`,
      {
        hint: `nothing was restored. Restore the copy beside it without the merge (${without}; the dumps, or into: service, hand it over), or recover the instance first (dingo-recover recover) and then merge into it with a new restore-to-time`,
      },
    );
  }
  throw new UsageError(`the live instance ${p.instanceGuid} has no container found to merge ${p.tables.join(', ')} into`, {
    hint: `nothing was restored. Check its leader's container runs on its cell and start again, or restore the copy beside it without the merge (${without})`,
  });
}

const check = defineAction({
  name: 'pitr.merge-check',
  summary: 'Check that the tables named for the merge back have a live database to go into, before anything is restored',
  effect: 'read',
  params: {
    tables: required('string[]', 'the tables to merge back (none: no merge)'),
    live: required('boolean', 'cf still knows the instance'),
    instanceGuid: required('string', 'the instance'),
    container: required('string', "its leader's container (empty when none was found)"),
  },
  outputs: { merge: output('boolean', 'rows are merged back into the live instance') },
  result: (o) => (o.merge ? 'the live instance receives the merge' : 'no merge asked'),
  run(ctx, p) {
    checkMergeTarget(ctx, p);
    return Promise.resolve({ merge: p.tables.length > 0 });
  },
});

/** The database merged: the one named, else the only one of the copy holding data. */
function databaseOf(named: string, found: readonly string[]): string {
  if (named) return named;
  if (found.length === 1) return found[0]!;
  throw new UsageError(
    `the copy holds ${found.length} databases with data (${found.join(', ') || 'none'}): which one is merged back is not said`,
    {
      hint: 'add inputs.mergeDatabase (one of those) to the answers file, then resume',
    },
  );
}

/**
 * Which changed rows go back: the run's `mergeUpdates` choice (the runbook's input, or choose.mergeUpdates,
 * which must agree), asked only when some changed rows are not settled by the incident's transaction.
 */
async function updatesChoice(ctx: StepContext, given: string, diffs: TableDiffs): Promise<UpdateChoice> {
  const param = { value: given, by: 'inputs.mergeUpdates' };
  const open = undecided(diffs);
  if (!given.trim() && !ctx.choices.given('mergeUpdates') && !open) return 'safe';
  const why = `${open} row(s) changed since the target by a transaction that cannot be told to be the incident's (listed above)`;
  const d = await ctx.choices.choose({
    key: 'mergeUpdates',
    message: `${why}. Which changed rows go back?`,
    stop: `${why}: revert them too, or put back only the deleted rows?`,
    param,
    options: [
      { value: 'safe', name: 'only the rows the incident wrote (none when its transaction is not known)' },
      { value: 'all', name: 'every changed row, back to the copy' },
      { value: 'inserts-only', name: 'none: only put back the deleted rows' },
    ],
  });
  return d.value as UpdateChoice;
}

/** A new file (0600) in `dir`, never over an existing one. */
async function newFile(dir: string, base: string, ext: string, text: string): Promise<string> {
  for (let i = 0; ; i++) {
    const file = join(dir, i ? `${base}.${i}${ext}` : `${base}${ext}`);
    const handle = await open(file, 'wx', 0o600).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
      throw err;
    });
    if (!handle) continue;
    await handle.writeFile(text);
    await handle.close();
    return file;
  }
}

const EMPTY = {
  hasPatch: false,
  patchFile: '',
  expectFile: '',
  sha256: '',
  confirmCode: '',
  database: '',
  inserts: 0,
  updates: 0,
  tables: [],
  left: [],
};

const plan = defineAction({
  name: 'pitr.merge-plan',
  summary: 'Compare the named tables of the copy with the live database by primary key, and write the patch that puts the rows back',
  effect: 'read',
  chooses: {
    mergeUpdates: {
      description: "which changed rows the merge reverts: the incident's only (safe), all, or none (inserts-only)",
      values: UPDATE_CHOICES,
    },
  },
  params: {
    tables: required('string[]', 'the tables to merge back, schema.table (none: no merge)'),
    database: required('string', 'the database they are in (empty: the only one of the copy holding data)'),
    updates: required('string', 'which changed rows go back: safe, all, inserts-only (empty: asked when it matters)'),
    restored: required('boolean', 'the copy was restored here'),
    dataDir: required('string', 'the copy restored to the target'),
    major: required('string', "the archive's PostgreSQL major version"),
    target: required('string[]', "the target kept, as the drill's flags"),
    databases: required('string[]', 'the databases of the copy holding data'),
    copyName: required('string', 'the name of the copy'),
    live: required('boolean', 'cf still knows the instance'),
    instanceGuid: required('string', 'the live instance'),
    ...containerOn('the cell running its leader', "its leader's container"),
  },
  outputs: {
    hasPatch: output('boolean', 'there are rows to write'),
    patchFile: output('string', "the patch, in the run's folder (0600)"),
    expectFile: output('string', 'what the patch expects of the live rows before and after, beside it (0600)'),
    sha256: output('string', "the patch's sha256"),
    confirmCode: output('string', "what the operator types to apply it: its sha256's first 12 characters"),
    database: output('string', 'the database merged'),
    inserts: output('number', 'rows put back'),
    updates: output('number', 'rows reverted'),
    tables: output('string[]', 'per table: the rows the patch puts back, reverts and leaves as they are, with the first ones'),
    left: output(
      'string[]',
      'per table: the changed rows the patch leaves as they are (conflicts, rows not chosen), with the first ones; and the tables not named whose rows a delete put back took with it',
    ),
  },
  result: (o) =>
    o.patchFile
      ? `${o.inserts} row(s) to put back, ${o.updates} to revert: ${o.patchFile}`
      : o.tables.length
        ? "nothing to merge back: the live rows hold the copy's"
        : 'no merge asked',
  async run(ctx, p) {
    if (!p.tables.length) return EMPTY;
    if (!p.restored) {
      ctx.warn('nothing merged back: the copy was not restored here');
      return EMPTY;
    }
    if (ctx.platform.mode === 'rehearsal' && !p.container) {
      // No live container found on the simulated platform: there is nothing to read rows from (a
      // simulated container's database, which holds none, refuses the merge's reads itself).
      ctx.warn(`nothing merged back: the simulated platform holds no live rows of ${p.tables.join(', ')} to compare with the copy`);
      return EMPTY;
    }
    checkMergeTarget(ctx, p);
    const there = await access(p.dataDir).then(
      () => true,
      () => false,
    );
    if (!there) {
      throw new StepFailed(`the copy ${p.dataDir} is gone (the temporary folder cleared?): the merge reads it`, {
        hint: 'start a new run to the same target with inputs.merge; nothing was changed',
      });
    }
    const database = databaseOf(p.database, p.databases);
    const leader = await liveLeader(ctx, p);
    const t = targetOfFlags(p.target);
    const incidentXid = t.stop.kind === 'xid' && t.exclusive ? t.stop.xid : undefined;
    ctx.note(
      incidentXid
        ? `the copy stops just before transaction ${incidentXid}: a changed row it wrote last is reverted, one another transaction wrote since is a conflict`
        : 'the target is not just before a transaction: which transaction changed a row cannot be told, every changed row is for review',
    );
    // A plan interrupted with the copy's server running left it there: it would refuse another.
    await stopLeftoverServer(ctx, dirname(p.dataDir));
    const server = await startScratchServer({
      dataDir: p.dataDir,
      major: p.major,
      workDir: dirname(p.dataDir),
      engine: scratchEngine(ctx),
      progress: (m) => {
        ctx.progress(m);
      },
    });
    let diffs: TableDiffs;
    try {
      diffs = await diffTables({ query: server.read, lines: server.readLines }, leader.side, { database, tables: p.tables, incidentXid });
    } finally {
      await server.stop();
    }
    // Notes: on the screen when the step asks which changed rows go back, or stops to be told.
    const lines = diffs.tables.map((d) => describeDiff(d));
    for (const l of lines) ctx.note(l);
    if (diffs.tables.length > 1) ctx.note(describeOrder(p.tables, diffs));
    const missed = missedChildren(diffs);
    for (const m of missed) ctx.warn(m);
    const choice = await updatesChoice(ctx, p.updates, diffs);
    const header = [
      `dingo-recover merge back, run ${ctx.runId}: the rows of the copy ${p.copyName} deleted or changed since, into the live database`,
      `rows chosen: ${choice}; one transaction; it refuses itself when the live rows are not as the plan saw them`,
    ];
    const merge = choosePatch(diffs, choice, leader.apps.user, header);
    const left = [...leftAsTheyAre(merge), ...missed];
    if (!merge.inserts && !merge.updates) {
      ctx.evidence('nothing to write: no row of the copy is missing or changed in the live tables (or none was chosen)');
      return { ...EMPTY, database, tables: lines, left };
    }
    const does = describePatch(merge);
    for (const l of does) ctx.evidence(l);
    const dir = join(ctx.runDir, 'merge');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const base = `${p.copyName}-${database.replace(/[^A-Za-z0-9._-]/g, '_')}`;
    const patchFile = await newFile(dir, base, '.sql', merge.sql);
    const expectFile = await newFile(dir, base, '.expect.json', JSON.stringify(expectedOf(merge)));
    ctx.evidence(
      `patch ${patchFile} (sha256 ${merge.sha256}): one transaction, ${merge.inserts} row(s) put back, ${merge.updates} reverted, as ${leader.apps.user}`,
    );
    return {
      hasPatch: true,
      patchFile,
      expectFile,
      sha256: merge.sha256,
      confirmCode: merge.sha256.slice(0, 12),
      database,
      inserts: merge.inserts,
      updates: merge.updates,
      tables: does,
      left,
    };
  },
});

export const mergeBackActions: ActionDef[] = [check, plan];
