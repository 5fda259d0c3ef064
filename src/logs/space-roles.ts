/**
 * The users' roles in a deleted space, from the Cloud Controller's audit events: a space delete takes
 * them with it, and the recreated space has none but its creator's. Each role given or taken is an
 * `audit.user.space_<role>_add` / `_remove` event of the space, its target the user, named by username
 * (cloud_controller_ng app/repositories/user_event_repository.rb `record_space_role_event`).
 */
import type { AuditEvent } from '../adapters/cf/index.js';

/** The space roles, by the event's word and as `cf set-space-role` names them. */
const ROLES: Record<string, string> = {
  developer: 'SpaceDeveloper',
  manager: 'SpaceManager',
  auditor: 'SpaceAuditor',
  supporter: 'SpaceSupporter',
};

const ROLE_EVENT = /^audit\.user\.space_(developer|manager|auditor|supporter)_(add|remove)$/;

export const SPACE_ROLE_EVENT_TYPES = Object.keys(ROLES).flatMap((r) => [`audit.user.space_${r}_add`, `audit.user.space_${r}_remove`]);

export interface UserRoles {
  /** The username, else the user's GUID when the event names none. */
  user: string;
  /** As cf set-space-role names them, sorted. */
  roles: string[];
}

/** Each user's roles in the space when it was deleted (`deletedAt`; "" when unknown: every event counts), in event order. */
export function spaceRolesAt(events: readonly AuditEvent[], deletedAt: string): UserRoles[] {
  const until = deletedAt ? Date.parse(deletedAt) : Infinity;
  const held = new Map<string, Set<string>>();
  const inOrder = [...events].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  for (const e of inOrder) {
    const m = ROLE_EVENT.exec(e.type);
    if (!m || Date.parse(e.time) > until) continue;
    const user = e.targetName || e.targetGuid;
    if (!user) continue;
    const roles = held.get(user) ?? new Set<string>();
    if (m[2] === 'add') roles.add(ROLES[m[1]!]!);
    else roles.delete(ROLES[m[1]!]!);
    held.set(user, roles);
  }
  return [...held]
    .filter(([, roles]) => roles.size > 0)
    .map(([user, roles]) => ({ user, roles: [...roles].sort() }))
    .sort((a, b) => a.user.localeCompare(b.user));
}
