/**
 * restore-to-time's restore: the instance's archive restored to the moment into a sandboxed scratch
 * PostgreSQL (the drill's restore: the newest base backup that ended before it, WAL replayed up to
 * it), what it holds then shown, and the operator keeps that moment or gives another (restored
 * again).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { defineAction, type ActionDef, output, required } from '../engine/runbook/index.js';
import type { StepContext } from '../engine/run/index.js';
import { NeedsOperator, StepFailed } from '../core/errors.js';
import { formatBytes } from '../core/format.js';
import type { DrillReport } from '../drill/drill.js';
import { DrillFailed } from '../drill/exit-codes.js';
import { parseTargetTime } from '../drill/target-time.js';
import { defaultCopyName } from '../drill/copy-name.js';
import { removeLeftovers, restoreOnce } from './support/restore-copy.js';
import { scratchEngine } from './support/scratch-engine.js';
import { foreignTablesLine, lookInside, newestOf, type LookResult } from '../volumes/look.js';

const restoreOutputs = {
  restored: output('boolean', 'the database was restored here (false: why says why not)'),
  why: output('string', 'why it was not restored here (empty when it was)'),
  time: output('string', 'the moment kept, ISO 8601 in UTC (to the microsecond when given so)'),
  copyName: output('string', 'the name of the copy'),
  dataDir: output('string', 'the restored data folder (scratch)'),
  major: output('string', "the archive's PostgreSQL major version"),
  backup: output('string', 'the base backup restored, and when it ended'),
  lastTransactionAt: output('string', 'the newest transaction in the restored database'),
  stoppedBefore: output('string', 'the first transaction left out, and when it committed (empty when none was archived)'),
  databases: output('string[]', 'databases holding data'),
  newest: output('string', 'the newest timestamp found in them'),
};

function showLook(ctx: StepContext, look: LookResult): void {
  for (const d of look.databases) {
    ctx.evidence(`database ${d.name}: ${formatBytes(d.bytes)}, newest timestamp ${d.newest ?? 'none'}`);
    for (const t of d.largestTables.slice(0, 5))
      ctx.evidence(`  ${t.schema}.${t.table}: ${t.rowsExact ? '' : '~'}${t.rows} rows${t.newest ? `, newest ${t.newest}` : ''}`);
    const foreign = foreignTablesLine(d);
    if (foreign) ctx.evidence(`  ${foreign}`);
  }
}

/** A restore that cannot be done here: a rehearsal walks on and says why; a live run stops, resumable. */
function cannotRestore(ctx: StepContext, err: DrillFailed, p: { url: string }) {
  if (ctx.platform.mode !== 'rehearsal') {
    throw new StepFailed(`the archive cannot be restored on this machine: ${err.message}`, {
      hint: `${err.hint ?? ''} Nothing was changed: resume once that is done.`.trim(),
    });
  }
  ctx.warn(`not restored in this rehearsal: ${err.message}`);
  ctx.note(`the rehearsal walks on without a copy; to restore it elsewhere: dingo-recover drill ${p.url} --target-time TIME`);
  return { restored: false, why: err.message };
}

/** The moment out of the archive's reach: the operator gives another (at the prompt, or choose.moment in the answers file). */
async function anotherMoment(ctx: StepContext, err: DrillFailed): Promise<string> {
  const range = err.reachable ? `between ${err.reachable.earliest} and ${err.reachable.latest}` : 'inside the archive';
  if (!ctx.prompts.interactive) {
    throw new NeedsOperator(err.message, {
      hint: `give a moment ${range}: add choose.moment: TIME (ISO 8601 with its zone) to the answers file, then resume; nothing was changed`,
    });
  }
  ctx.note(err.message);
  return ctx.prompts.input({ key: 'moment', message: `Another moment ${range} (ISO 8601 with its zone)`, validate: validMoment });
}

function validMoment(v: string): string | true {
  try {
    parseTargetTime(v, 'the moment');
    return true;
  } catch (err) {
    return (err as Error).message;
  }
}

function describeRestore(ctx: StepContext, r: DrillReport): void {
  const t = r.target!;
  ctx.evidence(`restored ${r.backup.name} (ended ${r.backup.finishedAt}) in ${r.postgres.server}, WAL replayed up to ${t.time}`);
  if (t.stoppedBefore) ctx.evidence(`replay stopped before transaction ${t.stoppedBefore.transaction}, committed ${t.stoppedBefore.at}`);
  else ctx.evidence('no transaction after the moment was archived: the copy holds everything archived');
  ctx.evidence(`newest transaction in the copy: ${t.lastTransactionAt ?? 'unknown'}`);
}

