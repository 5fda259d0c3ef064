/**
 * A run's settings and live options through its journal: those it was created with, then every
 * change a resume made (`{key: {from, to}}`, live options as `live.a.b`), and what a resume's own
 * settings change of them.
 */
import type { JournalEvent } from '../journal/journal-events.js';
import { isRecord } from '../../core/json.js';

/** The run's settings and live options: the created ones, then every journaled change. */
export function journaledOptions(events: JournalEvent[]): { settings: Record<string, unknown>; live: Record<string, unknown> } {
  const created = events.find((e) => e.type === 'run.created');
  const options = created?.type === 'run.created' ? created.options : {};
  const settings = { ...(isRecord(options.settings) ? options.settings : {}) };
  const live = structuredClone(isRecord(options.live) ? options.live : {});
  const result = { settings, live };
  for (const e of events) if (e.type === 'settings.changed') applyChanges(result, e.changes);
  return result;
}

/** Applies `{key: {from, to}}` changes (keys `live.a.b` for live options) in place. */
export function applyChanges(
  options: { settings: Record<string, unknown>; live: Record<string, unknown> },
  changes: Record<string, { to: unknown }>,
): void {
  for (const [key, change] of Object.entries(changes)) {
    if (key.startsWith('live.')) setPath(options.live, key.slice(5).split('.'), change.to);
    else options.settings[key] = change.to;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    const child = isRecord(next) ? next : {};
    node[part] = child;
    node = child;
  }
  node[path[path.length - 1]!] = value;
}

function flatten(prefix: string, value: unknown, out: Record<string, unknown>): void {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out);
  } else if (value !== undefined) {
    out[prefix] = value;
  }
}

/** The settings a resume was given that differ from the journaled ones, as `{key: {from, to}}`. */
export function changedOptions(
  was: { settings: Record<string, unknown>; live: Record<string, unknown> },
  given: { settings: object; live?: object },
): Record<string, { from: unknown; to: unknown }> {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  flatten('', was.settings, before);
  flatten('live', was.live, before);
  flatten('', given.settings, after);
  flatten('live', given.live ?? {}, after);
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const [key, to] of Object.entries(after)) {
    if (JSON.stringify(before[key]) !== JSON.stringify(to)) changes[key] = { from: before[key] ?? null, to };
  }
  return changes;
}
