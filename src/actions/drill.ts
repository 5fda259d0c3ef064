/**
 * The drill of the OLD archive before anything is changed: restore LATEST into a throwaway
 * PostgreSQL on this machine and replay its WAL, so the operator knows what will come back. Without
 * local binaries of the archive's major version (nor its postgres:<major> image through
 * --scratch-docker-host) the drill is left to the cell (`drilled` false): once the new instance's container
 * is found, cell.drill-archive restores it there in the container's own image, still before anything
 * is changed. An archive that does not restore stops the recovery while nothing is changed.
 */
import { defineAction, type ActionDef, output, required } from '../engine/runbook/index.js';
import { StepFailed } from '../core/errors.js';
import { runDrill } from '../drill/drill.js';
import { formatDuration } from '../core/duration.js';
import { DrillFailed } from '../drill/exit-codes.js';
import { LocalDiskFull } from '../drill/local-room.js';
import { scratchEngine } from './support/scratch-engine.js';
import { drillWorkdirPrefix } from './support/drill-scratch.js';

const drill = defineAction({
  name: 'archive.drill',
  summary: 'Restore a wal-e archive into a throwaway local PostgreSQL (skipped without matching binaries)',
  effect: 'read',
  params: { url: required('string', 's3://BUCKET/backups/GUID/wal/') },
  outputs: {
    drilled: output('boolean', 'the archive was restored and replayed here'),
    lastTransactionAt: output('string', 'time of the last transaction replayed (empty when not drilled)'),
    databases: output('string[]', 'databases found in the restored cluster'),
    why: output('string', 'why it was not drilled here (empty when it was)'),
    servedPartials: output(
      'string[]',
      '.partial segments replay was given under their full names, which the recovery restores only once copied',
    ),
  },
  result: (o) =>
    o.drilled
      ? `drilled: restored and replayed, last transaction ${o.lastTransactionAt || 'unknown'}, databases ${o.databases.join(', ') || '(none)'}`
      : `not drilled here (${o.why}): it is drilled on the new instance's cell, in the image its container runs, before anything is changed`,
  async run(ctx, p) {
    try {
      // A hole after LATEST's stop does not stop the recovery (the archive is the best copy there is):
      // the drill restores up to it and the lost range is shown.
      const workdirPrefix = await drillWorkdirPrefix(ctx);
      const r = await runDrill({
        url: p.url,
        store: ctx.s3,
        processes: ctx.platform.processes,
        redactor: ctx.runtime.redactor,
        engine: scratchEngine(ctx),
        requireComplete: false,
        workdir: ctx.runtime.scratch,
        workdirPrefix,
        now: () => ctx.now(),
        progress: (m) => {
          ctx.progress(m);
        },
      });
      ctx.evidence(
        `restored ${r.backup.name} (finished ${r.backup.finishedAt}) in ${r.postgres.server} (${formatDuration(r.restore.durationMs)})`,
      );
      ctx.evidence(
        `replayed ${r.restore.walFilesRestored} WAL file(s) up to ${r.replay.lastSegment ?? '?'}; last transaction ${r.replay.lastTransactionAt ?? 'unknown'}`,
      );
      if (r.replay.lost)
        ctx.evidence(`WAL ${r.replay.lost.from} .. ${r.replay.lost.to} was not replayed: what it holds will not come back`);
      for (const served of r.partials)
        ctx.evidence(
          `replay was given ${served.key} as ${served.servedAs}: the container's own restore reads it only once copied to that name`,
        );
      for (const w of r.warnings) ctx.warn(w);
      const databases = r.query.rows.map((row) => row[0] ?? '');
      ctx.evidence(`databases: ${databases.join(', ') || '(none)'}`);
      const servedPartials = r.partials.map((x) => x.key);
      return { drilled: true, lastTransactionAt: r.replay.lastTransactionAt ?? '', databases, why: '', servedPartials };
    } catch (err) {
      // This machine's disk filled as the archive was fetched to it: the drill on the cell would fetch it there too.
      if (err instanceof LocalDiskFull) throw new StepFailed(err.message, { hint: `nothing has been changed yet; ${err.hint ?? ''}` });
      if (!(err instanceof DrillFailed)) throw err;
      if (err.outcome === 'could-not-run') {
        // The cell that will run the restored instance has the image, and so the server, of the archive's major.
        ctx.evidence(
          `not drilled here: ${err.message}; the new instance's cell has a server of its version (its container's image): the drill runs there once the cell is reached, before anything is changed`,
        );
        return { drilled: false, lastTransactionAt: '', databases: [], why: err.message, servedPartials: [] };
      }
      throw new StepFailed(`the old archive did not restore in a drill: ${err.message}`, {
        hint: `nothing has been changed yet. ${err.hint ?? ''} Check the GUID and look for other candidates with \`dingo-recover logs find\`.`.trim(),
      });
    }
  },
});

export const drillActions: ActionDef[] = [drill];
