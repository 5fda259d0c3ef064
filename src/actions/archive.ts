/**
 * The wal-e archives in S3: prove the old one restorable, move the new one aside,
 * copy the old one in, verify. The source archive is never written.
 */
import { compareMetadata } from '../archive/compare.js';
import { defineAction, type ActionDef } from '../engine/action.js';
import type { StepContext } from '../engine/context.js';
import { StepFailed } from '../core/errors.js';
import { inspectArchive } from '../archive/inspect.js';
import { parseS3Url } from '../core/s3-url.js';
import {
  checkQuarantine,
  checkSwap,
  copyArchive,
  parseS3Location,
  prepareSwap,
  quarantine,
  quarantineLocation,
  utcStamp,
  verifyCopy,
  type S3Location,
} from '../archive/swap.js';
import { listArchive } from '../archive/listing.js';
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
    url: { type: 'string', required: true, description: 's3://BUCKET/backups/GUID/wal/' },
    requireRestorable: { type: 'boolean', description: 'fail the step when the archive is not restorable', default: true },
  },
  outputs: {
    restorable: { type: 'boolean', description: 'a base backup with an unbroken WAL chain exists' },
    complete: { type: 'boolean', description: 'restorable, and replay reaches the newest archived WAL' },
    lost: { type: 'string', description: 'archived WAL replay cannot reach, FIRST..LAST (empty when complete)' },
    latest: { type: 'string', description: 'name of the LATEST base backup' },
    lastSegment: { type: 'string', description: 'the newest archived WAL segment' },
    lastSegmentAt: { type: 'string', description: 'time of the newest archived WAL segment' },
    pgVersion: { type: 'string', description: 'PostgreSQL major version of the archive' },
    objects: { type: 'number', description: 'objects in the archive' },
    bytes: { type: 'number', description: 'bytes in the archive' },
    fingerprint: { type: 'string', description: 'hash of every key, size and ETag' },
  },
  async run(ctx, p) {
    const report = await inspectArchive(ctx.s3, String(p.url));
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
      pgVersion: report.pgVersion ?? '',
      objects: report.objects,
      bytes: report.bytes,
      fingerprint: report.fingerprint,
    };
  },
});

/** The target of a quarantine without a named source: it and its quarantine must still be apart. */
function checkSwapTarget(url: string, stamp: string): S3Location {
  const target = parseS3Location(url, 'target');
  checkQuarantine(target, quarantineLocation(target, stamp));
  return target;
}

const containerParams = {
  cellIp: { type: 'string', required: true, description: 'cell running the new container' },
  container: { type: 'string', required: true, description: 'the new container (cf-<node-uuid>)' },
} as const;

const quarantineAction = defineAction({
  name: 'archive.quarantine',
  summary: 'Move an archive aside to <prefix>.quarantine-<UTC timestamp>/ (copy, verify, then delete the originals)',
  effect: 'destructive',
  params: {
    url: { type: 'string', required: true, description: 'the archive to move aside' },
    from: {
      type: 'string',
      description: 'the archive that will be copied in: must exist, and overlap neither the target nor the quarantine',
    },
    ...containerParams,
  },
  outputs: {
    quarantineUrl: { type: 'string', description: 'where the objects now are' },
    moved: { type: 'number', description: 'objects moved' },
  },
  async evidence(ctx, p) {
    const { bucket, prefix } = parseS3Url(String(p.url));
    let n = 0;
    let bytes = 0;
    for await (const o of ctx.s3.list(bucket, prefix)) {
      n++;
      bytes += o.size;
    }
    return {
      target: `s3://${bucket}/${prefix}`,
      'target objects': `${n} (${bytes} bytes)`,
      container: `${p.container} on ${p.cellIp} is ${await containerState(ctx, String(p.cellIp), String(p.container))}`,
    };
  },
  async prepare(ctx, p) {
    const stamp = utcStamp(ctx.now());
    // With the source named, the plan is the swap's own: checked apart, the source a wal-e archive.
    const objects = p.from
      ? (await prepareSwap(ctx.s3, parseS3Location(String(p.from), 'source'), parseS3Location(String(p.url), 'target'), { stamp })).plan
          .objects
      : [...(await listArchive(ctx.s3, checkSwapTarget(String(p.url), stamp))).values()];
    return { stamp, objects: objects.map((o) => ({ ...o, lastModified: o.lastModified.toISOString() })) };
  },
  async run(ctx, p, plan) {
    const target = p.from
      ? checkSwap(String(p.from), String(p.url), quarantineLocation(parseS3Location(String(p.url), 'target'), String(plan.stamp))).target
      : checkSwapTarget(String(p.url), String(plan.stamp));
    await requireStopped(ctx, String(p.cellIp), String(p.container));
    const objects = (plan.objects as { key: string; size: number; etag: string; lastModified: string }[]).map((o) => ({
      ...o,
      lastModified: new Date(o.lastModified),
    }));
    const result = await quarantine(ctx.s3, target, {
      stamp: String(plan.stamp),
      plan: objects,
      concurrency: ctx.settings.copyConcurrency,
      onProgress: (e: { phase: string; objectsDone: number; objectsTotal: number }) =>
        ctx.progress(`${e.phase}: ${e.objectsDone}/${e.objectsTotal} objects`),
    });
    ctx.note(`${objects.length} object(s) of the new instance's archive are kept at ${result.quarantine}`);
    return { quarantineUrl: result.quarantine, moved: objects.length };
  },
  // The objects left at the target are what this step changes: only where it acts is re-checked.
  stableEvidence: ['target', 'container'],
  async probe(ctx, p, plan) {
    const target = parseS3Location(String(p.url), 'target');
    const q = quarantineLocation(target, String(plan.stamp));
    const objects = plan.objects as { key: string; size: number; etag: string; lastModified: string }[];
    const here = await listArchive(ctx.s3, target);
    const held = await listArchive(ctx.s3, q);
    const rel = (key: string): string => key.slice(target.prefix.length);
    const planned = (o: (typeof objects)[number]) => ({ ...o, lastModified: new Date(o.lastModified) });
    const notHeld = objects.filter((o) => {
      const copy = held.get(rel(o.key));
      return !copy || compareMetadata(planned(o), copy) === false;
    });
    const left = objects.filter((o) => {
      const now = here.get(rel(o.key));
      return now !== undefined && compareMetadata(now, planned(o)) === true;
    });
    const quarantineUrl = `s3://${q.bucket}/${q.prefix}`;
    if (notHeld.length === 0 && left.length === 0) {
      return {
        done: true,
        outputs: { quarantineUrl, moved: objects.length },
        why: `all ${objects.length} planned object(s) are in ${quarantineUrl} and none is left at the target`,
      };
    }
    return {
      done: false,
      why: `the quarantine resumes from its journaled plan (${notHeld.length} not yet copied, ${left.length} not yet deleted): objects already moved are not moved again`,
    };
  },
});

