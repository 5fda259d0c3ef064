/**
 * Mining the platform's syslog: which instance was deleted, where its archive is,
 * and where the new instance's container runs. Every decision shows its evidence.
 */
import { defineAction, type ActionDef, defaulted, optional, output, required } from '../engine/runbook/index.js';
import { StepFailed } from '../core/errors.js';
import { findDeletedInstance, findInstance, noCandidateError } from '../logs/find.js';
import { nameProof, NOT_PROVEN, setAside } from '../logs/choice.js';
import { DELETED_INSTANCE_CHOICE, chooseDeleted, reportFindings } from './support/choose-deleted.js';
import { SET_ASIDE } from './support/records.js';
import { clusterdataOf, logSources, noteSearchWarnings } from './support/sources.js';

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
    if (!chosen.archivePrefix) {
      throw new StepFailed(`instance ${chosen.instanceGuid} has no wal-e upload lines in the logs: there may be no backup for it`, {
        hint: 'search older logs (--logs) for "DETAIL: Uploading" lines of this GUID; without them there is nothing to restore',
      });
    }
    const others = setAside(considered, chosen, wanted, decidedBy !== 'the evidence', result.otherSpace);
    return {
      instanceGuid: chosen.instanceGuid,
      archiveUrl: chosen.archivePrefix,
      deletedAt: chosen.deletedAt ?? '',
      confidence: chosen.confidence,
      nameProof: chosen.serviceName === wanted ? nameProof(chosen) : NOT_PROVEN,
      spaceGuid: chosen.spaceGuid ?? '',
      decidedBy,
      others,
    };
  },
});

const findNew = defineAction({
  name: 'logs.find-instance',
  summary: "Find an instance's container, cell and archive in the logs",
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
    for (let i = 1; ; i++) {
      const facts = await findInstance({ sources: logSources(ctx), instanceGuid: p.instanceGuid, redactor: ctx.runtime.redactor });
      const node = facts.nodes.find((n) => n.cell);
      if (node && node.cell && facts.archivePrefix) {
        noteSearchWarnings(ctx, facts.searched);
        reportFindings(ctx, facts.evidence, 6);
        return { nodeUuid: node.nodeUuid, container: `cf-${node.nodeUuid}`, cellIp: node.cell, archiveUrl: facts.archivePrefix };
      }
      if (i >= p.attempts) {
        noteSearchWarnings(ctx, facts.searched);
        throw new StepFailed(
          `the logs do not (yet) show ${!node ? 'the container and cell' : 'the wal-e archive'} of instance ${p.instanceGuid}`,
          {
            hint: "the syslog may lag or miss the cell; pass the cell's logs with --logs, then resume",
          },
        );
      }
      ctx.progress(`not in the logs yet (attempt ${i}/${p.attempts}); looking again shortly`);
      await ctx.sleep(10_000);
    }
  },
});

export const logsActions: ActionDef[] = [findDeleted, findNew];
