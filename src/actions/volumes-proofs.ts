/**
 * The proofs of recover-docker-volume's work: each dump restored into a fresh scratch PostgreSQL with
 * the same row counts (an interrupted check's server and folder found by its journaled plan and
 * removed first), and the original data folder exactly as it was when it was copied.
 */
import { present } from '../core/file-kind.js';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { defineAction, type ActionDef, defaulted, output, required } from '../engine/runbook/index.js';
import { failpoint } from '../core/failpoints.js';
import { StepFailed } from '../core/errors.js';
import { isCheckFolder, verifyDumps } from '../volumes/look.js';
import { checkOriginalUnchanged } from '../volumes/session.js';
import { DUMP } from './support/records.js';
import { stopLeftoverServer } from './support/restore-copy.js';
import type { StepContext } from '../engine/executor/index.js';

/** Where a check's scratch cluster goes: a new folder of the temp folder, named before it is made. */
const CHECK_PREFIX = 'dingo-restore-check-';

/**
 * The scratch server an interrupted check left running in `folder` (its journaled plan), stopped (by
 * the PID its postmaster.pid names, only when that process serves the folder's cluster), then the
 * folder removed: a folder of this tool's own making in the temp folder, nothing else.
 */
async function removeEarlierCheck(ctx: StepContext, folder: string | undefined): Promise<string> {
  if (folder === undefined)
    return 'the earlier attempt journaled no scratch folder (an older version made it): nothing of it is looked for';
  if (!(await present(folder))) return `the earlier attempt left nothing in ${folder}`;
  if (dirname(folder) !== ctx.runtime.scratch || !basename(folder).startsWith(CHECK_PREFIX) || !(await isCheckFolder(folder))) {
    throw new StepFailed(`${folder}, journaled as the folder of the earlier attempt's scratch server, is not a folder this tool made`, {
      hint: `look at what ${folder} is, move it aside, then resume`,
    });
  }
  const pid = await stopLeftoverServer(ctx, folder);
  await rm(folder, { recursive: true, force: true });
  return `${pid === undefined ? 'no scratch server of the earlier attempt ran' : `stopped the earlier attempt's scratch server (pid ${pid})`}; removed ${folder}`;
}

const verify = defineAction({
  name: 'volumes.verify-dumps',
  onThisHost: true,
  summary: 'Restore each dump into a fresh scratch PostgreSQL and compare row counts',
  effect: 'read',
  params: { dumps: required('object[]', 'the dumps', DUMP) },
  outputs: { verified: output('string[]', 'dump files that restored with the same row counts') },
  // The scratch server's folder is journaled (the step's plan) before the server starts in it.
  prepare: (ctx) => ({ folder: join(ctx.runtime.scratch, CHECK_PREFIX + randomBytes(8).toString('hex')) }),
  async probe(ctx, _p, plan: { folder?: string }) {
    // A kill skips the check's own stop: its server, still running on the user's data, is stopped first.
    const why = await removeEarlierCheck(ctx, plan.folder);
    return { done: false, why: `${why}; the dumps are restored again` };
  },
  async run(ctx, p, plan) {
    const started = (pid: number, data: string): void => {
      ctx.note(`the scratch PostgreSQL of the check runs as pid ${pid} on ${data}`);
      failpoint('volumes.verify-dumps');
    };
    const checks = await verifyDumps(p.dumps, { work: plan.folder ?? { in: ctx.runtime.scratch }, started });
    const bad = checks.filter((c) => !c.restored || c.differences.length);
    for (const c of checks)
      ctx.evidence(
        `${c.file}: ${c.restored ? `restored, ${c.tables} table(s)` : 'did NOT restore'}${c.differences.length ? `: ${c.differences.join('; ')}` : ', same row counts'}`,
      );
    if (bad.length) {
      throw new StepFailed(`${bad.length} dump(s) did not restore with the same row counts: ${bad.map((b) => b.file).join(', ')}`, {
        hint: 'the copy and the dumps are kept; look at the differences above, and dump again (the original volume was not touched)',
      });
    }
    return { verified: checks.map((c) => c.file) };
  },
});

const checkOriginal = defineAction({
  name: 'volumes.check-original',
  onThisHost: true,
  summary: 'Check the original data folder is exactly as it was when copied',
  effect: 'read',
  params: {
    original: required('string', 'the original data folder'),
    digest: required('string', 'its digest taken while copying'),
    volume: defaulted('string', '', "the volume's folder, as the copy was given it (none: the data folder)"),
  },
  outputs: { unchanged: output('boolean', 'always true (a change fails the step)') },
  async run(ctx, p) {
    const d = await checkOriginalUnchanged(p.original, p.digest, p.volume || undefined);
    ctx.evidence(`${p.original}: ${d.files} file(s), same sha256 tree digest (contents, sizes, modes, modification times) as when copied`);
    return { unchanged: true };
  },
});

/** The two proofs. */
export const volumesProofActions: ActionDef[] = [verify, checkOriginal];