const copy = defineAction({
  name: 'archive.copy',
  summary: 'Copy the old archive into the new prefix (server-side; sentinels last, in their original order)',
  effect: 'write',
  params: {
    from: { type: 'string', required: true, description: 'the old archive (never written)' },
    to: { type: 'string', required: true, description: 'the new instance prefix (emptied by the quarantine)' },
    fingerprint: { type: 'string', required: true, description: 'fingerprint of the old archive when it was inspected' },
    ...containerParams,
  },
  outputs: {
    copied: { type: 'number', description: 'objects copied in this attempt' },
    skipped: { type: 'number', description: 'objects already in place' },
  },
  async run(ctx, p) {
    const { source, target } = checkSwap(String(p.from), String(p.to));
    await requireStopped(ctx, String(p.cellIp), String(p.container));
    const report = await inspectArchive(ctx.s3, String(p.from));
    if (report.fingerprint !== p.fingerprint) {
      throw new StepFailed(
        `the old archive ${p.from} changed since it was inspected (fingerprint ${String(p.fingerprint).slice(0, 12)} → ${report.fingerprint.slice(0, 12)})`,
        {
          hint: 'something is still writing to the old prefix, or it was modified; find out what before going on',
        },
      );
    }
    const result = await copyArchive(ctx.s3, source, target, {
      concurrency: ctx.settings.copyConcurrency,
      onProgress: (e: { objectsDone: number; objectsTotal: number; bytesDone: number; bytesTotal: number }) =>
        ctx.progress(`copied ${e.objectsDone}/${e.objectsTotal} objects, ${e.bytesDone}/${e.bytesTotal} bytes`),
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
  params: {
    from: { type: 'string', required: true, description: 'the old archive' },
    to: { type: 'string', required: true, description: 'the target prefix' },
  },
  outputs: { identical: { type: 'boolean', description: 'true when target = source' } },
  async run(ctx, p) {
    const { source, target } = checkSwap(String(p.from), String(p.to));
    const result = await verifyCopy(ctx.s3, source, target);
    if (!result.ok) {
      throw new StepFailed(
        `the target differs from the old archive: ${result.missing.length} missing, ${result.different.length} different, ${result.extra.length} extra` +
          `${[...result.missing, ...result.different, ...result.extra]
            .slice(0, 5)
            .map((k) => `\n  ${k}`)
            .join('')}`,
        { hint: 'resume to copy again; extra objects mean something wrote into the target (is the container really stopped?)' },
      );
    }
    ctx.evidence(`target = source by key, size and ETag`);
    return { identical: true };
  },
});

export const archiveActions: ActionDef[] = [inspect, quarantineAction, copy, verify];
