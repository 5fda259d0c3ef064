/**
 * The drill of the OLD archive on the new instance's cell, in the image its container runs, when
 * this machine has no server of the archive's major (Dingo's 9.4 and 9.5, which no jumpbox has):
 * the cell already holds exactly the binaries that will restore the archive. The image is read from
 * the container (docker inspect's Config.Image), never from a tenant's text. It runs while nothing
 * is changed yet, not even the new container stopped: an archive that does not restore stops the
 * recovery there. A Docker that refuses one of the drill container's hardening options is named,
 * and the operator chooses (`choose.drillWithout`) whether the drill goes on without it.
 */
import { dirname } from 'node:path';
import { defineAction, type ActionDef, output, required } from '../engine/runbook/index.js';
import type { StepContext } from '../engine/executor/index.js';
import { NeedsOperator, StepFailed } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import { cellDrillLine, HardeningRefused, ranIn, runCellDrill, StoreFull, type CellDrillReport } from '../drill/cell-drill.js';
import { DrillFailed } from '../drill/exit-codes.js';
import { lostRange } from '../drill/replay.js';
import { LocalDiskFull } from '../drill/local-room.js';
import { cellDocker, inspectOrFail, where } from './support/cell.js';
import { drillWorkdirPrefix } from './support/drill-scratch.js';

/** The choice's value that declines: the drill does not run on that cell, and the recovery goes on on the listing's proof. */
const NOT_DRILLED = 'not-drilled';
/** The choice's value that stops the run at this step, nothing changed yet: a resume asks again. */
const STOP = 'stop';
const NOT_NEEDED = 'not needed';

const drillOnCell = defineAction({
  name: 'cell.drill-archive',
  summary: "Restore the old archive in a throwaway container of the new container's image on its cell, and replay its WAL",
  effect: 'read',
  params: {
    ...where,
    url: required('string', 's3://BUCKET/backups/GUID/wal/ of the old archive'),
    drilledHere: required('boolean', 'the archive was drilled on this machine, or its listing is its proof: nothing runs on the cell'),
  },
  outputs: {
    drilled: output('boolean', 'the archive was restored and replayed on the cell'),
    drilledIn: output('string', 'the image and cell it was drilled in (empty when not drilled)'),
    replayedTo: output('string', "the end-of-recovery checkpoint's redo location (empty when not drilled)"),
    databases: output('string[]', 'databases found in the restored cluster'),
    line: output('string', 'what the drill showed, as its screen line (empty when not drilled)'),
    why: output('string', 'why it was not drilled (empty when it was)'),
  },
  chooses: {
    drillWithout: { description: "a hardening option the cell's Docker refused: go on without it, or not drill there" },
  },
  result: (o) =>
    o.drilled
      ? o.line
      : o.why === NOT_NEEDED
        ? `${NOT_NEEDED}: it was drilled on this machine, or its listing proves it`
        : `not drilled: ${o.why}`,
  async run(ctx, p) {
    if (p.drilledHere) return { drilled: false, drilledIn: '', replayedTo: '', databases: [], line: '', why: NOT_NEEDED };
    const info = await inspectOrFail(ctx, p.cellIp, p.container);
    if (!info.image) return notDrilled(ctx, p.url, `docker inspect of ${p.container} names no image`);
    ctx.evidence(
      `${p.container} runs ${info.image} (docker inspect): no server of the archive's major is installed here, so the drill runs on ${p.cellIp} in the image that will restore it`,
    );
    const without: string[] = [];
    const workdirPrefix = await drillWorkdirPrefix(ctx);
    for (;;) {
      try {
        const r = await runCellDrill({
          url: p.url,
          store: ctx.s3,
          docker: await cellDocker(ctx, p.cellIp),
          cell: p.cellIp,
          image: info.image,
          // A hole after LATEST's stop does not stop the recovery (the archive is the best copy there is): the lost range is shown.
          requireComplete: false,
          // The store the broker's container folders are in (--container-store-root's parent): the drill's scratch folder goes beside them.
          cellStore: dirname(ctx.settings.containerStoreRoot.replace(/\/+$/, '')),
          without,
          workdir: ctx.runtime.scratch,
          workdirPrefix,
          processes: ctx.platform.processes,
          redactor: ctx.runtime.redactor,
          sleep: (ms) => ctx.sleep(ms),
          progress: (m) => {
            ctx.progress(m);
          },
        });
        return drilled(ctx, r);
      } catch (err) {
        if (err instanceof HardeningRefused) {
          const chosen = await goOnWithout(ctx, err, p.cellIp);
          if (chosen === STOP)
            throw new NeedsOperator(`${err.refusal}: the recovery stopped before anything was changed, as you chose`, {
              hint: `nothing of the drill is left on ${p.cellIp}, and the new container still runs. Prove the archive elsewhere if you wish (dingo-recover drill ${p.url} --on-cell <another cell's IP>), then resume: the drill is asked about again`,
            });
          if (chosen !== err.option) return notDrilled(ctx, p.url, `${err.refusal}, and the drill was not to go on without it`);
          without.push(err.option);
          continue;
        }
        // The restore that follows writes the same archive to the same disk: the run stops here, nothing changed yet.
        if (err instanceof StoreFull)
          throw new StepFailed(err.message, {
            hint: `nothing has been changed yet: the new container still runs and S3 is as it was. ${err.hint ?? ''}; the restore that follows writes this archive to that disk, so resume once there is room`,
          });
        // This machine's disk filled as the archive was fetched to it: the run stops here too, for a resume once there is room.
        if (err instanceof LocalDiskFull)
          throw new StepFailed(err.message, {
            hint: `nothing has been changed yet: the new container still runs and S3 is as it was; ${err.hint ?? ''}`,
          });
        if (!(err instanceof DrillFailed)) throw err;
        const tried = without.length ? ` (tried without ${without.join(', ')}, as you chose)` : '';
        if (err.outcome === 'could-not-run') return notDrilled(ctx, p.url, `${err.message}${tried}`);
        throw new StepFailed(`the old archive did not restore in a drill on ${p.cellIp} in ${info.image}: ${err.message}`, {
          hint: `nothing has been changed yet: the new container still runs and S3 is as it was. ${err.hint ?? ''} Check the GUID and look for other candidates with \`dingo-recover logs find\`.`.trim(),
        });
      }
    }
  },
});

