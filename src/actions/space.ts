/**
 * A deleted space: every service instance it held (audit events, the broker's records, the logs),
 * which of them are Dingo instances with a restorable archive, and the operator's confirmed plan
 * of which to bring back.
 */
import { quote } from '../core/command-line.js';
import { defineAction, type ActionDef, defaulted, output, required, type RecordOf } from '../engine/runbook/index.js';
import type { StepContext } from '../engine/executor/index.js';
import { StepFailed, UsageError } from '../core/errors.js';
import { someOf } from '../core/screen-lines.js';
import { formatS3Url } from '../core/s3-url.js';
import { dingoArchiveUrl, pinnedArchiveProblem } from '../archive/location.js';
import { isDingoOffering, planNodes, type CfApi } from '../adapters/cf/index.js';
import { cfApi } from './support/cf.js';
import { inspectArchive } from '../archive/inspect.js';
import { findSpaceInstances, type SpaceLogInstance } from '../logs/space.js';
import { HOLDING_EVENT_TYPES, SPACE_DELETE, holdings, spaceDeletions, type Holding, type SpaceDeletion } from '../logs/space-holdings.js';
import { clusterdataOf, logSources, noteSearchWarnings } from './support/sources.js';
import { LEFT_ALONE, SPACE_INSTANCE } from './support/records.js';
import { UNNAMED, givenNames, named, type Named } from './support/space-names.js';
import type { ClusterSize } from '../logs/types.js';
import { sizeFromLogs } from './support/cluster-size.js';

/** The spaceGuid that asks for the space's deletion to be found by its name. */
const FIND = 'find';

type SpaceInstance = RecordOf<typeof SPACE_INSTANCE>;
type LeftAlone = RecordOf<typeof LEFT_ALONE>;

/** Evidence lines kept per instance (journaled with the plan). */
const MAX_EVIDENCE = 12;

/** The space's deletion: the one with the given GUID, else the newest of a space with that name. */
async function findDeletion(ctx: StepContext, api: CfApi, p: { org: string; space: string; spaceGuid: string }): Promise<SpaceDeletion> {
  const orgGuid = await api.orgGuid(p.org);
  const { api: version, events } = await api.events([SPACE_DELETE], { orgGuid });
  if (p.spaceGuid !== FIND) {
    const given = events.find((e) => e.targetGuid === p.spaceGuid);
    const found = given ? spaceDeletions([given], given.targetName)[0] : undefined;
    if (found) {
      ctx.evidence(found.evidence);
      return found;
    }
    await notLive(ctx, api, p.spaceGuid);
    ctx.evidence(`space GUID ${p.spaceGuid} given; no ${SPACE_DELETE} event for it is left, and the Cloud Controller has no such space`);
    return { spaceGuid: p.spaceGuid, deletedAt: '', deletedBy: '', evidence: '' };
  }
  const found = spaceDeletions(events, p.space);
  const latest = found[0];
  if (!latest) throw await noDeletion(api, p, orgGuid, version, events.map((e) => e.targetName).filter(Boolean));
  ctx.evidence(latest.evidence);
  for (const older of found.slice(1)) ctx.note(`an earlier space named "${p.space}" was also deleted: ${older.evidence} (not this one)`);
  return latest;
}

/** A space GUID given by hand must name a deleted space: a live one (the recreated space's, say) is refused. */
async function notLive(ctx: StepContext, api: CfApi, spaceGuid: string): Promise<void> {
  const now = await api.space(spaceGuid);
  if (now.kind === 'unknown') ctx.warn(`could not ask the Cloud Controller whether space ${spaceGuid} still exists: ${now.why}`);
  if (now.kind !== 'live') return;
  throw new UsageError(
    `space GUID ${spaceGuid} (inputs.spaceGuid) is a live space, "${now.name}" (org ${now.orgGuid}): it was not deleted`,
    {
      hint: "give the deleted space's GUID, not the recreated space's: a broker clusterdata record or a provision line in the logs holds it (dingo-recover logs find); correct inputs.spaceGuid in the answers file, then resume",
    },
  );
}

