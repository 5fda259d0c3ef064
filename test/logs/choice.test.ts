import { describe, expect, it } from 'vitest';
import { describeCandidate, nameProof, setAside, settle, spaceProof, NOT_PROVEN } from '../../src/logs/choice.js';
import type { Candidate } from '../../src/logs/types.js';
import { candidate } from '../support/candidate.js';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const USERS = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
/** Proven in the user's space by a trusted record. */
const HERE = { spaceGuid: USERS, spaceFrom: "the broker's clusterdata record", inGivenSpace: true } as const;

describe('settle: the evidence decides only a proven, unambiguous choice', () => {
  it('settles the one deleted instance whose name a clusterdata record proves', () => {
    const proven = candidate(A, { serviceName: 'orders-db', nameFrom: 'clusterdata', ...HERE });
    const s = settle([proven, candidate(B)], 'orders-db');
    expect(s.candidate).toBe(proven);
    expect(s.why).toContain("proven by the broker's clusterdata record");
    expect(s.why).toContain(`space ${USERS} (from the broker's clusterdata record): the user's space`);
  });

  it('settles one proven by a name line in the logs and a broker record of its space', () => {
    const proven = candidate(A, {
      serviceName: 'orders-db',
      nameFrom: 'logs',
      ...HERE,
      spaceFrom: "the broker's provision record in the logs",
    });
    expect(settle([proven], 'orders-db').candidate).toBe(proven);
  });

  it('does not settle a lone candidate whose name nothing proves', () => {
    const s = settle([candidate(A)], 'orders-db');
    expect(s.candidate).toBeNull();
    expect(s.why).toBe('one deleted instance was found, but nothing proves it was named "orders-db"');
  });

  it('does not settle a tie: two deleted instances proven to carry the name', () => {
    const s = settle(
      [
        candidate(A, { serviceName: 'orders-db', nameFrom: 'logs', ...HERE }),
        candidate(B, { serviceName: 'orders-db', nameFrom: 'clusterdata', ...HERE }),
      ],
      'orders-db',
    );
    expect(s.candidate).toBeNull();
    expect(s.why).toContain(`2 deleted instances of the user's space are proven to have been named "orders-db": ${A}, ${B}`);
  });

  it('does not count a named instance never seen deleted', () => {
    const s = settle([candidate(A, { serviceName: 'orders-db', nameFrom: 'clusterdata', deletedAt: null, ...HERE })], 'orders-db');
    expect(s.candidate).toBeNull();
  });
});

/** The same name in two spaces: the user's instance (U) and another tenant's (T), as the finder hands them over. */
const U = '33333333-3333-4333-8333-333333333333';
const T = '44444444-4444-4444-8444-444444444444';
const OLDER = '2016-03-16T23:10:17.000Z';
const NEWER = '2016-03-17T09:00:00.000Z';
const unknownSpace = { spaceGuid: null, spaceFrom: null, inGivenSpace: false } as const;

