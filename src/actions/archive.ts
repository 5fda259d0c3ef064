/**
 * The wal-e archives in S3: prove the old one restorable, move the new one aside,
 * copy the old one in, verify. The source archive is never written.
 */
import { newContainer } from './support/params.js';
import { defineAction, type ActionDef, defaulted, optional, output, required } from '../engine/runbook/index.js';
import type { StepContext } from '../engine/executor/index.js';
import { StepFailed } from '../core/errors.js';
import { inspectArchive } from '../archive/inspect.js';
import { partialCopyCommands } from '../archive/partials.js';
import { parseS3Url } from '../core/s3-url.js';
import { listArchive, totalBytes } from '../archive/listing.js';
import { dingoArchiveUrl, pinnedArchiveProblem, urlOf } from '../archive/location.js';
import {
  checkSwap,
  copyPhase,
  journaledPlan,
  parseS3Location,
  planFromJournal,
  prepareSwap,
  quarantinePhase,
  quarantineState,
  swapLocations,
  utcStamp,
  verifyPhase,
} from '../archive/swap.js';
import { containerState } from './support/cell.js';

async function requireStopped(ctx: StepContext, cellIp: string, container: string): Promise<void> {
  const state = await containerState(ctx, cellIp, container);
  if (state !== 'stopped') {
    throw new StepFailed(`container ${container} on ${cellIp} is ${state}: it would keep archiving into the target while we swap`, {
      hint: 'stop the container first (the runbook does so in an earlier step); then resume',
    });
  }
}

const inspect = defineAction({
  name: 'archive.inspect',
  summary: 'Prove a wal-e archive restorable (base backup + unbroken WAL chain)',
  effect: 'read',
  params: {
    url: required('string', 's3://BUCKET/backups/GUID/wal/'),
    requireRestorable: defaulted('boolean', true, 'fail the step when the archive is not restorable'),
    instanceGuid: optional('string', "the instance the archive must be Dingo's prefix of, in the WAL bucket --wal-bucket pins"),
  },
  outputs: {
    restorable: output('boolean', 'a base backup with an unbroken WAL chain exists'),
    complete: output('boolean', 'restorable, and replay reaches the newest archived WAL'),
    lost: output('string', 'archived WAL replay cannot reach, FIRST..LAST (empty when complete)'),
    latest: output('string', 'name of the LATEST base backup'),
    lastSegment: output('string', 'the newest archived WAL segment'),
    lastSegmentAt: output('string', 'time of the newest archived WAL segment'),
    lastMomentAt: output('string', "the archive's last moment: its newest WAL's time (a checked .partial's when there is one)"),
    lastMomentSource: output('string', 'what gives lastMomentAt'),
    pgVersion: output('string', 'PostgreSQL major version of the archive'),
    objects: output('number', 'objects in the archive'),
    bytes: output('number', 'bytes in the archive'),
    fingerprint: output('string', 'hash of every key, size and ETag'),
  },
  async run(ctx, p) {
    const pinned = ctx.settings.walBucket;
    if (pinned && p.instanceGuid) {
      const problem = pinnedArchiveProblem(p.url, pinned, p.instanceGuid);
      if (problem) {
        throw new StepFailed(`the archive ${p.url} found for ${p.instanceGuid} is refused: ${problem} (--wal-bucket)`, {
          hint: `Dingo archives ${p.instanceGuid} at ${dingoArchiveUrl(pinned, p.instanceGuid)}; an archive elsewhere was not written by the platform. Check the logs evidence above; if --wal-bucket is wrong, resume with the platform's (WAL_S3_BUCKET of its Dingo containers). Nothing has been changed yet`,
        });
      }
      ctx.evidence(`${p.url} is Dingo's prefix for ${p.instanceGuid} in the platform's WAL bucket ${pinned} (--wal-bucket)`);
    }
    // Listed completely, as the copy lists it: the fingerprint is the copy's proof the source is unchanged.
    const report = await inspectArchive(ctx.s3, urlOf(parseS3Location(p.url)), { complete: true, redactor: ctx.runtime.redactor });
    ctx.evidence(
      `${report.prefix}: ${report.objects} objects, ${report.bytes} bytes, PostgreSQL ${report.pgVersion ?? '?'}, sysid ${report.sysid ?? '?'}`,
    );
    if (report.latest) ctx.evidence(`LATEST base backup ${report.latest.name} (sentinel written ${report.latest.lastModified})`);
    ctx.evidence(
      `WAL ${report.firstSegment ?? '?'} … ${report.lastSegment ?? '?'} (newest archived ${report.lastSegmentAt ?? '?'}), gaps: ${report.gaps.length}`,
    );
    if (report.lost)
      ctx.evidence(
        `replay stops at ${report.restorableTo}: WAL ${report.lost.from} .. ${report.lost.to} cannot be replayed and what it holds is lost`,
      );
    if (report.lastMoment) ctx.evidence(`the archive's last moment: ${report.lastMoment.at} (${report.lastMoment.source})`);
    const { bucket } = parseS3Url(report.prefix);
    for (const partial of report.partials.filter((x) => x.usable)) {
      const [check, copy] = partialCopyCommands(bucket, partial);
      ctx.warn(
        `${partial.key} holds WAL after the archive's last full segment, which the container's wal-e never reads by that name. ` +
          `To restore it, stop before the archive swap, check that the full segment's key is free (${check} must print nothing), copy it there (${copy}), and start the recovery again so that it proves the archive with it`,
      );
    }
    for (const w of report.warnings) ctx.note(`warning: ${w}`);
    for (const pr of report.problems) ctx.note(`problem: ${pr}`);
    if (!report.restorable && p.requireRestorable) {
      throw new StepFailed(`the archive ${report.prefix} is not restorable: ${report.problems.join('; ') || 'no usable base backup'}`, {
        hint: 'check the archive URL and GUID; look for other candidates with `dingo-recover logs find`; nothing has been changed yet',
      });
    }
    return {
      restorable: report.restorable,
      complete: report.complete,
      lost: report.lost ? `${report.lost.from}..${report.lost.to}` : '',
      latest: report.latest?.name ?? '',
      lastSegment: report.lastSegment ?? '',
      lastSegmentAt: report.lastSegmentAt ?? '',
      lastMomentAt: report.lastMoment?.at ?? '',
      lastMomentSource: report.lastMoment?.source ?? '',
      pgVersion: report.pgVersion ?? '',
      objects: report.objects,
      bytes: report.bytes,
      fingerprint: report.fingerprint,
    };
  },
});

