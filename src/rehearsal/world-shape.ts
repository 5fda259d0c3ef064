/**
 * What a scenario's `world:` and a saved world.json must hold before the rehearsal trusts them:
 * checked at the door, so the rest of the simulation reads typed state.
 */
import type { WorldState } from './world-state.js';

/** A scenario's starting world: the platform's four systems, the rest defaulted. */
export type ScenarioWorld = Partial<WorldState> & Pick<WorldState, 'cf' | 'bosh' | 'cells' | 's3'>;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

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
