/**
 * Mining the platform's syslog: which instance was deleted, where its archive is,
 * and where the new instance's container runs. Every decision shows its evidence.
 */
import { defineAction, type ActionDef, defaulted, optional, output, required } from '../engine/runbook/index.js';
import { StepFailed } from '../core/errors.js';
import { findDeletedInstance, findInstance, noCandidateError } from '../logs/find.js';
import type { InstanceFacts } from '../logs/types.js';
import { nameProof, NOT_PROVEN, setAside } from '../logs/choice.js';
import { DELETED_INSTANCE_CHOICE, chooseDeleted, reportFindings } from './support/choose-deleted.js';
import { SET_ASIDE } from './support/records.js';
import { clusterdataOf, logSources, noteSearchWarnings } from './support/sources.js';
import { archiveFromLogs } from './support/several-archives.js';
import { describeNodes, dingoCells, scanScope } from './support/scope-scan.js';
import { cellDocker } from './support/cell.js';
import { containerArchiveUrl } from './support/served.js';
import { dingoArchiveUrl } from '../archive/location.js';
import type { StepContext } from '../engine/executor/index.js';

const findDeleted = defineAction({
  name: 'logs.find-deleted',
  summary: "Find the deleted instance's GUID and archive in the logs",
  effect: 'read',
  params: {
    serviceName: required('string', 'the name the user gave the service'),
    org: optional('string', 'organization'),
    space: optional('string', 'space'),
    spaceGuid: optional('string', 'space GUID (matches clusterdata records)'),
  },
  chooses: { deletedInstance: DELETED_INSTANCE_CHOICE },
  outputs: {
    instanceGuid: output('string', 'GUID of the deleted instance'),
    archiveUrl: output('string', 's3://BUCKET/backups/GUID/wal/'),
    deletedAt: output('string', 'when it was deleted'),
    confidence: output('string', 'high, medium or low'),
    nameProof: output('string', 'what proves the instance carried the name (or that nothing does)'),
    spaceGuid: output('string', 'the space it was provisioned in, when known'),
    decidedBy: output('string', 'the evidence, or the operator (how)'),
    others: output('object[]', 'every other deleted instance considered, and why it was set aside', SET_ASIDE),
  },
  async run(ctx, p) {
    const wanted = p.serviceName;
    const result = await findDeletedInstance({
      sources: logSources(ctx),
      clusterdata: clusterdataOf(ctx),
      serviceName: wanted,
      org: p.org,
      space: p.space,
      spaceGuid: p.spaceGuid,
      redactor: ctx.runtime.redactor,
    });
    noteSearchWarnings(ctx, result.searched);
    const candidates = result.candidates;
    if (candidates.length === 0) throw noCandidateError(wanted, result.searched);
    const { chosen, decidedBy, candidates: considered } = await chooseDeleted(ctx, result, wanted, p.spaceGuid);
    reportFindings(ctx, chosen.evidence, 8);
    const archiveUrl = archiveFromLogs(ctx, chosen.instanceGuid, chosen)?.url ?? pinnedArchive(ctx, chosen.instanceGuid);
    if (!archiveUrl) {
      throw new StepFailed(`instance ${chosen.instanceGuid} has no wal-e upload lines in the logs: there may be no backup for it`, {
        hint: 'search older logs (--logs) for "DETAIL: Uploading" lines of this GUID, or give the platform\'s WAL bucket with --wal-bucket (Dingo archives every instance at s3://BUCKET/backups/GUID/wal/), then resume; the archive is then proven before anything is changed',
      });
    }
    const others = setAside(considered, chosen, wanted, decidedBy !== 'the evidence', result.otherSpace);
    return {
      instanceGuid: chosen.instanceGuid,
      archiveUrl,
      deletedAt: chosen.deletedAt ?? '',
      confidence: chosen.confidence,
      nameProof: chosen.serviceName === wanted ? nameProof(chosen) : NOT_PROVEN,
      spaceGuid: chosen.spaceGuid ?? '',
      decidedBy,
      others,
    };
  },
});

/** How often the cells are asked while the logs do not name the container: at the first look, then every sixth. */
const SCAN_EVERY = 6;