/** Why no deletion of the space was found: it still exists, or only other spaces' deletions are left (named, for a typo). */
async function noDeletion(
  api: CfApi,
  p: { org: string; space: string },
  orgGuid: string,
  version: string,
  deleted: string[],
): Promise<StepFailed> {
  const live = await api.spaceGuid(orgGuid, p.space);
  if (live)
    return new StepFailed(`space "${p.space}" of org ${p.org} still exists (${live}): it was not deleted`, {
      hint: `a cf delete-space that failed part-way (cf 7 and 8 delete a space's instances first) leaves the space without its instances: check with ${quote(['cf', 'target', '-o', p.org, '-s', p.space])} and cf services, and recover each deleted instance with the recover-deleted-service runbook`,
    });
  const names = [...new Set(deleted)];
  return new StepFailed(
    `no deletion of a space named "${p.space}" in org ${p.org} (${orgGuid}) among ${deleted.length} ${SPACE_DELETE} event(s) of the org read through the ${version} API${names.length ? `; they name ${someOf(names.map((n) => `"${n}"`))}` : ''}`,
    {
      hint: "audit events are kept for a limited time (cc.audit_events.cutoff_age_in_days, 31 days by default). Check the space name with the user; if it is right, give the deleted space's GUID as inputs.spaceGuid in the answers file (a broker clusterdata record or a provision line in the logs holds it: dingo-recover logs find), then resume",
    },
  );
}

const findInstances = defineAction({
  name: 'space.find-instances',
  summary: 'Find every service instance a deleted space held, and which Dingo archives are restorable',
  effect: 'read',
  params: {
    org: required('string', 'organization the space was in'),
    space: required('string', 'name of the deleted space'),
    spaceGuid: defaulted(
      'string',
      FIND,
      `the deleted space's GUID when its deletion event is gone, or "${FIND}" to find the latest deletion by name`,
    ),
    offering: defaulted('string', '', 'the Dingo PostgreSQL offering ("" for any of the names Dingo gave it)'),
    soloPlan: defaulted('string', 'solo', 'the single-node plan (every other plan has 2 nodes by default)'),
    names: defaulted(
      'string[]',
      [],
      `names of instances no event or record names, as GUID=NAME (the others come back as ${UNNAMED}<GUID's first 8>)`,
    ),
  },
  outputs: {
    oldSpaceGuid: output('string', "the deleted space's GUID"),
    deletedAt: output('string', 'when the space was deleted ("" when unknown)'),
    deletedBy: output('string', 'who deleted it ("" when unknown)'),
    instances: output('object[]', 'every Dingo instance the space held, recoverable or not', SPACE_INSTANCE),
    others: output('object[]', 'instances of other offerings, or gone before the space: left alone', LEFT_ALONE),
    unrecoverable: output('object[]', 'the Dingo instances that cannot be restored, each with why', SPACE_INSTANCE),
  },
  async run(ctx, p) {
    const api = await cfApi(ctx);
    const deletion = await findDeletion(ctx, api, p);
    const { events } = await api.events(HOLDING_EVENT_TYPES, { spaceGuid: deletion.spaceGuid });
    const guids = events.filter((e) => e.type.startsWith('audit.service_instance.')).map((e) => e.targetGuid);
    const logs = await findSpaceInstances({
      sources: logSources(ctx),
      clusterdata: clusterdataOf(ctx),
      spaceGuid: deletion.spaceGuid,
      guids,
      redactor: ctx.runtime.redactor,
    });
    noteSearchWarnings(ctx, logs.searched);
    const held = named(holdings(events, deletion.deletedAt, logs.instances), givenNames(p.names), ctx);
    const items: SpaceInstance[] = [];
    const others: LeftAlone[] = [];
    const plans = new Map<string, Promise<{ plan: string; offering: string } | null>>();
    for (const h of held) {
      const planGuid = h.planGuid;
      if (planGuid && !plans.has(planGuid)) plans.set(planGuid, api.planOffering(planGuid));
      const offered = planGuid ? await plans.get(planGuid)! : null;
      const offering = offered?.offering ?? '';
      const other = leftAlone(h, offering, p.offering);
      if (other)
        others.push({ name: h.unnamed ? '' : h.name, instanceGuid: h.instanceGuid, offering, plan: offered?.plan ?? '', why: other });
      else items.push(await dingoItem(ctx, h, offered, logs.buckets, p.soloPlan));
    }
    const unrecoverable = items.filter((i) => !i.recoverable);
    const summary = `space ${p.space} (${deletion.spaceGuid}) held ${items.length} Dingo instance(s), ${items.length - unrecoverable.length} recoverable; ${others.length} other(s) left alone`;
    if (items.length === unrecoverable.length) {
      // Nothing to bring back: stop before the plan is confirmed and the space recreated for nothing.
      const why = [...items, ...others].map((i) => `${i.name || i.instanceGuid}: ${i.why}`);
      throw new StepFailed(`${summary}: nothing to recover${why.length ? ` (${why.join('; ')})` : ''}; nothing was changed`, {
        hint: `check the org and the space name (or the spaceGuid input) with the user: ${events.length} audit event(s) of that space were read`,
      });
    }
    ctx.note(summary);
    return {
      oldSpaceGuid: deletion.spaceGuid,
      deletedAt: deletion.deletedAt,
      deletedBy: deletion.deletedBy,
      instances: items,
      others,
      unrecoverable,
    };
  },
});

