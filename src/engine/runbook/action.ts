/**
 * What a runbook step can do. Runbooks are data; actions are code. Each action
 * declares its parameters and outputs (so a runbook is checked before anything
 * runs), what it changes, and how to tell whether its effect already happened.
 *
 * Writing an action:
 *
 *   export const stop = defineAction({
 *     name: 'cell.stop-container',
 *     summary: 'Stop the container so it stops archiving',
 *     effect: 'destructive',
 *     params: {
 *       cellIp: required('string', 'cell IP'),
 *       timeout: defaulted('number', 30, 'seconds docker waits'),
 *       note: optional('string', 'a note'),
 *     },
 *     outputs: { stopped: output('boolean', 'true once stopped') },
 *     async run(ctx, p) {          // p.cellIp: string, p.timeout: number, p.note: string | undefined
 *       ...
 *       return { stopped: true }; // must be exactly the declared outputs, typed
 *     },
 *   });
 *
 * The parameter and output types come from the schema: `type` gives the value type (see
 * `ValueOf`); a parameter that is `required` or `defaulted` is always there, an `optional` one
 * may be undefined. The builders return plain specs (`{ type, required, default, description }`).
 * `prepare` returns the plan (plain JSON, journaled) that `run` and `probe` receive. Parameter
 * groups several actions share live in actions/support/params.ts and are spread in.
 * The registry holds the erased `ActionDef`; the engine fills in defaults before calling.
 */
import type { StepContext } from '../executor/context.js';
import { StepFailed } from '../../core/errors.js';
import { listProblems, shapeProblems, type RecordOf, type Shape } from './shape.js';

export type ValueType = 'string' | 'number' | 'boolean' | 'string[]' | 'object' | 'object[]';

/** The TypeScript type of a value declared as `T`. */
export type ValueOf<T extends ValueType> = {
  string: string;
  number: number;
  boolean: boolean;
  'string[]': string[];
  object: Record<string, unknown>;
  'object[]': Record<string, unknown>[];
}[T];

/** An `object` or `object[]` value with a declared shape is typed and checked as records of that shape. */
type Shaped<T extends ValueType, H> = H extends Shape
  ? T extends 'object[]'
    ? RecordOf<H>[]
    : T extends 'object'
      ? RecordOf<H>
      : ValueOf<T>
  : ValueOf<T>;

export interface ParamSpec<T extends ValueType = ValueType> {
  readonly type: T;
  readonly description: string;
  /** Absent and not required: the action gets `default` (or undefined). */
  readonly required?: boolean;
  readonly default?: Frozen<ValueOf<T>>;
  /** For an `object` or `object[]`: the records' shape (shape.ts). */
  readonly shape?: Shape;
}

/** A default written `as const`: its arrays are read-only. */
type Frozen<T> = T extends (infer E)[] ? readonly E[] : T;

export interface OutputSpec<T extends ValueType = ValueType> {
  readonly type: T;
  readonly description: string;
  readonly shape?: Shape;
}

export type ParamSpecs = Readonly<Record<string, ParamSpec>>;
export type OutputSpecs = Readonly<Record<string, OutputSpec>>;

/** A spec whose shape is exactly `H` (none when undefined), for the types of its values. */
type WithShape<S, H> = Omit<S, 'shape'> & { readonly shape: H };

/** The spec with its shape, when it has one (a spec without one has no `shape` key). */
function withShape<S extends object, H extends Shape | undefined>(spec: S, shape: H | undefined): WithShape<S, H> {
  return (shape ? { ...spec, shape } : spec) as WithShape<S, H>;
}

/** A parameter the runbook must give (`shape`: of its records, for an object or object[]). */
export function required<const T extends ValueType, const H extends Shape | undefined = undefined>(
  type: T,
  description: string,
  shape?: H,
): WithShape<ParamSpec<T>, H> & { readonly required: true } {
  return withShape({ type, required: true as const, description }, shape);
}

/** A parameter the runbook may leave out: the action then gets undefined. */
export function optional<const T extends ValueType, const H extends Shape | undefined = undefined>(
  type: T,
  description: string,
  shape?: H,
): WithShape<ParamSpec<T>, H> & { readonly required?: never } {
  return withShape({ type, description }, shape);
}

/** A parameter the runbook may leave out: the action then gets `value`. */
export function defaulted<const T extends ValueType, const H extends Shape | undefined = undefined>(
  type: T,
  value: Frozen<ValueOf<T>>,
  description: string,
  shape?: H,
): WithShape<ParamSpec<T>, H> & { readonly default: Frozen<ValueOf<T>> } {
  return withShape({ type, default: value, description }, shape);
}

