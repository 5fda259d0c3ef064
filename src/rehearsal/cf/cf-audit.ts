/**
 * The audit events the simulated Cloud Controller records when a command changes the world, as
 * the real one does (cloud_controller_ng `SpaceEventRepository`, `ServiceEventRepository`): the
 * logged-in user is the actor, the time is the simulated clock.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { CfContext } from './cf-context.js';
import type { CfAuditEvent } from './cf-world.js';

/** A stable GUID for a user the scenario gives no GUID for. */
function userGuidOf(user: string): string {
  const h = createHash('sha256').update(`user:${user}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function recordAudit(cf: CfContext, e: Pick<CfAuditEvent, 'type' | 'target' | 'data' | 'spaceGuid' | 'orgGuid'>): void {
  const user = cf.w.user;
  const event: CfAuditEvent = {
    guid: randomUUID(),
    timestamp: cf.now(),
    actor: { guid: cf.w.userGuid ?? userGuidOf(user), type: 'user', name: user, username: user },
    ...e,
  };
  (cf.w.events ??= []).push(event);
}