describe("settle: same name, two instances, by what proves each one's space", () => {
  const cases: { title: string; candidates: Candidate[]; settles: string | null; why: RegExp }[] = [
    {
      // The finder leaves out an instance a trusted source puts in another space: only the user's reaches the choice.
      title: "space known for both: the other space was set aside by the finder, the user's settles",
      candidates: [candidate(U, { serviceName: 'orders-db', nameFrom: 'logs', ...HERE })],
      settles: U,
      why: /^the only deleted instance whose name "orders-db" is proven by a name line in the logs and whose space /,
    },
    {
      title: "the user's space known, the other's unknown: the operator chooses",
      candidates: [
        candidate(U, { serviceName: 'orders-db', nameFrom: 'logs', ...HERE }),
        candidate(T, { serviceName: 'orders-db', nameFrom: 'logs', ...unknownSpace }),
      ],
      settles: null,
      why: new RegExp(
        `^${U} is proven to have been named "orders-db" in the user's space, but ${T} also carried the name and nothing proves which space it was in$`,
      ),
    },
    {
      title: 'both spaces unknown: a name alone proves nothing',
      candidates: [
        candidate(T, { serviceName: 'orders-db', nameFrom: 'logs', deletedAt: NEWER }),
        candidate(U, { serviceName: 'orders-db', nameFrom: 'logs', deletedAt: OLDER }),
      ],
      settles: null,
      why: new RegExp(`^${T}, ${U} are proven to have been named "orders-db", but nothing proves any belonged to the user's space`),
    },
    {
      title: 'one instance, named, space unknown: not settled either',
      candidates: [candidate(T, { serviceName: 'orders-db', nameFrom: 'logs' })],
      settles: null,
      why: /is proven to have been named "orders-db", but nothing proves it belonged to the user's space \(a name line carries no space/,
    },
    {
      title: "the user's in the right space but older, the other tenant's newer (space unknown): the operator chooses",
      candidates: [
        candidate(U, { serviceName: 'orders-db', nameFrom: 'clusterdata', deletedAt: OLDER, ...HERE }),
        candidate(T, { serviceName: 'orders-db', nameFrom: 'logs', deletedAt: NEWER }),
      ],
      settles: null,
      why: new RegExp(`^${U} is proven .* but ${T} also carried the name`),
    },
    {
      title: "the other tenant's newer and named, the user's unnamed but in the user's space: the operator chooses",
      candidates: [
        candidate(T, { serviceName: 'orders-db', nameFrom: 'logs', deletedAt: NEWER }),
        candidate(U, { deletedAt: OLDER, ...HERE }),
      ],
      settles: null,
      why: new RegExp(`^${T} is proven to have been named "orders-db", but nothing proves it belonged to the user's space`),
    },
  ];
  it.each(cases)('$title', ({ candidates, settles, why }) => {
    const s = settle(candidates, 'orders-db');
    expect(s.candidate?.instanceGuid ?? null).toBe(settles);
    expect(s.why).toMatch(why);
  });
});

describe('describeCandidate: what is known of each, for the operator who chooses', () => {
  it('shows the space and where it comes from, or that it is unknown, and the times and archive', () => {
    const mine = describeCandidate(
      candidate(U, {
        serviceName: 'orders-db',
        nameFrom: 'logs',
        ...HERE,
        orgGuid: B,
        spaceFrom: "the broker's provision record in the logs",
        createdAt: '2016-03-16T18:50:02.117Z',
      }),
    );
    expect(mine).toBe(
      `${U}, "orders-db" (proven by a name line in the logs), space ${USERS}, org ${B} (from the broker's provision record in the logs): the user's space, created 2016-03-16T18:50:02.117Z, deleted 2016-03-17T06:10:17.897Z, last WAL upload ?, archive s3://b/backups/${U}/wal/`,
    );
    expect(describeCandidate(candidate(T))).toContain(
      'space unknown (no clusterdata record, broker record or audit event names it), created ?',
    );
    expect(spaceProof(candidate(T, { spaceGuid: USERS, spaceFrom: 'x' }))).toBe(`space ${USERS} (from x)`);
  });
});

describe('setAside: every other candidate with why', () => {
  it('lists the instances of another space with why they were set aside', () => {
    const chosen = candidate(U, { serviceName: 'orders-db', nameFrom: 'logs', ...HERE });
    const why = `the broker's provision record in the logs puts it in space ${B}, not the user's space ${USERS}: another tenant's instance is never restored as the user's`;
    expect(setAside([chosen], chosen, 'orders-db', true, [{ instanceGuid: T, serviceName: 'orders-db', why }])).toEqual([
      { instanceGuid: T, serviceName: 'orders-db', why },
    ]);
  });

  it('says why each was set aside', () => {
    const chosen = candidate(A, { serviceName: 'orders-db', nameFrom: 'clusterdata', ...HERE });
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
