/**
 * restore-to-time's merge back: the rows the bad write removed or changed, put back into the LIVE
 * database from the copy restored to the target, and nothing else. The plan reads the copy (its scratch
 * server, as the reader role) and the live leader (through its cell, as the role apps bind with), and
 * writes the patch (one transaction) into the run's folder; the apply runs it, once typed, after
 * checking the live rows are still as the plan saw them (run again, it finds them as the patch left
 * them, and never applies it twice; the patch guards itself too).
 */
import { createHash } from 'node:crypto';
import { access, mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { defineAction, type ActionDef, output, required } from '../engine/runbook/index.js';
import type { StepContext } from '../engine/executor/index.js';
import { commandLine } from '../core/command-line.js';
import { StepFailed, UsageError } from '../core/errors.js';
import { isInRecovery, loginChain, requireAppLogin } from '../adapters/postgres.js';
import { applyPatch, liveLines, liveQuery } from '../adapters/pg-merge.js';
import { targetOfFlags } from '../drill/recovery-target.js';
import { startScratchServer } from '../volumes/scratch-server.js';
import {
  choosePatch,
  describeDiff,
  describeOrder,
  diffTables,
  undecided,
  UPDATE_CHOICES,
  type TableDiffs,
  type UpdateChoice,
} from '../merge/plan.js';
import { expectedOf, patchState, type Expected } from '../merge/patch-state.js';
import { cellDocker } from './support/cell.js';
import { containerOn } from './support/params.js';
import { stopLeftoverServer } from './support/restore-copy.js';
import { scratchEngine } from './support/scratch-engine.js';

/** The live leader: its container checked to serve the instance and not to be a replica, its logins and the role apps bind with. */
async function liveLeader(ctx: StepContext, p: { cellIp: string; container: string; instanceGuid: string }) {
  const docker = await cellDocker(ctx, p.cellIp);
  const info = await docker.inspect(p.container);
  if (!info || info.env.PATRONI_SCOPE !== p.instanceGuid) {
    throw new StepFailed(`container ${p.container} on ${p.cellIp} does not serve the instance ${p.instanceGuid}`, {
      hint: 'nothing was changed; the live instance is read through the container find-instance found: check it runs, then resume',
    });
  }
  const apps = requireAppLogin(
    info,
    docker.redactor,
    p.container,
    'to run the merge as',
    "nothing was changed; the merge never runs the tenant's triggers as a superuser: take the rows from the dumps by hand",
  );
  const chain = loginChain(info, docker.redactor);
  if (await isInRecovery(docker, p.container, chain)) {
    throw new StepFailed(`${p.container} is a replica (pg_is_in_recovery() = t): the patch is applied on the leader`, {
      hint: 'nothing was changed; the merge reads and writes the leader, and the container find-instance found is not it: start again once that node leads (patronictl list shows which does), or take the rows from the dumps',
    });
  }
  const side = { query: liveQuery(docker, p.container, apps), lines: liveLines(docker, p.container, apps) };
  return { docker, apps, side };
}

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

const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

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
    tables: output('string[]', 'per table: what is written, what is left alone'),
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
    if (ctx.platform.mode === 'rehearsal' && (!p.container || (await ctx.cell(p.cellIp)).simulatesRows?.(p.container))) {
      // A simulated container answers the queries a recovery asks, not a table's rows (a scenario's postgres: container does).
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
    const lines = diffs.tables.map((d) => describeDiff(d.table, d.diff));
    for (const l of lines) ctx.evidence(l);
    if (diffs.tables.length > 1) ctx.evidence(describeOrder(p.tables, diffs));
    const choice = await updatesChoice(ctx, p.updates, diffs);
    const header = [
      `dingo-recover merge back, run ${ctx.runId}: the rows of the copy ${p.copyName} deleted or changed since, into the live database`,
      `rows chosen: ${choice}; one transaction; it refuses itself when the live rows are not as the plan saw them`,
    ];
    const merge = choosePatch(diffs, choice, leader.apps.user, header);
    if (!merge.inserts && !merge.updates) {
      ctx.evidence('nothing to write: no row of the copy is missing or changed in the live tables (or none was chosen)');
      return { ...EMPTY, database, tables: lines };
    }
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
      tables: lines,
    };
  },
});

const applyParams = {
  patchFile: required('string', 'the patch'),
  expectFile: required('string', 'what it expects of the live rows'),
  sha256: required('string', "the patch's sha256 when it was planned"),
  database: required('string', 'the database merged'),
  instanceGuid: required('string', 'the live instance'),
  ...containerOn('the cell running its leader', "its leader's container"),
};

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

const apply = defineAction({
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

export const mergeBackActions: ActionDef[] = [check, plan, apply];