const findNew = defineAction({
  name: 'logs.find-instance',
  summary: "Find an instance's container, cell and archive in the logs, else on the Dingo cells",
  effect: 'read',
  params: {
    instanceGuid: required('string', 'service instance GUID'),
    attempts: defaulted('number', 30, 'how many times to look while the logs catch up'),
  },
  outputs: {
    nodeUuid: output('string', 'node id (the container is cf-<node-uuid>)'),
    container: output('string', 'container name'),
    cellIp: output('string', 'IP of the cell running the container'),
    archiveUrl: output('string', "the instance's wal-e prefix"),
  },
  async run(ctx, p) {
    const guid = p.instanceGuid;
    let cells: string[] | undefined;
    for (let i = 1; ; i++) {
      const facts = await findInstance({ sources: logSources(ctx), instanceGuid: guid, redactor: ctx.runtime.redactor });
      const node = facts.nodes.find((n) => n.cell);
      if (node?.cell) {
        noteSearchWarnings(ctx, facts.searched);
        reportFindings(ctx, facts.evidence, 6);
        const container = `cf-${node.nodeUuid}`;
        const archiveUrl = await archiveOf(ctx, guid, facts, { cellIp: node.cell, container });
        return { nodeUuid: node.nodeUuid, container, cellIp: node.cell, archiveUrl };
      }
      const last = i >= p.attempts;
      if (i === 1 || i % SCAN_EVERY === 0 || last) {
        // The logs may lag, miss the cell, or never have been given: the cells know which containers serve the instance.
        cells ??= (await dingoCells(ctx)).map((c) => c.ip);
        const scan = await scanScope(ctx, guid, cells);
        const found = scan.nodes.find((n) => n.running) ?? scan.nodes[0];
        if (found) {
          noteSearchWarnings(ctx, facts.searched);
          ctx.evidence(
            `the logs do not name its container; on the Dingo cells (${scan.read.join(', ')}), docker shows ${describeNodes(scan.nodes)} with PATRONI_SCOPE=${guid}`,
          );
          if (scan.unread.length) ctx.evidence(`cells that could not be read: ${scan.unread.join('; ')}`);
          const nodeUuid = found.node || found.container.replace(/^cf-/, '');
          const archiveUrl = await archiveOf(ctx, guid, facts, found);
          return { nodeUuid, container: found.container, cellIp: found.cellIp, archiveUrl };
        }
        if (last) {
          noteSearchWarnings(ctx, facts.searched);
          throw new StepFailed(
            `neither the logs nor the Dingo cells (${cells.length ? cells.join(', ') : 'BOSH lists none'}) show a container of instance ${guid}${scan.unread.length ? `; not read: ${scan.unread.join('; ')}` : ''}`,
            {
              hint: "the syslog may lag or miss the cell: pass the cell's logs with --logs; check that the create succeeded (cf service NAME) and the cells answer (bosh vms of the Dingo deployment); then resume",
            },
          );
        }
      }
      ctx.progress(`not in the logs yet (attempt ${i}/${p.attempts}); looking again shortly`);
      await ctx.sleep(10_000);
    }
  },
});

/**
 * Where the instance archives: the wal-e lines of the logs, else Dingo's prefix in the platform's WAL
 * bucket when --wal-bucket gives it (the location is pre-determinable: s3://BUCKET/backups/GUID/wal/),
 * else its container's environment (WAL_S3_BUCKET and PATRONI_SCOPE), which the inspect step reads again.
 */
async function archiveOf(
  ctx: StepContext,
  guid: string,
  logs: Pick<InstanceFacts, 'archivePrefix' | 'archivePrefixes'>,
  at: { cellIp: string; container: string },
): Promise<string> {
  if (logs.archivePrefix) return logs.archivePrefix;
  const seen =
    logs.archivePrefixes.length > 1
      ? `its wal-e lines in the logs name ${String(logs.archivePrefixes.length)} archives (${logs.archivePrefixes.join(', ')}), none taken`
      : `no wal-e upload line of ${guid} in the logs yet`;
  const bucket = ctx.settings.walBucket;
  if (bucket) {
    const url = dingoArchiveUrl(bucket, guid);
    ctx.evidence(`${seen}; it archives to ${url}, Dingo's prefix in the platform's WAL bucket (--wal-bucket)`);
    return url;
  }
  const info = await (await cellDocker(ctx, at.cellIp)).inspect(at.container);
  if (!info)
    throw new StepFailed(`container ${at.container} is not on ${at.cellIp} (docker inspect found none)`, {
      hint: 'resume: the step looks again',
    });
  const url = containerArchiveUrl(info, at.container);
  ctx.evidence(`${seen}; its container's environment says it archives to ${url}`);
  return url;
}

/**
 * Dingo's prefix for the instance in the platform's WAL bucket when --wal-bucket gives it: the
 * location is pre-determinable (the runbook: the tile's bucket, under backups/GUID/wal), so no wal-e
 * line is needed to know it; whether it holds a restorable archive, the next steps prove.
 */
function pinnedArchive(ctx: StepContext, guid: string): string | null {
  const bucket = ctx.settings.walBucket;
  if (!bucket) return null;
  const url = dingoArchiveUrl(bucket, guid);
  ctx.evidence(
    `no wal-e upload line of ${guid} in the logs; Dingo archives it at ${url} (--wal-bucket), which the next steps prove restorable`,
  );
  return url;
}

export const logsActions: ActionDef[] = [findDeleted, findNew];
