/**
 * The wal-e archives in S3: prove the old one restorable, move the new one aside,
 * copy the old one in, verify. The source archive is never written.
 */
import { newContainer } from './support/params.js';
import { defineAction, type ActionDef, defaulted, optional, output, required } from '../engine/runbook/index.js';
import type { StepContext } from '../engine/executor/index.js';
import { StepFailed } from '../core/errors.js';
import { textsOf } from '../core/json.js';
import { inspectArchive } from '../archive/inspect.js';
import { refusedLine, servedLine, servePartials, type ServedPartial } from '../archive/serve-partials.js';
import { listSourceArchive } from '../archive/copy.js';
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
    // Served by the copy step, which checks it again: nothing is left for the operator to do.
    for (const partial of report.partials.filter((x) => x.usable)) {
      ctx.evidence(
        `${partial.key} holds WAL after the archive's last full segment, which the container's wal-e never reads by that name. ` +
          `It checks out: once the old archive is copied in, the copy step copies it to ${partial.segment}'s full name under the NEW instance's prefix (the old archive is never written), where wal-e fetches it`,
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

/** The newest of the served partials' moments, and what gives it; empty when none was served. */
function servedMoment(served: ServedPartial[]): { at: string; source: string } {
  const last = served.reduce<ServedPartial | null>((a, b) => (a === null || b.lastModified > a.lastModified ? b : a), null);
  return last
    ? { at: last.lastModified, source: `S3 LastModified of wal_005/${last.segment}.partial.lzo, served as ${last.segment}` }
    : { at: '', source: '' };
}

const copy = defineAction({
  name: 'archive.copy',
  summary:
    "Copy the old archive into the new prefix (server-side; sentinels last, in their original order), then each checked .partial to its segment's full key there",
  effect: 'write',
  params: {
    from: required('string', 'the old archive (never written)'),
    to: required('string', 'the new instance prefix (emptied by the quarantine)'),
    fingerprint: required('string', 'fingerprint of the old archive when it was inspected'),
    ...newContainer,
  },
  outputs: {
    copied: output('number', 'objects copied in this attempt'),
    skipped: output('number', 'objects already in place'),
    servedPartials: output(
      'string[]',
      "the full segment keys under the new prefix a checked .partial was copied to, which wal-e's restore fetches",
    ),
    servedMomentAt: output(
      'string',
      "the newest served partial's LastModified: the last moment of WAL the restore reads (empty when none)",
    ),
    servedMomentSource: output('string', 'what gives servedMomentAt'),
  },
  async run(ctx, p) {
    const { source, target } = checkSwap(p.from, p.to);
    await requireStopped(ctx, p.cellIp, p.container);
    const listing = await listSourceArchive(ctx.s3, source);
    const result = await copyPhase(ctx.s3, source, target, {
      source: listing,
      fingerprint: p.fingerprint,
      concurrency: ctx.settings.copyConcurrency,
      onProgress: (e) => {
        ctx.progress(`copied ${e.objectsDone}/${e.objectsTotal} objects, ${e.bytesDone}/${e.bytesTotal} bytes`);
      },
    });
    ctx.note(`copied ${result.copied} object(s), ${result.skipped} already in place`);
    // After the whole archive, as its own segment: wal-e's wal-fetch asks for full names only.
    // A later step than the inspection, perhaps after a resume: the partials are checked again here.
    const { served, refused } = await servePartials(ctx.s3, source, target, listing, { redactor: ctx.runtime.redactor });
    for (const s of served) ctx.evidence(servedLine(s));
    for (const r of refused) ctx.warn(refusedLine(source.bucket, r));
    const moment = servedMoment(served);
    return {
      copied: result.copied,
      skipped: result.skipped,
      servedPartials: served.map((s) => s.to),
      servedMomentAt: moment.at,
      servedMomentSource: moment.source,
    };
  },
  // A run journaled by an earlier version has no servedPartials.
  result: (o) => {
    const served = textsOf(o.servedPartials).map((k) => k.slice(k.lastIndexOf('/') + 1));
    return `copied ${o.copied} object(s), ${o.skipped} already in place${served.length ? `; served ${served.join(', ')} from its checked .partial` : ''}`;
  },
  safeToRepeat:
    "the copy is idempotent: it copies only what is missing or different at the target, and a partial's full key already holding its copy is taken as served (any other object there stops it)",
});

const verify = defineAction({
  name: 'archive.verify',
  summary: 'Verify the target holds exactly the old archive (key, size, ETag)',
  effect: 'read',
  params: { from: required('string', 'the old archive'), to: required('string', 'the target prefix') },
  outputs: { identical: output('boolean', 'true when target = source') },
  async run(ctx, p) {
    const verified = await verifyPhase(ctx.s3, p.from, p.to);
    const served = verified.servedPartials.length
      ? `, and ${verified.servedPartials.join(', ')} is the copy of its .partial, served under its full name`
      : '';
    ctx.evidence(`target = source by key, size and ETag${served}`);
    return { identical: true };
  },
});

export const archiveActions: ActionDef[] = [inspect, quarantineAction, copy, verify];