const quarantineAction = defineAction({
  name: 'archive.quarantine',
  summary: 'Move an archive aside to <prefix>.quarantine-<UTC timestamp>/ (copy, verify, then delete the originals)',
  effect: 'destructive',
  params: {
    url: required('string', 'the archive to move aside'),
    from: required(
      'string',
      'the archive that will be copied in: must be a wal-e archive, and overlap neither the target nor the quarantine',
    ),
    ...newContainer,
  },
  outputs: { quarantineUrl: output('string', 'where the objects now are'), moved: output('number', 'objects moved') },
  async evidence(ctx, p) {
    const target = parseS3Location(p.url, 'target');
    const objects = [...(await listArchive(ctx.s3, target)).values()];
    return {
      target: urlOf(target),
      'target objects': `${objects.length} (${totalBytes(objects)} bytes)`,
      container: `${p.container} on ${p.cellIp} is ${await containerState(ctx, p.cellIp, p.container)}`,
    };
  },
  // The swap's own plan: the locations checked apart, the source a wal-e archive, the target listed.
  async prepare(ctx, p) {
    const { plan } = await prepareSwap(ctx.s3, p.from, p.url, { stamp: utcStamp(ctx.now()) });
    return journaledPlan(plan);
  },
  async run(ctx, p, plan) {
    swapLocations(p.from, p.url, plan.stamp);
    await requireStopped(ctx, p.cellIp, p.container);
    const result = await quarantinePhase(ctx.s3, p.from, p.url, planFromJournal(plan), {
      concurrency: ctx.settings.copyConcurrency,
      onProgress: (e) => {
        ctx.progress(`${e.phase}: ${e.objectsDone}/${e.objectsTotal} objects`);
      },
    });
    ctx.note(`${result.objects} object(s) of the new instance's archive are kept at ${result.quarantine}`);
    return { quarantineUrl: result.quarantine, moved: result.objects };
  },
  // The objects left at the target are what this step changes: only where it acts is re-checked.
  stableEvidence: ['target', 'container'],
  async probe(ctx, p, plan) {
    const state = await quarantineState(ctx.s3, p.from, p.url, planFromJournal(plan));
    const planned = plan.objects.length;
    if (state.notHeld === 0 && state.left === 0) {
      return {
        done: true,
        outputs: { quarantineUrl: state.quarantine, moved: planned },
        why: `all ${planned} planned object(s) are in ${state.quarantine} and none is left at the target`,
      };
    }
    return {
      done: false,
      why: `the quarantine resumes from its journaled plan (${state.notHeld} not yet copied, ${state.left} not yet deleted): objects already moved are not moved again`,
    };
  },
});

const copy = defineAction({
  name: 'archive.copy',
  summary: 'Copy the old archive into the new prefix (server-side; sentinels last, in their original order)',
  effect: 'write',
  params: {
    from: required('string', 'the old archive (never written)'),
    to: required('string', 'the new instance prefix (emptied by the quarantine)'),
    fingerprint: required('string', 'fingerprint of the old archive when it was inspected'),
    ...newContainer,
  },
  outputs: { copied: output('number', 'objects copied in this attempt'), skipped: output('number', 'objects already in place') },
  async run(ctx, p) {
    checkSwap(p.from, p.to);
    await requireStopped(ctx, p.cellIp, p.container);
    const result = await copyPhase(ctx.s3, p.from, p.to, {
      fingerprint: p.fingerprint,
      concurrency: ctx.settings.copyConcurrency,
      onProgress: (e) => {
        ctx.progress(`copied ${e.objectsDone}/${e.objectsTotal} objects, ${e.bytesDone}/${e.bytesTotal} bytes`);
      },
    });
    ctx.note(`copied ${result.copied} object(s), ${result.skipped} already in place`);
    return { copied: result.copied, skipped: result.skipped };
  },
  safeToRepeat: 'the copy is idempotent: it copies only what is missing or different at the target',
});

const verify = defineAction({
  name: 'archive.verify',
  summary: 'Verify the target holds exactly the old archive (key, size, ETag)',
  effect: 'read',
  params: { from: required('string', 'the old archive'), to: required('string', 'the target prefix') },
  outputs: { identical: output('boolean', 'true when target = source') },
  async run(ctx, p) {
    await verifyPhase(ctx.s3, p.from, p.to);
    ctx.evidence(`target = source by key, size and ETag`);
    return { identical: true };
  },
});

export const archiveActions: ActionDef[] = [inspect, quarantineAction, copy, verify];
