import { describe, expect, it } from 'vitest';
import { nameProof, setAside, settle, NOT_PROVEN } from '../../src/logs/choice.js';
import type { Candidate } from '../../src/logs/types.js';

function candidate(guid: string, over: Partial<Candidate> = {}): Candidate {
  return {
    instanceGuid: guid,
    serviceName: null,
    nameFrom: null,
    spaceGuid: null,
    deletedAt: '2016-03-17T06:10:17.897Z',
    archivePrefix: `s3://b/backups/${guid}/wal/`,
    lastWalUploadAt: null,
    nodes: [],
    confidence: 'low',
    evidence: [],
    ...over,
  };
}

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';

describe('settle: the evidence decides only a proven, unambiguous choice', () => {
  it('settles the one deleted instance whose name a clusterdata record proves', () => {
    const proven = candidate(A, { serviceName: 'orders-db', nameFrom: 'clusterdata' });
    const s = settle([proven, candidate(B)], 'orders-db');
    expect(s.candidate).toBe(proven);
    expect(s.why).toContain("proven by the broker's clusterdata record");
  });

  it('settles one proven by a name line in the logs', () => {
    const proven = candidate(A, { serviceName: 'orders-db', nameFrom: 'logs' });
    expect(settle([proven], 'orders-db').candidate).toBe(proven);
  });

  it('does not settle a lone candidate whose name nothing proves', () => {
    const s = settle([candidate(A)], 'orders-db');
    expect(s.candidate).toBeNull();
    expect(s.why).toBe('one deleted instance was found, but nothing proves it was named "orders-db"');
  });

  it('does not settle a tie: two deleted instances proven to carry the name', () => {
    const s = settle(
      [candidate(A, { serviceName: 'orders-db', nameFrom: 'logs' }), candidate(B, { serviceName: 'orders-db', nameFrom: 'clusterdata' })],
      'orders-db',
    );
    expect(s.candidate).toBeNull();
    expect(s.why).toContain(`2 deleted instances are proven to have been named "orders-db": ${A}, ${B}`);
  });

  it('does not count a named instance never seen deleted', () => {
    const s = settle([candidate(A, { serviceName: 'orders-db', nameFrom: 'clusterdata', deletedAt: null })], 'orders-db');
    expect(s.candidate).toBeNull();
  });
});

describe('setAside: every other candidate with why', () => {
  it('says why each was set aside', () => {
    const chosen = candidate(A, { serviceName: 'orders-db', nameFrom: 'clusterdata' });
    const others = setAside(
      [chosen, candidate(B), candidate('33333333-3333-4333-8333-333333333333', { deletedAt: null })],
      chosen,
      'orders-db',
      false,
    );
    expect(others).toEqual([
      { instanceGuid: B, serviceName: '', why: `its name is ${NOT_PROVEN}, while ${A}'s is` },
      { instanceGuid: '33333333-3333-4333-8333-333333333333', serviceName: '', why: 'no deletion of it was found in the logs searched' },
    ]);
    expect(setAside([chosen, candidate(B)], chosen, 'orders-db', true)[0]!.why).toBe('not the one the operator chose');
    expect(nameProof(candidate(A))).toBe(NOT_PROVEN);
  });
});
