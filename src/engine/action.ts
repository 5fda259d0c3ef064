/**
 * What a runbook step can do. Runbooks are data; actions are code. Each action
 * declares its parameters and outputs (so a runbook is checked before anything
 * runs), what it changes, and how to tell whether its effect already happened.
 */
import type { StepContext } from './context.js';

export type ValueType = 'string' | 'number' | 'boolean' | 'string[]' | 'object' | 'object[]';

export interface ParamSpec {
  type: ValueType;
  description: string;
  /** Absent and not required: the action gets `default` (or undefined). */
  required?: boolean;
  default?: unknown;
}

export interface OutputSpec {
  type: ValueType;
  description: string;
}

/**
 * read: only looks. write: changes the platform but loses nothing (create, bind, start).
 * destructive: moves, stops or overwrites something the user may need; needs a typed confirmation.
 */
export type Effect = 'read' | 'write' | 'destructive';

export type Params = Record<string, unknown>;
export type Outputs = Record<string, unknown>;
/** Decisions fixed before a step first runs (names, timestamps, object lists) and reused on resume. */
export type Plan = Record<string, unknown>;

export type ProbeResult =
  | { done: true; outputs: Outputs; why: string }
  | { done: false; why: string }
  /** Neither finished nor safe to repeat: the operator must decide. */
  | { done: 'unknown'; why: string };

export interface ActionDef {
  name: string;
  summary: string;
  effect: Effect;
  params: Record<string, ParamSpec>;
  outputs: Record<string, OutputSpec>;
  /** Fixes the plan before the first attempt; the plan is journaled and handed back on every retry. */
  prepare?(ctx: StepContext, params: Params): Promise<Plan>;
  run(ctx: StepContext, params: Params, plan: Plan): Promise<Outputs>;
  /**
   * Decides, after a crash in the middle of this step, whether its effect happened.
   * Without a probe, a read step simply runs again and a writing step asks the operator.
   */
  probe?(ctx: StepContext, params: Params, plan: Plan): Promise<ProbeResult>;
  /**
   * Set when running this step again after an interruption is harmless (setting a password twice,
   * binding an already-bound app): the reason, shown to the operator. Every `write` or
   * `destructive` action declares a probe or this; the runbook loader refuses one that does neither.
   */
  safeToRepeat?: string;
  /**
   * Ambient state this step's effect lives in (the cf target, the CF API and user, an ssh route).
   * Set on an action that establishes such state: on every resume, before any later step runs, the
   * engine calls `reassert` for each such finished step, which must re-establish the state from the
   * journaled params and outputs and verify it (throwing when the world no longer matches).
   */
  reassert?(ctx: StepContext, params: Params, outputs: Outputs): Promise<string>;
  /**
   * Facts a destructive step relies on (GUIDs, listing fingerprints, container identity), shown to the
   * operator when confirming and re-checked before the step runs again after an interruption.
   */
  evidence?(ctx: StepContext, params: Params): Promise<Record<string, string>>;
  /**
   * The evidence keys that identify what the step acts on, re-checked when it runs again after an
   * interruption; the others describe state the step itself changes (objects still at a prefix).
   * All keys when absent.
   */
  stableEvidence?: readonly string[];
}

export function defineAction(def: ActionDef): ActionDef {
  return def;
}

export function typeOfValue(value: unknown): ValueType | 'null' | 'unknown' {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return 'string[]';
    if (value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) return 'object[]';
    return 'unknown';
  }
  if (typeof value === 'object') return 'object';
  return 'unknown';
}

/** Whether a literal value may be given where `expected` is declared. */
export function valueFits(expected: ValueType, value: unknown): boolean {
  if (Array.isArray(value) && value.length === 0) return expected === 'string[]' || expected === 'object[]';
  return typeOfValue(value) === expected;
}
