/**
 * restore-to-time's finding of the instance to restore and where it archives. A live instance is
 * found through cf (`cf service NAME --guid`) and its container's environment, as a recovery finds
 * its new instance; one cf no longer knows, through the deleted-instance finder. Only read.
 */
import { defineAction, type ActionDef, optional, output, required } from '../../engine/runbook/index.js';
import type { StepContext } from '../../engine/executor/index.js';
import { StepFailed } from '../../core/errors.js';
import { archiveFromLogs } from '../support/several-archives.js';
import { isGuidAnyCase } from '../../core/guid.js';
import { findDeletedInstance, findInstance, noCandidateError } from '../../logs/find.js';
import { nameProof, NOT_PROVEN } from '../../logs/choice.js';
import { cfCli } from '../support/cf.js';
import { cellDocker } from '../support/cell.js';
import { DELETED_INSTANCE_CHOICE, chooseDeleted, reportFindings } from '../support/choose-deleted.js';
import { containerArchiveUrl } from '../support/served.js';
import { clusterdataOf, logSources, noteSearchWarnings } from '../support/sources.js';

const outputs = {
  live: output('boolean', 'cf still knows the instance'),
  instanceGuid: output('string', 'the instance GUID'),
  serviceName: output('string', 'its name (empty when given by GUID and cf does not know it)'),
  archiveUrl: output('string', 's3://BUCKET/backups/GUID/wal/'),
  archiveFrom: output('string', "where the archive's address comes from"),
  nameProof: output('string', 'what proves the instance carries the name'),
  deletedAt: output('string', 'when it was deleted (empty for a live instance)'),
  cellIp: output('string', 'the cell running its container (empty when none was found)'),
  container: output('string', 'its container (empty when none was found)'),
};

type Found = { -readonly [K in keyof typeof outputs]: (typeof outputs)[K]['type'] extends 'boolean' ? boolean : string };

/** Where an archive taken from the logs came from, as the step's output says it. */
const archiveFrom = (found: { pinned: boolean }): string =>
  found.pinned ? "Dingo's prefix in the WAL bucket --wal-bucket gives" : 'the wal-e upload lines in the logs';

/** A live instance: its container (from the logs) and the archive its environment names; the logs' archive when no container answers. */
async function liveInstance(ctx: StepContext, guid: string, name: string, live: boolean): Promise<Found> {
  const facts = await findInstance({ sources: logSources(ctx), instanceGuid: guid, redactor: ctx.runtime.redactor });
  noteSearchWarnings(ctx, facts.searched);
  reportFindings(ctx, facts.evidence, 6);
  const base = { live, instanceGuid: guid, serviceName: name, deletedAt: '', cellIp: '', container: '' };
  const proof = live ? `cf service ${name} --guid answers ${guid}` : `given by GUID`;
  for (const node of facts.nodes) {
    if (!node.cell) continue;
    const container = `cf-${node.nodeUuid}`;
    const info = await (await cellDocker(ctx, node.cell)).inspect(container);
    if (!info || info.env.PATRONI_SCOPE !== guid) continue;
    const archiveUrl = containerArchiveUrl(info, container);
    ctx.evidence(`${container} on ${node.cell} serves ${guid} (PATRONI_SCOPE) and archives to ${archiveUrl}`);
    return { ...base, cellIp: node.cell, container, archiveUrl, archiveFrom: `the environment of ${container}`, nameProof: proof };
  }
  const found = archiveFromLogs(ctx, guid, facts);
  if (!found) {
    throw new StepFailed(`neither a container of instance ${guid} nor its wal-e upload lines were found`, {
      hint: "pass the cells' and the broker's logs with --logs (or --es-url), then resume; nothing was changed",
    });
  }
  if (!found.pinned) ctx.note(`no container of ${guid} answered on its cell: the archive is the one its wal-e upload lines name`);
  return { ...base, archiveUrl: found.url, archiveFrom: archiveFrom(found), nameProof: proof };
}

async function deletedInstance(
  ctx: StepContext,
  p: { instance: string; org?: string; space?: string; spaceGuid?: string },
): Promise<Found> {
  const result = await findDeletedInstance({
    sources: logSources(ctx),
    clusterdata: clusterdataOf(ctx),
    serviceName: p.instance,
    ...p,
    redactor: ctx.runtime.redactor,
  });
  noteSearchWarnings(ctx, result.searched);
  if (result.candidates.length === 0) throw noCandidateError(p.instance, result.searched);
  const { chosen } = await chooseDeleted(ctx, result, p.instance, p.spaceGuid);
  reportFindings(ctx, chosen.evidence, 8);
  const found = archiveFromLogs(ctx, chosen.instanceGuid, chosen);
  if (!found) {
    throw new StepFailed(`instance ${chosen.instanceGuid} has no wal-e upload lines in the logs: there may be no archive of it`, {
      hint: 'search older logs (--logs) for "DETAIL: Uploading" lines of this GUID; without them there is nothing to restore',
    });
  }
  return {
    live: false,
    instanceGuid: chosen.instanceGuid,
    serviceName: p.instance,
    archiveUrl: found.url,
    archiveFrom: archiveFrom(found),
    nameProof: chosen.serviceName === p.instance ? nameProof(chosen) : NOT_PROVEN,
    deletedAt: chosen.deletedAt ?? '',
    cellIp: '',
    container: '',
  };
}

const findInstanceStep = defineAction({
  name: 'pitr.find-instance',
  summary: 'Find the instance (live through cf and its container, deleted through the logs) and its archive',
  effect: 'read',
  params: {
    instance: required('string', 'service name or instance GUID'),
    org: optional('string', 'organization'),
    space: optional('string', 'space'),
    spaceGuid: optional('string', 'space GUID'),
  },
  outputs,
  chooses: { deletedInstance: DELETED_INSTANCE_CHOICE },
  result: (o) => `${o.live ? 'live' : 'not in cf'}: ${o.instanceGuid}, archive ${o.archiveUrl}`,
  async run(ctx, p) {
    const given = p.instance.trim();
    if (isGuidAnyCase(given)) return liveInstance(ctx, given.toLowerCase(), '', false);
    const guid = await cfCli(ctx).serviceGuid(given);
    if (guid) {
      ctx.evidence(`cf knows ${given}: instance ${guid}, alive; the restore only reads its archive`);
      return liveInstance(ctx, guid, given, true);
    }
    ctx.evidence(`cf does not know ${given} in this space: looking for it among the deleted instances`);
    return deletedInstance(ctx, { ...p, instance: given });
  },
});

export const restoreTimeFindActions: ActionDef[] = [findInstanceStep];
