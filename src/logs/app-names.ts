/**
 * The names of a deleted space's apps, from the Cloud Controller's audit events. A binding's event
 * names its app only by GUID, and nobody can `cf push` a GUID. Every app event carries the app's
 * name (v2 `actee_name`, v3 `target.name`), but the create event is gone once it is older than the
 * Cloud Controller keeps events (31 days by default), and a space delete may record no event of its
 * own per app: the updates and restages of the last weeks are then where the name is.
 */
import { stringAt } from '../core/json.js';
import type { AuditEvent } from '../adapters/cf/index.js';

/** The app events that name an app. */
export const APP_NAME_EVENT_TYPES = ['audit.app.create', 'audit.app.update', 'audit.app.restage', 'audit.app.delete-request'];

/** App GUID → its latest name (an update's request carries the name an app was renamed to). */
export function appNames(events: readonly AuditEvent[]): Map<string, string> {
  const names = new Map<string, string>();
  const ordered = [...events].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  for (const e of ordered) {
    if (!APP_NAME_EVENT_TYPES.includes(e.type) || !e.targetGuid) continue;
    const name = (e.type === 'audit.app.update' ? stringAt(e.request, 'name') : undefined) || e.targetName;
    if (name) names.set(e.targetGuid, name);
  }
  return names;
}