const restore = defineAction({
  name: 'pitr.restore',
  summary: "Restore the archive to the moment in a sandboxed scratch PostgreSQL and show what it holds then (the instance isn't touched)",
  effect: 'read',
  params: {
    url: required('string', 's3://BUCKET/backups/GUID/wal/'),
    time: required('string', 'the moment, ISO 8601 with its zone'),
    instance: required('string', 'the instance as the operator named it'),
    copyName: required('string', 'the name of the copy'),
  },
  outputs: restoreOutputs,
  result: (o) => (o.restored ? `restored to ${o.time}; newest transaction ${o.lastTransactionAt || 'unknown'}` : `not restored: ${o.why}`),
  async run(ctx, p) {
    let text = ctx.answers.choose.moment ?? p.time;
    await removeLeftovers(ctx);
    for (;;) {
      ctx.progress(`restoring ${p.url} to ${text}`);
      const r = await restoreOnce(ctx, p.url, text);
      if (r instanceof DrillFailed) {
        if (r.outcome === 'could-not-run') return { ...notRestored(p, text), ...cannotRestore(ctx, r, p) };
        text = await anotherMoment(ctx, r);
        continue;
      }
      const kept = await showAndDecide(ctx, r, text);
      if (typeof kept === 'string') {
        text = kept;
        continue;
      }
      const moment = parseTargetTime(text, 'the moment');
      const dbs = kept.databases.filter((d) => d.name !== 'postgres' || d.largestTables.length > 0);
      return {
        restored: true,
        why: '',
        time: moment.iso,
        copyName: renamed(p, moment.at),
        dataDir: join(r.workdir!, 'data'),
        major: r.postgres.archiveMajor,
        backup: `${r.backup.name} (ended ${r.backup.finishedAt})`,
        lastTransactionAt: r.target?.lastTransactionAt ?? '',
        stoppedBefore: r.target?.stoppedBefore ? `transaction ${r.target.stoppedBefore.transaction} at ${r.target.stoppedBefore.at}` : '',
        databases: dbs.map((d) => d.name),
        newest: newestOf(dbs.map((d) => d.newest)) ?? '',
      };
    }
  },
});

/**
 * What the copy holds at the moment, shown; then what it holds (the moment kept) or another moment.
 * A copy not kept, or one that could not be looked into, is removed: it is the user's whole database.
 */
async function showAndDecide(ctx: StepContext, r: DrillReport, text: string): Promise<LookResult | string> {
  const workdir = r.workdir!;
  try {
    describeRestore(ctx, r);
    const look = await lookInside({
      dataDir: join(workdir, 'data'),
      major: r.postgres.archiveMajor,
      workDir: workdir,
      engine: scratchEngine(ctx),
      progress: (m) => {
        ctx.progress(m);
      },
    });
    ctx.evidence(`looked inside in ${look.server}`);
    showLook(ctx, look);
    const next = await keepOrAnother(ctx, text);
    if (next === null) return look;
    await rm(workdir, { recursive: true, force: true });
    ctx.note(`removed the copy as it was at ${text} (${workdir}): restoring to ${next}`);
    return next;
  } catch (err) {
    await rm(workdir, { recursive: true, force: true });
    throw err;
  }
}

/** The copy keeps a name the operator gave; a default name follows the moment kept. */
function renamed(p: { instance: string; time: string; copyName: string }, at: Date): string {
  const wasDefault = p.copyName === defaultCopyName(p.instance.trim(), new Date(p.time));
  return wasDefault ? defaultCopyName(p.instance.trim(), at) : p.copyName;
}

function notRestored(p: { instance: string; time: string; copyName: string }, text: string) {
  const moment = parseTargetTime(text, 'the moment');
  return {
    time: moment.iso,
    copyName: renamed(p, moment.at),
    dataDir: '',
    major: '',
    backup: '',
    lastTransactionAt: '',
    stoppedBefore: '',
    databases: [] as string[],
    newest: '',
  };
}

/** At a terminal the operator keeps the moment (Enter) or types another; unattended, the moment given is kept. */
async function keepOrAnother(ctx: StepContext, text: string): Promise<string | null> {
  if (!ctx.prompts.interactive) return null;
  const answer = (
    await ctx.prompts.input({
      key: 'moment',
      message: `Keep the database as it was at ${text}? Enter to keep it, or type another moment`,
      default: text,
      validate: (v) => (v.trim() === '' ? true : validMoment(v)),
    })
  ).trim();
  return answer === '' || answer === text ? null : answer;
}

export const restoreTimeCopyActions: ActionDef[] = [restore];