/** Why an instance is left alone (another offering, or gone before the space), or null for a Dingo instance to consider. */
function leftAlone(h: Holding, offering: string, dingo: string): string | null {
  if (h.goneBefore) return h.goneBefore;
  if ((dingo ? offering === dingo : isDingoOffering(offering)) || h.log?.brokerSeen) return null;
  return offering
    ? `offering ${offering}, not ${dingo || 'Dingo PostgreSQL'}: left alone`
    : 'its plan is unknown and the Dingo broker never logged it: left alone';
}

/**
 * How many nodes the instance comes back with: what the logs show it ran (cluster-size.ts), else its
 * plan's (1 for the single-node plan, the broker's default of 2 for the others). null when neither
 * is known: the plan decides at growth time.
 */
export function nodesToGrowTo(size: ClusterSize | undefined, plan: string | undefined, soloPlan: string): number | null {
  const logged = size ? sizeFromLogs(size, plan, soloPlan) : null;
  if (logged) return logged.nodes;
  return plan ? planNodes(plan, soloPlan) : null;
}

/** One Dingo instance: its archive (from the logs, else where the broker's bucket would hold it) and whether it restores. */
async function dingoItem(
  ctx: StepContext,
  h: Named,
  offered: { plan: string; offering: string } | null,
  buckets: string[],
  soloPlan: string,
): Promise<SpaceInstance> {
  const nodeCount = nodesToGrowTo(h.log?.size, offered?.plan, soloPlan);
  const pinned = ctx.settings.walBucket;
  const bucket = pinned ?? (buckets.length === 1 ? buckets[0] : undefined);
  const archiveUrl = h.log?.archivePrefix ?? (bucket ? formatS3Url(bucket, `backups/${h.instanceGuid}/wal/`) : null);
  const base = {
    name: h.name,
    unnamed: h.unnamed,
    instanceGuid: h.instanceGuid,
    offering: offered?.offering ?? '',
    plan: offered?.plan || 'unknown',
    nodeCount,
    nodeCountInput: nodeCount === null ? 'plan' : String(nodeCount),
    archiveUrl,
    lastSegment: null,
    lastSegmentAt: null,
    deletedAt: h.deletedAt ?? '',
    apps: h.apps,
    appGuids: h.appGuids,
    evidence: h.evidence.slice(0, MAX_EVIDENCE),
  };
  if (!archiveUrl) {
    const named = h.log?.archivePrefixes ?? [];
    const why =
      named.length > 1
        ? `the logs name ${named.length} archives of it (${named.join(' and ')}) and no bucket decides: give the platform's with --wal-bucket`
        : 'no wal-e upload lines in the logs name its archive, nor the bucket it would be in';
    return { ...base, recoverable: false, why };
  }
  const refused = pinned ? pinnedArchiveProblem(archiveUrl, pinned, h.instanceGuid) : null;
  if (refused)
    return {
      ...base,
      recoverable: false,
      why: `the archive the logs name, ${archiveUrl}, is refused: ${refused} (--wal-bucket); Dingo archives it at ${dingoArchiveUrl(pinned!, h.instanceGuid)}`,
    };
  const report = await inspectArchive(ctx.s3, archiveUrl, { redactor: ctx.runtime.redactor });
  const last = { lastSegment: report.lastSegment, lastSegmentAt: report.lastSegmentAt };
  ctx.evidence(`${h.name} (${h.instanceGuid}): ${report.objects} object(s) at ${archiveUrl}, restorable: ${report.restorable}`);
  if (report.objects === 0)
    return {
      ...base,
      ...last,
      recoverable: false,
      why: `no archive: nothing at ${archiveUrl}${unnamedArchiveNote(h.log)}`,
    };
  if (!report.restorable)
    return {
      ...base,
      ...last,
      recoverable: false,
      why: `the archive is not restorable: ${report.problems.join('; ') || 'no usable base backup'}`,
    };
  return {
    ...base,
    ...last,
    recoverable: true,
    why: `restorable from ${report.latest?.name ?? 'LATEST'}, WAL up to ${report.lastSegment ?? '?'}`,
  };
}

