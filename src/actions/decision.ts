/**
 * The operator's decision of whose archive is restored, shown as one block with its evidence and
 * confirmed by typing its GUID (the runbook's `confirm`), before anything is created or restored:
 * the deleted instance a recovery brings back, or the instance (live or deleted) whose database
 * restore-to-time brings back beside it.
 */
import { defineAction, type ActionDef, defaulted, optional, output, type RecordOf, required } from '../engine/runbook/index.js';
import { SET_ASIDE } from './support/records.js';

const consideredToo = (others: RecordOf<typeof SET_ASIDE>[]): string =>
  others.length
    ? others.map((o) => `${o.instanceGuid || '?'} ${o.serviceName ? `"${o.serviceName}"` : '(name unknown)'}: ${o.why}`).join('; ')
    : 'no other deleted instance';

const confirmInstance = defineAction({
  name: 'instance.confirm',
  formerly: ['recovery.confirm-deleted-instance', 'pitr.confirm-instance'],
  summary: 'Show the instance whose archive is restored, with its evidence, and have the operator confirm it',
  effect: 'read',
  params: {
    instanceGuid: required('string', 'the instance chosen'),
    serviceName: required('string', 'the name the user gave (empty when given by GUID and cf does not know it)'),
    nameProof: required('string', 'what proves the name'),
    live: defaulted('boolean', false, 'cf still knows the instance: only its archive is read'),
    spaceGuid: optional('string', 'the space it was provisioned in'),
    deletedAt: optional('string', 'when it was deleted'),
    archiveUrl: required('string', 'its wal-e archive'),
    archiveFrom: optional('string', "where the archive's address comes from"),
    lastSegment: optional('string', 'the newest archived WAL segment'),
    lastSegmentAt: optional('string', 'when it was archived'),
    decidedBy: optional('string', 'the evidence, or the operator'),
    others: defaulted('object[]', [], 'the other candidates and why they were set aside', SET_ASIDE),
  },
  outputs: { instanceGuid: output('string', 'the instance confirmed') },
  evidence(_ctx, p) {
    const name = p.serviceName ? `${p.serviceName}: ${p.nameProof}` : p.nameProof;
    return {
      ...(p.live ? { 'instance (live: only its archive is read)': p.instanceGuid } : { 'deleted instance (OLD)': p.instanceGuid }),
      name,
      'space GUID': p.spaceGuid || 'unknown',
      ...(p.live ? {} : { 'deleted at': p.deletedAt || 'unknown' }),
      'last archived WAL': p.lastSegment ? `${p.lastSegment} at ${p.lastSegmentAt || '?'}` : p.lastSegmentAt || 'unknown',
      archive: p.archiveFrom ? `${p.archiveUrl} (from ${p.archiveFrom})` : p.archiveUrl,
      // An instance chosen among candidates is shown with how, and with the others; one named by the user has none.
      ...(p.decidedBy ? { 'chosen by': p.decidedBy, 'also considered': consideredToo(p.others) } : {}),
    };
  },
  run(ctx, p) {
    const as = p.serviceName ? ` as "${p.serviceName}"` : '';
    ctx.evidence(`restoring the archive of ${p.instanceGuid}${as} (${p.decidedBy || p.nameProof})`);
    return { instanceGuid: p.instanceGuid };
  },
});

export const decisionActions: ActionDef[] = [confirmInstance];
