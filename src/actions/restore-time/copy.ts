/**
 * restore-to-time's restore: the instance's archive restored to the target (a moment, a transaction,
 * a WAL location, a restore point, immediate) into a sandboxed scratch PostgreSQL (the drill's
 * restore and its checks: a target outside the archive is refused), what it holds then shown, and
 * the operator keeps it or gives a moment instead. The copy is looked at paused at the target, so a
 * later moment is reached from it without restoring again (support/paused-copy.ts); an earlier one is
 * restored again from the base backup. The moment kept is promoted before the dumps.
 */
import { ARCHIVE_ENDED_FIRST } from '../../drill/drill-report.js';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { defineAction, type ActionDef, output, required } from '../../engine/runbook/index.js';
import type { StepContext } from '../../engine/executor/index.js';
import { StepFailed, UsageError } from '../../core/errors.js';
import { formatBytes } from '../../core/format.js';
import { commandLine, scenarioFlag } from '../../core/command-line.js';
import type { DrillReport } from '../../drill/drill.js';
import type { RestoredCopy } from '../../drill/restored-copy.js';
import { DrillFailed } from '../../drill/exit-codes.js';
import { parseTargetTime } from '../../drill/target-time.js';
import { describeTarget, targetFlags, targetOfFlags, type RecoveryTarget } from '../../drill/recovery-target.js';
import { defaultTargetCopyName } from '../../drill/copy-name.js';
import { removeLeftovers, restoreOnce } from '../support/restore-copy.js';
import { startFrom, type Paused } from '../support/paused-copy.js';
import { AS_THE_COPY_SAYS, foreignTablesLine, newestOf, readDatabases, type LookResult, type TableReader } from '../../volumes/look.js';

const restoreOutputs = {
  restored: output('boolean', 'the database was restored here (false: why says why not)'),
  why: output('string', 'why it was not restored here (empty when it was)'),
  target: output('string[]', "the target kept, as the drill's flags"),
  describe: output('string', 'what came back, in words: as it was just before transaction 1234'),
  time: output('string', 'the moment kept, ISO 8601 in UTC (to the microsecond when given so); empty for another target'),
  copyName: output('string', 'the name of the copy'),
  dataDir: output('string', 'the restored data folder (scratch)'),
  major: output('string', "the archive's PostgreSQL major version"),
  backup: output('string', 'the base backup restored, and when it ended'),
  lastTransactionAt: output('string', 'the newest transaction in the restored database'),
  stoppedBefore: output('string', 'a moment: the first transaction left out, and when it committed (empty when none was archived)'),
  stopped: output('string', 'another target: where PostgreSQL stopped replay, in its words (empty for a moment)'),
  databases: output('string[]', 'databases holding data'),
  newest: output('string', 'the newest timestamp found in them'),
};

function showLook(ctx: StepContext, look: LookResult): void {
  ctx.evidence(AS_THE_COPY_SAYS);
  for (const d of look.databases) {
    ctx.evidence(`database ${d.name}: ${formatBytes(d.bytes)}, newest timestamp ${d.newest ?? 'none'}`);
    for (const t of d.largestTables.slice(0, 5))
      ctx.evidence(
        `  ${t.schema}.${t.table}: ${t.rowsExact ? '' : '~'}${t.rows} rows${t.newest ? `, newest ${t.newest}` : ''}${t.note ? ` (${t.note})` : ''}`,
      );
    const foreign = foreignTablesLine(d);
    if (foreign) ctx.evidence(`  ${foreign}`);
  }
}

/** A restore that cannot be done here: a rehearsal walks on and says why; a live run stops, resumable. */
function cannotRestore(ctx: StepContext, err: DrillFailed, p: { url: string }, t: RecoveryTarget) {
  if (ctx.platform.mode !== 'rehearsal') {
    throw new StepFailed(`the archive cannot be restored on this machine: ${err.message}`, {
      hint: `${err.hint ?? ''} Nothing was changed: resume once that is done.`.trim(),
    });
  }
  ctx.warn(`not restored in this rehearsal: ${err.message}`);
  ctx.note(
    `the rehearsal walks on without a copy; to restore it elsewhere: ${commandLine(['drill', p.url, ...targetFlags(t), ...scenarioFlag(ctx.platform)])}`,
  );
  return { restored: false, why: err.message };
}