/** One line of the plan for an instance. */
function planLine(i: SpaceInstance): string {
  const wal = i.lastSegment ? `last WAL ${i.lastSegment} at ${i.lastSegmentAt || '?'}` : 'no archived WAL';
  const apps = i.apps.join(', ') || 'no apps';
  const stand = i.unnamed ? ' (no recorded name: a stand-in until the user names it)' : '';
  const state = i.recoverable ? 'recoverable' : `NOT recoverable: ${i.why}`;
  return `${i.instanceGuid}${stand}, ${i.archiveUrl || 'no archive'}, ${wal}, bound to ${apps}: ${state}`;
}

const confirmPlan = defineAction({
  name: 'space.confirm-plan',
  summary: 'Show what comes back of the deleted space, leave out what the user does not want, and confirm',
  effect: 'read',
  params: {
    space: required('string', 'the deleted space'),
    instances: required('object[]', 'the Dingo instances it held (space.find-instances)', SPACE_INSTANCE),
    others: defaulted('object[]', [], 'instances left alone', LEFT_ALONE),
    leaveOut: defaulted('string[]', [], 'names of instances the user does not want back'),
  },
  outputs: {
    recovering: output('string[]', 'names of the instances to recover'),
    instances: output('object[]', 'the instances to recover (recoverable, not left out)', SPACE_INSTANCE),
    leftOut: output('string[]', 'names left out at the operator’s request'),
    unrecoverable: output('object[]', 'instances that cannot be restored, each with why', SPACE_INSTANCE),
    others: output('object[]', 'instances left alone', LEFT_ALONE),
  },
  evidence(_ctx, p) {
    const shown: Record<string, string> = { space: p.space };
    for (const i of p.instances) {
      const out = p.leaveOut.includes(i.name) ? ' (LEFT OUT)' : '';
      shown[i.name || i.instanceGuid] = planLine(i) + out;
    }
    shown['left alone'] = p.others.map((o) => `${o.name || o.instanceGuid}: ${o.why}`).join('; ') || 'nothing';
    return shown;
  },
  run(ctx, p) {
    const names = p.instances.map((i) => i.name).filter(Boolean);
    const unknown = p.leaveOut.filter((n) => !names.includes(n));
    if (unknown.length) {
      throw new UsageError(`cannot leave out ${unknown.map((n) => `"${n}"`).join(', ')}: the space held no Dingo instance of that name`, {
        hint: `leaveOut takes names of ${names.join(', ') || '(none)'}; correct inputs.leaveOut in the answers file, then resume`,
      });
    }
    const unrecoverable = p.instances.filter((i) => !i.recoverable);
    const chosen = p.instances.filter((i) => i.recoverable && !p.leaveOut.includes(i.name));
    if (chosen.length === 0)
      throw new UsageError('every restorable instance is left out: nothing to recover, and the space is not recreated for nothing', {
        hint: 'correct inputs.leaveOut in the answers file, then resume',
      });
    ctx.note(
      `recovering ${chosen.map((i) => i.name).join(', ') || 'nothing'}${p.leaveOut.length ? `; left out: ${p.leaveOut.join(', ')}` : ''}${unrecoverable.length ? `; not recoverable: ${unrecoverable.map((i) => i.name || i.instanceGuid).join(', ')}` : ''}`,
    );
    return { recovering: chosen.map((i) => i.name), instances: chosen, leftOut: [...p.leaveOut], unrecoverable, others: p.others };
  },
});

export const spaceActions: ActionDef[] = [findInstances, confirmPlan];

/** Why an archive looked for was not the one the logs name: they name none, or several. */
function unnamedArchiveNote(log: Pick<SpaceLogInstance, 'archivePrefix' | 'archivePrefixes'> | null): string {
  if (log?.archivePrefix) return '';
  const named = log?.archivePrefixes ?? [];
  if (named.length > 1) return ` (the logs name ${named.length} archives of it, ${named.join(' and ')}, so none was taken)`;
  return ' (and no wal-e upload lines in the logs)';
}