/** A value the action returns, which later steps read as `steps.ID.outputs.NAME`. */
export function output<const T extends ValueType, const H extends Shape | undefined = undefined>(
  type: T,
  description: string,
  shape?: H,
): WithShape<OutputSpec<T>, H> {
  return withShape({ type, description }, shape);
}

/** A parameter's value: always there when required or defaulted, else possibly undefined. */
type ParamValue<S extends ParamSpec> = S extends { required: true } | { default: unknown }
  ? Shaped<S['type'], S['shape']>
  : Shaped<S['type'], S['shape']> | undefined;

/** The values `run` receives for parameters declared as `P`. */
export type ParamsOf<P extends ParamSpecs> = { readonly [K in keyof P]: ParamValue<P[K]> };
/** The values `run` returns for outputs declared as `O`. */
export type OutputsOf<O extends OutputSpecs> = { -readonly [K in keyof O]: Shaped<O[K]['type'], O[K]['shape']> };

/**
 * read: only looks. write: changes the platform but loses nothing (create, bind, start).
 * destructive: moves, stops or overwrites something the user may need; needs a typed confirmation.
 */
export type Effect = 'read' | 'write' | 'destructive';

type Params = Record<string, unknown>;
type Outputs = Record<string, unknown>;
/** Decisions fixed before a step first runs (names, timestamps, object lists) and reused on resume. */
export type Plan = Record<string, unknown>;

type ProbeResult<O extends Outputs = Outputs> =
  | { done: true; outputs: O; why: string }
  | { done: false; why: string }
  /** Neither finished nor safe to repeat: the operator must decide. */
  | { done: 'unknown'; why: string };

type MaybePromise<T> = T | Promise<T>;

/** What every action declares besides its code. */
interface ActionHead<P extends ParamSpecs, O extends OutputSpecs> {
  name: string;
  summary: string;
  effect: Effect;
  params: P;
  outputs: O;
  /**
   * The names this action had in earlier versions: a run whose journal recorded a step under one of
   * them resumes under this name, the step meaning the same.
   */
  formerly?: readonly string[];
  /**
   * Set when running this step again after an interruption is harmless (setting a password twice,
   * binding an already-bound app): the reason, shown to the operator. Every `write` or
   * `destructive` action declares a probe or this; the runbook loader refuses one that does neither.
   */
  safeToRepeat?: string;
  /**
   * The evidence keys that identify what the step acts on, re-checked when it runs again after an
   * interruption; the others describe state the step itself changes (objects still at a prefix).
   * All keys when absent.
   */
  stableEvidence?: readonly string[];
  /**
   * Set when the action reaches nothing but this host (its Docker Engine, its files, the run's
   * folder): a runbook of only such actions needs no platform, and a live start makes no checks
   * of cf, bosh, the cells, S3 or the logs.
   */
  onThisHost?: true;
  /**
   * The choices the action asks the operator (`ctx.choose(KEY)`), each with what it chooses and, when
   * known before the run, the values it may take. A step of this action declares each under `choose:`
   * with its candidates and hint (checked when the runbook loads).
   */
  chooses?: Readonly<Record<string, ChoiceSpec>>;
}

/** A choice an action asks: what is chosen, and the values it may take when they are known before the run. */
interface ChoiceSpec {
  readonly description: string;
  readonly values?: readonly string[];
}

/** The step's result in words for its status line ("nothing to rebind", "not drilled: why"); else its outputs are shown. */
type ResultWords<O extends OutputSpecs> = (outputs: OutputsOf<O>) => string;

/** An action as written: parameters, outputs and plan typed from its schema. */
export interface TypedAction<P extends ParamSpecs, O extends OutputSpecs, L extends Plan> extends ActionHead<P, O> {
  /** Fixes the plan before the first attempt; the plan is journaled and handed back on every retry. */
  prepare?(ctx: StepContext, params: ParamsOf<P>): MaybePromise<L>;
  run(ctx: StepContext, params: ParamsOf<P>, plan: L): MaybePromise<OutputsOf<O>>;
  /**
   * Decides, after a crash in the middle of this step, whether its effect happened.
   * Without a probe, a read step simply runs again and a writing step asks the operator.
   */
  probe?(ctx: StepContext, params: ParamsOf<P>, plan: L): MaybePromise<ProbeResult<OutputsOf<O>>>;
  /**
   * Ambient state this step's effect lives in (the cf target, the CF API and user, an ssh route).
   * Set on an action that establishes such state: on every resume, before any later step runs, the
   * engine calls `reassert` for each such finished step, which must re-establish the state from the
   * journaled params and outputs and verify it (throwing when the world no longer matches).
   */
  reassert?(ctx: StepContext, params: ParamsOf<P>, outputs: OutputsOf<O>): MaybePromise<string>;
  /**
   * Facts a destructive step relies on (GUIDs, listing fingerprints, container identity), shown to the
   * operator when confirming and re-checked before the step runs again after an interruption.
   */
  evidence?(ctx: StepContext, params: ParamsOf<P>): MaybePromise<Record<string, string>>;
  result?: ResultWords<O>;
}

