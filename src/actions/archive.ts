/**
 * The wal-e archives in S3: prove the old one restorable, move the new one aside,
 * copy the old one in, verify. The source archive is never written.
 */
import { defineAction, type ActionDef } from '../engine/action.js';
import type { StepContext } from '../engine/context.js';
import { StepFailed } from '../engine/errors.js';
import { inspectArchive } from '../wale/inspect.js';
import { parseS3Url } from '../wale/url.js';
import { quarantine, copyArchive, verifyCopy } from '../archive/swap.js';
import { containerState } from './cell.js';
import type { ObjectInfo } from '../systems/types.js';

function utcStamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

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
    ctx.evidence(`${report.prefix}: ${report.objects} objects, ${report.bytes} bytes, PostgreSQL ${report.pgVersion ?? '?'}, sysid ${report.sysid ?? '?'}`);
    if (report.latest) ctx.evidence(`LATEST base backup ${report.latest.name} (sentinel written ${report.latest.lastModified})`);
    ctx.evidence(`WAL ${report.firstSegment ?? '?'} … ${report.lastSegment ?? '?'} (newest archived ${report.lastSegmentAt ?? '?'}), gaps: ${report.gaps.length}`);
    for (const w of report.warnings) ctx.note(`warning: ${w}`);
    for (const pr of report.problems) ctx.note(`problem: ${pr}`);
    if (!report.restorable && p.requireRestorable) {
      throw new StepFailed(`the archive ${report.prefix} is not restorable: ${report.problems.join('; ') || 'no usable base backup'}`, {
        hint: 'check the archive URL and GUID; look for other candidates with `dingo-recover logs find`; nothing has been changed yet',
      });
    }
    return {
      restorable: report.restorable,
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
    const { bucket, prefix } = parseS3Url(String(p.url));
    const objects: ObjectInfo[] = [];
    for await (const o of ctx.s3.list(bucket, prefix)) objects.push(o);
    return { stamp: utcStamp(ctx.now()), objects: objects.map((o) => ({ ...o, lastModified: o.lastModified.toISOString() })) };
  },
  async run(ctx, p, plan) {
    await requireStopped(ctx, String(p.cellIp), String(p.container));
    const { bucket, prefix } = parseS3Url(String(p.url));
    const objects = (plan.objects as { key: string; size: number; etag: string; lastModified: string }[]).map((o) => ({ ...o, lastModified: new Date(o.lastModified) }));
    const result = await quarantine(ctx.s3, { bucket, prefix }, {
      stamp: String(plan.stamp),
      plan: objects,
      concurrency: ctx.settings.copyConcurrency,
      onProgress: (e: { phase: string; objectsDone: number; objectsTotal: number }) => ctx.progress(`${e.phase}: ${e.objectsDone}/${e.objectsTotal} objects`),
    });
    const quarantineUrl = `s3://${bucket}/${prefix.replace(/\/$/, '')}.quarantine-${plan.stamp}/`;
    ctx.note(`${objects.length} object(s) of the new instance's archive are kept at ${quarantineUrl}`);
    void result;
    return { quarantineUrl, moved: objects.length };
  },
  async probe() {
    // The quarantine works from the journaled plan and skips what is already done, so finishing it is safe.
    return { done: false, why: 'the quarantine resumes from its journaled plan: objects already moved are not moved again' };
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
    await requireStopped(ctx, String(p.cellIp), String(p.container));
    const source = parseS3Url(String(p.from));
    const report = await inspectArchive(ctx.s3, String(p.from));
    if (report.fingerprint !== p.fingerprint) {
      throw new StepFailed(`the old archive ${p.from} changed since it was inspected (fingerprint ${String(p.fingerprint).slice(0, 12)} → ${report.fingerprint.slice(0, 12)})`, {
        hint: 'something is still writing to the old prefix, or it was modified; find out what before going on',
      });
    }
    const result = await copyArchive(ctx.s3, source, parseS3Url(String(p.to)), {
      concurrency: ctx.settings.copyConcurrency,
      onProgress: (e: { objectsDone: number; objectsTotal: number; bytesDone: number; bytesTotal: number }) =>
        ctx.progress(`copied ${e.objectsDone}/${e.objectsTotal} objects, ${e.bytesDone}/${e.bytesTotal} bytes`),
    });
    ctx.note(`copied ${result.copied} object(s), ${result.skipped} already in place`);
    return { copied: result.copied, skipped: result.skipped };
  },
  async probe() {
    return { done: false, why: 'the copy is idempotent: it copies only what is missing or different at the target' };
  },
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
    const result = await verifyCopy(ctx.s3, parseS3Url(String(p.from)), parseS3Url(String(p.to)));
    if (!result.ok) {
      throw new StepFailed(
        `the target differs from the old archive: ${result.missing.length} missing, ${result.different.length} different, ${result.extra.length} extra` +
          `${[...result.missing, ...result.different, ...result.extra].slice(0, 5).map((k) => `\n  ${k}`).join('')}`,
        { hint: 'resume to copy again; extra objects mean something wrote into the target (is the container really stopped?)' },
      );
    }
    ctx.evidence(`target = source by key, size and ETag`);
    return { identical: true };
  },
});

export const archiveActions: ActionDef[] = [inspect, quarantineAction, copy, verify];
