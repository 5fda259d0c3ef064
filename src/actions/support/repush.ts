/**
 * The apps a space delete removed, to re-push and bind again, by name with their GUID: the name is
 * what `cf push` takes. An app no audit event names is shown by its GUID, with NAME to fill in.
 */
import { quote } from '../../core/command-line.js';
import { isGuid } from '../../core/guid.js';

interface Gone {
  /** Its name, or null when no audit event gave one. */
  name: string | null;
  guid: string | null;
}

function gone(app: string, appGuids: Readonly<Record<string, unknown>> | null | undefined): Gone {
  const guid = appGuids?.[app];
  if (typeof guid === 'string' && guid !== app) return { name: app, guid };
  return isGuid(app) ? { name: null, guid: app } : { name: app, guid: null };
}

function label(a: Gone): string {
  if (!a.name) return `app ${a.guid ?? '?'} (no audit event names it: ask the user its name)`;
  return a.guid ? `${a.name} (${a.guid})` : a.name;
}

/**
 * Pushed without starting, bound, then started: an app reads its bindings when it starts (cf bind-service
 * says "TIP: Use 'cf restage APP' to ensure your env variable changes take effect"), and a started one
 * would first run without its database.
 */
function commands(a: Gone, service: string): string {
  const name = a.name ?? 'NAME';
  return [
    ['cf', 'push', name, '--no-start'],
    ['cf', 'bind-service', name, service],
    ['cf', 'start', name],
  ]
    .map((c) => quote(c))
    .join('; ');
}

/**
 * For the apps `missing` of a recovered instance `service`: a report line each, a short list for its
 * table row, and the one line of what is left to do.
 */
export function repushLines(
  missing: readonly string[],
  appGuids: Readonly<Record<string, unknown>> | null | undefined,
  service: string,
): { lines: string[]; short: string; todo: string } | null {
  if (!missing.length) return null;
  const apps = missing.map((app) => gone(app, appGuids));
  return {
    lines: apps.map(
      (a) => `- App ${label(a)} no longer exists (the space delete removed it): re-push it, then bind it: ${commands(a, service)}`,
    ),
    short: `re-push ${apps.map((a) => a.name ?? a.guid).join(', ')}`,
    todo: `${service}: re-push ${apps.map(label).join(', ')} (the space delete removed them), then ${apps.map((a) => commands(a, service)).join('; ')}`,
  };
}
