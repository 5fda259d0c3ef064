/**
 * What a scenario's `world:` and a saved world.json must hold before the rehearsal trusts them:
 * checked at the door, so the rest of the simulation reads typed state.
 */
import type { WorldState } from './world-state.js';
import { isRecord } from '../core/json.js';

/** A scenario's starting world: the platform's four systems, the rest defaulted. */
export type ScenarioWorld = Partial<WorldState> & Pick<WorldState, 'cf' | 'bosh' | 'cells' | 's3'>;

/** The four systems every world describes, each a mapping. */
function hasSystems(v: Record<string, unknown>): boolean {
  return isRecord(v.cf) && isRecord(v.bosh) && isRecord(v.cells) && isRecord(v.s3);
}

export function isScenarioWorld(v: unknown): v is ScenarioWorld {
  return isRecord(v) && hasSystems(v);
}

/** A saved world: the version this code writes, its clock, systems and history. */
export function isWorldState(v: unknown): v is WorldState {
  return isRecord(v) && v.version === 1 && typeof v.clock === 'string' && hasSystems(v) && Array.isArray(v.history);
}

/** A scalar of a YAML document as text (a title, a description), or `fallback` when absent or not a scalar. */
export function scalarText(v: unknown, fallback: string): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : fallback;
}

const isText = (v: unknown): v is string => typeof v === 'string';

/** Why one of `world.cf.events` is not an audit event the simulated Cloud Controller can render, or null. */
function eventProblem(e: unknown): string | null {
  if (!isRecord(e)) return 'is not a mapping';
  const missing = ['guid', 'type', 'timestamp', 'spaceGuid', 'orgGuid'].filter((k) => !isText(e[k]));
  if (missing.length) return `needs ${missing.join(', ')} (text; '' for no space or org)`;
  if (Number.isNaN(Date.parse(e.timestamp as string))) return `has timestamp ${String(e.timestamp)}, not a time`;
  const who = (v: unknown): boolean => isRecord(v) && isText(v.guid) && isText(v.type) && isText(v.name);
  if (!who(e.actor) || !who(e.target)) return 'needs actor and target, each with guid, type and name';
  return isRecord(e.data) ? null : 'needs data (the v2 metadata, e.g. { request: {} })';
}

/** What is wrong with the scenario's audit events (`world.cf.events`), naming the first bad one, or null. */
export function auditEventsProblem(world: ScenarioWorld): string | null {
  const events: unknown = (world.cf as { events?: unknown }).events;
  if (events === undefined) return null;
  if (!Array.isArray(events)) return 'world.cf.events must be a list';
  for (const [i, e] of events.entries()) {
    const problem = eventProblem(e);
    if (problem) return `world.cf.events[${i}] ${problem}`;
  }
  return null;
}
