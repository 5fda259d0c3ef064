import { describe, expect, it } from 'vitest';
import { FROM_EVENTS, withAuditEvents } from '../../src/logs/audit-proof.js';
import { settle } from '../../src/logs/choice.js';
import { NO_SPACE_RECORD } from '../../src/logs/find.js';
import type { AuditEvent } from '../../src/adapters/cf/index.js';
import { emptyReport } from '../../src/core/log-source.js';
import type { Candidate } from '../../src/logs/types.js';
import { candidate as base } from '../support/candidate.js';

const SPACE = '5a84d315-8c5e-4d2b-9d3c-6f1e2a7b9c40';
const ELSEWHERE = '9d0e1f2a-3b4c-4d5e-8f60-718293a4b5c6';
const USER = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
const TENANT = 'b7c8d9e0-f1a2-4b3c-8d4e-5f6a7b8c9d0e';

/** Deleted, and nothing proves its space, as the finder says. */
function candidate(guid: string, over: Partial<Candidate> = {}): Candidate {
  return base(guid, {
    evidence: [{ line: '', source: '', why: `${NO_SPACE_RECORD}: nothing proves it belonged to space ${SPACE}` }],
    ...over,
  });
}

function event(type: string, guid: string, name: string, spaceGuid = SPACE, time = '2017-01-10T12:00:01Z'): AuditEvent {
  return {
    guid: `e-${type}-${guid}`,
    type,
    time,
    actor: 'dana',
    targetGuid: guid,
    targetType: 'service_instance',
    targetName: name,
    spaceGuid,
    orgGuid: '',
    request: {},
  };
}

const result = (candidates: Candidate[]) => ({ candidates, otherSpace: [], searched: emptyReport([]) });

describe("withAuditEvents: the Cloud Controller's events of the user's space prove space and name", () => {
  it('settles the one instance the events place in the space under the name, when no other carried it', () => {
    const r = withAuditEvents(
      result([candidate(USER), candidate(TENANT)]),
      [event('audit.service_instance.create', USER, 'important-db'), event('audit.service_instance.delete', USER, 'important-db')],
      SPACE,
      'important-db',
    );
    const user = r.candidates[0]!;
    expect(user).toMatchObject({
      spaceGuid: SPACE,
      spaceFrom: FROM_EVENTS,
      inGivenSpace: true,
      serviceName: 'important-db',
      nameFrom: 'audit-events',
    });
    expect(user.evidence[0]!.why).toBe(`the Cloud Controller recorded this instance in space ${SPACE} as "important-db"`);
    expect(user.evidence.some((e) => e.why.startsWith(NO_SPACE_RECORD))).toBe(false);
    expect(r.candidates[1]).toEqual(candidate(TENANT));
    expect(settle(r.candidates, 'important-db').candidate?.instanceGuid).toBe(USER);
  });

  it('proves the space but does not settle while another instance of unknown space carried the name', () => {
    const r = withAuditEvents(
      result([
        candidate(TENANT, { serviceName: 'important-db', nameFrom: 'logs' }),
        candidate(USER, { serviceName: 'important-db', nameFrom: 'logs' }),
      ]),
      [event('audit.service_instance.delete', USER, 'important-db')],
      SPACE,
      'important-db',
    );
    expect(r.candidates.map((c) => c.inGivenSpace)).toEqual([false, true]);
    expect(settle(r.candidates, 'important-db').candidate).toBeNull();
  });

  it('gives no name the CC did not record last, and counts no event the CC says is of another space', () => {
    const renamed = withAuditEvents(
      result([candidate(USER)]),
      [
        event('audit.service_instance.create', USER, 'important-db', SPACE, '2017-01-09T10:00:00Z'),
        event('audit.service_instance.update', USER, 'old-db', SPACE, '2017-01-09T11:00:00Z'),
      ],
      SPACE,
      'important-db',
    );
    expect(renamed.candidates[0]).toMatchObject({ inGivenSpace: true, serviceName: null, nameFrom: null });
    const other = withAuditEvents(
      result([candidate(USER)]),
      [event('audit.service_instance.delete', USER, 'important-db', ELSEWHERE)],
      SPACE,
      'important-db',
    );
    expect(other.candidates[0]).toEqual(candidate(USER));
  });
});