function drilled(ctx: StepContext, r: CellDrillReport) {
  for (const name of r.removedLeftovers) ctx.evidence(`removed ${name}, left on ${r.cell} by an interrupted drill`);
  ctx.evidence(`restored ${r.backup} in ${r.image} (PostgreSQL ${r.version}) on ${r.cell} (${formatDuration(r.durationMs)})`);
  ctx.evidence(`databases: ${r.databases.join(', ') || '(none)'}`);
  if (r.lost) ctx.evidence(`WAL ${lostRange(r.lost)} was not replayed: what it holds will not come back`);
  if (r.without.length) ctx.evidence(`the drill container ran without ${r.without.join(', ')}, as the operator chose`);
  for (const w of r.warnings) ctx.warn(w);
  return {
    drilled: true,
    // Where it ran, and the hardening it went without when the operator chose so, for the report as for the screen.
    drilledIn: ranIn(r),
    replayedTo: r.replayedTo,
    databases: r.databases,
    line: cellDrillLine(r),
    why: '',
  };
}

function notDrilled(ctx: StepContext, url: string, why: string) {
  ctx.warn(
    `not drilled: ${why}; prove it replays where that version is installed: dingo-recover drill ${url} --pg-bin <folder of that version's pg_ctl>, or in the service's image on another Dingo cell: dingo-recover drill ${url} --on-cell <cell IP>`,
  );
  return { drilled: false, drilledIn: '', replayedTo: '', databases: [], line: '', why };
}

/** The refused option when the operator agrees to drill without it (the answers file may name several, comma-separated), else not-drilled or stop. */
async function goOnWithout(ctx: StepContext, err: HardeningRefused, cell: string): Promise<string> {
  const refused = err.refusal;
  const d = await ctx.choices.choose({
    key: 'drillWithout',
    message: `${refused}. Drill on ${cell} without ${err.option}?`,
    stop: `${refused}: the drill goes on without it only when you choose so`,
    options: [
      { value: err.option, name: `drill without ${err.option} (the rest of the hardening stays)` },
      { value: NOT_DRILLED, name: "do not drill there: the recovery goes on on the listing's proof, with a warning" },
      { value: STOP, name: 'stop the recovery here, nothing changed yet: a resume asks again' },
    ],
    read: (given) => {
      const named = given.split(',').map((s) => s.trim());
      return named.includes(err.option) ? err.option : given.trim();
    },
    example: err.option,
  });
  return d.value;
}

export const cellDrillActions: ActionDef[] = [drillOnCell];
