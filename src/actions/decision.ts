/**
 * The operator's decision of which deleted instance comes back, shown as one block with its
 * evidence and confirmed by typing the first 8 characters of its GUID, before anything is created
 * or changed.
 */
import { defineAction, type ActionDef, defaulted, optional, output, required } from '../engine/runbook/index.js';
import { SET_ASIDE } from './support/records.js';

const confirmDeleted = defineAction({
  name: 'recovery.confirm-deleted-instance',
  summary: 'Show the deleted instance chosen for restoring, with its evidence, and have the operator confirm it',
  effect: 'read',
  params: {
    instanceGuid: required('string', 'the deleted instance chosen'),
    serviceName: required('string', 'the name the user gave'),
    nameProof: required('string', 'what proves the name'),
    spaceGuid: optional('string', 'the space it was provisioned in'),
    deletedAt: optional('string', 'when it was deleted'),
    archiveUrl: required('string', 'its wal-e archive'),
    lastSegment: optional('string', 'the newest archived WAL segment'),
    lastSegmentAt: optional('string', 'when it was archived'),
    decidedBy: required('string', 'the evidence, or the operator'),
    others: defaulted('object[]', [], 'the other candidates and why they were set aside', SET_ASIDE),
  },
  outputs: { instanceGuid: output('string', 'the deleted instance confirmed') },
  evidence(_ctx, p) {
    return {
      'deleted instance (OLD)': p.instanceGuid,
      name: `${p.serviceName}: ${p.nameProof}`,
      'space GUID': p.spaceGuid || 'unknown',
      'deleted at': p.deletedAt || 'unknown',
      'last archived WAL': p.lastSegment ? `${p.lastSegment} at ${p.lastSegmentAt || '?'}` : p.lastSegmentAt || 'unknown',
      archive: p.archiveUrl,
      'chosen by': p.decidedBy,
      'also considered': p.others.length
        ? p.others.map((o) => `${o.instanceGuid || '?'} ${o.serviceName ? `"${o.serviceName}"` : '(name unknown)'}: ${o.why}`).join('; ')
        : 'no other deleted instance',
    };
  },
  run(ctx, p) {
    ctx.evidence(`restoring the archive of ${p.instanceGuid} as "${p.serviceName}" (${p.decidedBy})`);
    return { instanceGuid: p.instanceGuid };
  },
});

export const decisionActions: ActionDef[] = [confirmDeleted];
