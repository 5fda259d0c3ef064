/** One restore of an archive to a moment, kept in a scratch folder for what follows (restore-to-time). */
import { rm } from 'node:fs/promises';
import type { StepContext } from '../../engine/context.js';
import { StepFailed } from '../../core/errors.js';
import { runDrill, type DrillReport } from '../../drill/drill.js';
import { DrillFailed } from '../../drill/exit-codes.js';
import { parseTargetTime } from '../../drill/target-time.js';

/** One restore to `text`; the failure itself when the moment is out of reach or the restore cannot run here. */
export async function restoreOnce(ctx: StepContext, url: string, text: string): Promise<DrillReport | DrillFailed> {
  try {
    return await runDrill({
      url,
      store: ctx.s3,
      processes: ctx.platform.processes,
      targetTime: parseTargetTime(text, 'the moment'),
      keep: true,
      progress: (m) => {
        ctx.progress(m);
      },
    });
  } catch (err) {
    if (!(err instanceof DrillFailed)) throw err;
    if (err.workdir) await rm(err.workdir, { recursive: true, force: true });
    if (err.reachable || err.outcome === 'could-not-run') return err;
    throw new StepFailed(`the archive did not restore to ${text}: ${err.message}`, { hint: err.hint ?? 'nothing was changed' });
  }
}