/** An action as the registry and the engine hold it: values unchecked by the compiler. */
export interface ActionDef extends ActionHead<ParamSpecs, OutputSpecs> {
  prepare?(ctx: StepContext, params: Params): Promise<Plan>;
  run(ctx: StepContext, params: Params, plan: Plan): Promise<Outputs>;
  probe?(ctx: StepContext, params: Params, plan: Plan): Promise<ProbeResult>;
  reassert?(ctx: StepContext, params: Params, outputs: Outputs): Promise<string>;
  evidence?(ctx: StepContext, params: Params): Promise<Record<string, string>>;
  result?(outputs: Outputs): string;
}

/**
 * What keeps the values of `specs` that have a shape from holding records of that shape, naming
 * the value; [] when all do (or none has a shape).
 */
function shapeProblemsOf(specs: Readonly<Record<string, ParamSpec | OutputSpec>>, values: Record<string, unknown>): string[] {
  return Object.entries(specs).flatMap(([key, spec]) => {
    const v = values[key];
    if (!spec.shape || v === undefined) return [];
    const problems = spec.type === 'object[]' ? listProblems(spec.shape, v) : shapeProblems(spec.shape, v);
    return problems.map((p) => `${key}: ${p}`);
  });
}

/** Refuses values that are not what the action declares, before it acts on them or they are journaled. */
function checkShapes(
  action: string,
  what: 'parameters' | 'outputs',
  specs: Readonly<Record<string, ParamSpec | OutputSpec>>,
  values: Record<string, unknown>,
): void {
  const problems = shapeProblemsOf(specs, values);
  if (!problems.length) return;
  throw new StepFailed(`${action}: its ${what} are not the records it declares (${problems.slice(0, 3).join('; ')})`, {
    hint:
      what === 'parameters'
        ? "they come from an earlier step's outputs or the answers file: a journal edited by hand or written by another version of dingo-recover can hold others; nothing was changed"
        : 'the action returned values it does not declare, and they were not journaled: report this as a bug in dingo-recover',
  });
}

/**
 * Declares an action, typed from its schema, and erases it for the registry. The engine hands it
 * params the runbook loader has checked against the schema (defaults filled in), the plan its
 * `prepare` returned and outputs its `run` returned; records with a declared shape are checked
 * here, as they enter and leave the action; the casts below rest on that contract.
 */
export function defineAction<const P extends ParamSpecs, const O extends OutputSpecs, L extends Plan = Plan>(
  def: TypedAction<P, O, L>,
): ActionDef {
  const params = (p: Params): ParamsOf<P> => {
    checkShapes(def.name, 'parameters', def.params, p);
    return p as ParamsOf<P>;
  };
  const outputs = (o: Outputs): OutputsOf<O> => {
    checkShapes(def.name, 'outputs', def.outputs, o);
    return o as OutputsOf<O>;
  };
  const plan = (l: Plan): L => l as L;
  const { prepare, probe, reassert, evidence } = {
    prepare: def.prepare?.bind(def),
    probe: def.probe?.bind(def),
    reassert: def.reassert?.bind(def),
    evidence: def.evidence?.bind(def),
  };
  return {
    name: def.name,
    summary: def.summary,
    effect: def.effect,
    params: def.params,
    outputs: def.outputs,
    formerly: def.formerly,
    safeToRepeat: def.safeToRepeat,
    stableEvidence: def.stableEvidence,
    onThisHost: def.onThisHost,
    chooses: def.chooses,
    run: async (ctx, p, l) => outputs(await def.run(ctx, params(p), plan(l))),
    prepare: prepare && (async (ctx, p) => prepare(ctx, params(p))),
    probe:
      probe &&
      (async (ctx, p, l) => {
        const r = await probe(ctx, params(p), plan(l));
        return r.done === true ? { ...r, outputs: outputs(r.outputs) } : r;
      }),
    reassert: reassert && (async (ctx, p, o) => reassert(ctx, params(p), outputs(o))),
    evidence: evidence && (async (ctx, p) => evidence(ctx, params(p))),
    result: def.result && ((o) => def.result!(o as OutputsOf<O>)),
  };
}

function typeOfValue(value: unknown): ValueType | 'null' | 'unknown' {
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