/**
 * The moment out of the archive's reach: the operator gives another (the run's `moment` choice: at a
 * terminal, else choose.moment). A moment given before the run that is out of reach is refused where
 * it was given: it is never asked over.
 */
async function anotherMoment(ctx: StepContext, err: DrillFailed): Promise<string> {
  const range = err.reachable ? `between ${err.reachable.earliest} and ${err.reachable.latest}` : 'inside the archive';
  const given = ctx.choices.given('moment');
  if (given) {
    throw new UsageError(`${given.by} is ${given.value}: ${err.message}`, {
      hint: `give a moment ${range} there (ISO 8601 with its zone), then resume; nothing was changed`,
    });
  }
  const d = await ctx.choices.choose({
    key: 'moment',
    message: `${err.message}. Another moment ${range} (ISO 8601 with its zone)?`,
    stop: `${err.message}: another moment ${range} is needed`,
    check: validMoment,
    example: err.reachable?.latest ?? 'TIME',
  });
  return d.value;
}

function validMoment(v: string): string | true {
  try {
    parseTargetTime(v, 'the moment');
    return true;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Whether `t` lies at or after `than`; a target other than a moment is taken as after. */
function notBefore(t: RecoveryTarget, than: RecoveryTarget): boolean {
  return !(t.stop.kind === 'time' && than.stop.kind === 'time' && t.stop.time.at < than.stop.time.at);
}

/** The target at a moment the operator gave instead (choose.moment, or typed): inclusive or not and the timeline as they were. */
function atMoment(t: RecoveryTarget, text: string): RecoveryTarget {
  return { ...t, stop: { kind: 'time', time: parseTargetTime(text, 'the moment') } };
}

function describeRestore(ctx: StepContext, r: DrillReport, t: RecoveryTarget): void {
  ctx.evidence(
    `restored ${r.backup.name} (ended ${r.backup.finishedAt}) in ${r.postgres.server}, WAL replayed: the database ${describeTarget(t)}`,
  );
  const at = r.target;
  if (at) {
    if (at.stoppedBefore)
      ctx.evidence(`replay stopped before transaction ${at.stoppedBefore.transaction}, committed ${at.stoppedBefore.at}`);
    else
      ctx.evidence(
        `replay reached the end of the archived WAL before the moment: ${ARCHIVE_ENDED_FIRST(at.lastTransactionAt ?? 'the base backup')}`,
      );
  } else if (r.stop?.stopped) ctx.evidence(`PostgreSQL: ${r.stop.stopped}`);
  ctx.evidence(`newest transaction in the copy: ${(at ? at.lastTransactionAt : r.replay.lastTransactionAt) ?? 'unknown'}`);
}

/** Where replay stopped, for the report: the first transaction left out (a moment), or PostgreSQL's words (another target). */
function stoppedAt(r: DrillReport): { stoppedBefore: string; stopped: string } {
  const before = r.target?.stoppedBefore;
  return {
    stoppedBefore: before ? `transaction ${before.transaction} at ${before.at}` : '',
    stopped: r.target ? '' : (r.stop?.stopped ?? ''),
  };
}

const restore = defineAction({
  name: 'pitr.restore',
  summary: "Restore the archive to the target in a sandboxed scratch PostgreSQL and show what it holds then (the instance isn't touched)",
  effect: 'read',
  chooses: {
    moment: { description: 'the moment the copy is kept at: the target, or another moment the operator gives after seeing what it holds' },
  },
  params: {
    url: required('string', 's3://BUCKET/backups/GUID/wal/'),
    target: required('string[]', "the target, as the drill's flags (pitr.target's)"),
    instance: required('string', 'the instance as the operator named it'),
    copyName: required('string', 'the name of the copy'),
  },
  outputs: restoreOutputs,
  result: (o) =>
    o.restored ? `restored: the database ${o.describe}; newest transaction ${o.lastTransactionAt || 'unknown'}` : `not restored: ${o.why}`,
  async run(ctx, p) {
    const given = targetOfFlags(p.target);
    // A moment given before the run (choose.moment) stands for the target: it is taken and journaled as the choice.
    const chosen = ctx.choices.given('moment') && (await ctx.choices.choose({ key: 'moment', message: 'The moment', check: validMoment }));
    let t = chosen ? atMoment(given, chosen.value) : given;
    await removeLeftovers(ctx);
    // The copy paused at the moment looked at last, which a later moment is reached from.
    let paused: Paused | null = null;
    // The first moment PostgreSQL would not stay a hot standby at (a setting raised since the base
    // backup): the WAL that raised it lies before it, so a copy of it or of a later moment is restored
    // promoted at once, not paused, refused and restored a second time.
    const noPause: { from: RecoveryTarget | null } = { from: null };
    for (;;) {
      const from = await startFrom(ctx, paused, t);
      ctx.progress(`${from ? 'moving the copy forward' : `restoring ${p.url}`}: the database ${describeTarget(t)}`);
      let look: LookResult | null = null;
      const r = await restoreOnce(ctx, p.url, t, {
        pause: !(noPause.from && notBefore(t, noPause.from)),
        pauseRefused: () => {
          noPause.from = t;
        },
        from,
        look: async (copy) => {
          look = { server: copy.cluster.how, notes: [], databases: await readDatabases(tableReader(copy)) };
        },
      });
      if (r instanceof DrillFailed) {
        if (r.outcome === 'could-not-run') return { ...notRestored(p, given, t), ...cannotRestore(ctx, r, p, t) };
        // A moment out of reach is refused before the copy is touched: it stays paused where it was.
        if (!from || r.workdir) paused = null;
        t = atMoment(t, await anotherMoment(ctx, r));
        continue;
      }
      const next = await showAndDecide(ctx, r, t, look!);
      if (next !== null) {
        paused = r.paused ? { report: r, target: t } : null;
        if (!r.paused) {
          await rm(r.workdir!, { recursive: true, force: true });
          ctx.note(
            `removed the copy ${describeTarget(t)} (${r.workdir!}), which PostgreSQL could not keep paused there (no later transaction archived, or WAL that serves no hot standby): restoring to ${next} from the base backup`,
          );
        }
        t = atMoment(t, next);
        continue;
      }
      const kept = r.paused ? await promoteCopy(ctx, p.url, r, t) : r;
      const dbs = look!.databases.filter((d) => d.name !== 'postgres' || d.largestTables.length > 0);
      return {
        ...keptTarget(p, given, t),
        restored: true,
        why: '',
        dataDir: join(kept.workdir!, 'data'),
        major: kept.postgres.archiveMajor,
        backup: `${kept.backup.name} (ended ${kept.backup.finishedAt})`,
        lastTransactionAt: (kept.target ? kept.target.lastTransactionAt : kept.replay.lastTransactionAt) ?? '',
        ...stoppedAt(kept),
        databases: dbs.map((d) => d.name),
        newest: newestOf(dbs.map((d) => d.newest)) ?? '',
      };
    }
  },
});

/** How the look reads the copy the drill restored: catalogs as our session, tables as the drill's `read`. */
function tableReader(copy: RestoredCopy): TableReader {
  return { query: async (database, sql) => (await copy.cluster.query(sql, { ...copy.conn, database })).rows, lines: copy.lines };
}

/**
 * The moment kept, on a copy paused there: promoted, replay run from its last restartpoint to the same
 * target once more with PostgreSQL ending recovery there (recovery-target.ts, per major), and the copy
 * then made safe to read for the dumps. Only a copy this attempt paused is promoted: a step run again
 * removes what an interrupted attempt left and restores from the base backup.
 */
async function promoteCopy(ctx: StepContext, url: string, r: DrillReport, t: RecoveryTarget): Promise<DrillReport> {
  ctx.progress(`promoting the copy ${describeTarget(t)}`);
  const promoted = await restoreOnce(ctx, url, t, { from: { workdir: r.workdir!, backup: r.backup.name } });
  if (promoted instanceof DrillFailed) {
    throw new StepFailed(`the copy ${describeTarget(t)} could not be promoted: ${promoted.message}`, {
      hint: `${promoted.hint ?? ''} Resume to restore it again from the base backup.`.trim(),
    });
  }
  ctx.evidence(`promoted the copy ${describeTarget(t)}: its recovery ended there`);
  return promoted;
}

/**
 * What the copy holds at the target, shown; then null (the target kept) or another moment. A copy
 * that could not be shown or asked about is removed: it is the user's whole database.
 */
async function showAndDecide(ctx: StepContext, r: DrillReport, t: RecoveryTarget, look: LookResult): Promise<string | null> {
  try {
    describeRestore(ctx, r, t);
    ctx.evidence(`looked inside in ${look.server}${r.paused ? `, the copy paused ${describeTarget(t)} (a hot standby, read only)` : ''}`);
    showLook(ctx, look);
    return await keepOrAnother(ctx, t, look);
  } catch (err) {
    await rm(r.workdir!, { recursive: true, force: true });
    throw err;
  }
}

/** The target kept and the copy's name: a name the operator gave stays; a default name follows the target kept. */
function keptTarget(p: { instance: string; copyName: string }, given: RecoveryTarget, kept: RecoveryTarget) {
  const wasDefault = p.copyName === defaultTargetCopyName(p.instance.trim(), given);
  return {
    target: targetFlags(kept),
    describe: describeTarget(kept),
    time: kept.stop.kind === 'time' ? kept.stop.time.iso : '',
    copyName: wasDefault ? defaultTargetCopyName(p.instance.trim(), kept) : p.copyName,
  };
}

function notRestored(p: { instance: string; copyName: string }, given: RecoveryTarget, kept: RecoveryTarget) {
  return {
    ...keptTarget(p, given, kept),
    dataDir: '',
    major: '',
    backup: '',
    lastTransactionAt: '',
    stoppedBefore: '',
    stopped: '',
    databases: [] as string[],
    newest: '',
  };
}

/** What the copy holds, in the question about it: each database's largest tables and their rows ("~": estimated). */
function rowCounts(look: LookResult): string {
  const dbs = look.databases.filter((d) => d.name !== 'postgres' || d.largestTables.length > 0);
  if (!dbs.length) return 'no database holds a table';
  return dbs
    .map((d) => {
      const tables = d.largestTables.slice(0, 5).map((x) => `${x.schema}.${x.table} ${x.rowsExact ? '' : '~'}${x.rows} rows`);
      return `${d.name}: ${tables.join(', ') || 'no table'}${d.largestTables.length > 5 ? ', …' : ''}`;
    })
    .join('; ');
}

/**
 * The operator keeps the copy (Enter) or types a moment to restore to instead (the run's `moment`
 * choice); a moment given before the run was decided there, and with no terminal the target is kept.
 */
async function keepOrAnother(ctx: StepContext, t: RecoveryTarget, look: LookResult): Promise<string | null> {
  if (ctx.choices.given('moment')) return null;
  const current = t.stop.kind === 'time' ? t.stop.time.text : '';
  const d = await ctx.choices.choose({
    key: 'moment',
    message: `Keep the database ${describeTarget(t)} (${rowCounts(look)})? Enter to keep it, or type a moment to restore to instead`,
    default: current,
    check: (v) => (v.trim() === '' ? true : validMoment(v)),
    unattended: current,
  });
  const answer = d.value.trim();
  return answer === '' || answer === current || (t.stop.kind === 'time' && parseTargetTime(answer, 'the moment').iso === t.stop.time.iso)
    ? null
    : answer;
}

export const restoreTimeCopyActions: ActionDef[] = [restore];
