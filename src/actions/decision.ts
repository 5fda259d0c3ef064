/**
 * The operator's decision of which deleted instance comes back, shown as one block with its
 * evidence and confirmed by typing the first 8 characters of its GUID, before anything is created
 * or changed.
 */
import { defineAction, type ActionDef } from '../engine/action.js';

const confirmDeleted = defineAction({
  name: 'recovery.confirm-deleted-instance',
  summary: 'Show the deleted instance chosen for restoring, with its evidence, and have the operator confirm it',
  effect: 'read',
  params: {
    instanceGuid: { type: 'string', required: true, description: 'the deleted instance chosen' },
    serviceName: { type: 'string', required: true, description: 'the name the user gave' },
    nameProof: { type: 'string', required: true, description: 'what proves the name' },
    spaceGuid: { type: 'string', description: 'the space it was provisioned in' },
    deletedAt: { type: 'string', description: 'when it was deleted' },
    archiveUrl: { type: 'string', required: true, description: 'its wal-e archive' },
    lastSegment: { type: 'string', description: 'the newest archived WAL segment' },
    lastSegmentAt: { type: 'string', description: 'when it was archived' },
    decidedBy: { type: 'string', required: true, description: 'the evidence, or the operator' },
    others: { type: 'object[]', description: 'the other candidates and why they were set aside', default: [] },
  },
  outputs: { instanceGuid: { type: 'string', description: 'the deleted instance confirmed' } },
  async evidence(_ctx, p) {
    const others = (p.others as { instanceGuid?: string; serviceName?: string; why?: string }[]) ?? [];
    return {
      'deleted instance (OLD)': String(p.instanceGuid),
      name: `${String(p.serviceName)}: ${String(p.nameProof)}`,
      'space GUID': String(p.spaceGuid || 'unknown'),
      'deleted at': String(p.deletedAt || 'unknown'),
      'last archived WAL': p.lastSegment
        ? `${String(p.lastSegment)} at ${String(p.lastSegmentAt || '?')}`
        : String(p.lastSegmentAt || 'unknown'),
      archive: String(p.archiveUrl),
      'chosen by': String(p.decidedBy),
      'also considered': others.length
        ? others
            .map((o) => `${o.instanceGuid ?? '?'} ${o.serviceName ? `"${o.serviceName}"` : '(name unknown)'}: ${o.why ?? ''}`)
            .join('; ')
        : 'no other deleted instance',
    };
  },
  async run(ctx, p) {
    ctx.evidence(`restoring the archive of ${String(p.instanceGuid)} as "${String(p.serviceName)}" (${String(p.decidedBy)})`);
    return { instanceGuid: String(p.instanceGuid) };
  },
});

export const decisionActions: ActionDef[] = [confirmDeleted];
