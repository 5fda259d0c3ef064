/**
 * The shape of the records one step hands another (an instance of a deleted space, a candidate set
 * aside, a for-each item's result): each field's type, declared once beside the action that makes
 * them, read typed by the actions that take them, and checked whenever a value enters or leaves an
 * action (an old run's journal, a journal edited by hand, an action's own slip):
 *
 *   export const LEFT_ALONE = shape('left-alone instance', { instanceGuid: 'string', why: 'string', plan: 'string?' });
 *   params: { others: defaulted('object[]', [], 'instances left alone', LEFT_ALONE) }
 *   // p.others: { instanceGuid: string; why: string; plan?: string | null }[]
 *
 * A field typed `T?` may be absent or null. A record may hold fields its shape does not name (they
 * pass through untouched); the shape names what its readers rely on.
 */
import { isRecord } from '../../core/json.js';

interface FieldTypes {
  string: string;
  number: number;
  boolean: boolean;
  'string[]': string[];
  object: Record<string, unknown>;
  /** A record of numbers (a table's row count by its name...). */
  'number{}': Record<string, number>;
}
type Base = keyof FieldTypes;
type FieldType = Base | `${Base}?`;
type Fields = Readonly<Record<string, FieldType>>;

export interface Shape<F extends Fields = Fields> {
  /** What a record of this shape is, in the words of an error message. */
  readonly name: string;
  readonly fields: F;
}

export function shape<const F extends Fields>(name: string, fields: F): Shape<F> {
  return { name, fields };
}

type Needed<F extends Fields> = { [K in keyof F]: F[K] extends `${string}?` ? never : K }[keyof F];
type TypeOf<T> = T extends `${infer B extends Base}?` ? FieldTypes[B] : T extends Base ? FieldTypes[T] : never;

/** The TypeScript type of a record of shape `S`. */
export type RecordOf<S extends Shape> = { [K in Needed<S['fields']>]: TypeOf<S['fields'][K]> } & {
  [K in Exclude<keyof S['fields'], Needed<S['fields']>>]?: TypeOf<S['fields'][K]> | null;
};

function fits(type: Base, value: unknown): boolean {
  switch (type) {
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'object':
      return isRecord(value);
    case 'number{}':
      return isRecord(value) && Object.values(value).every((v) => typeof v === 'number');
    default:
      return typeof value === type;
  }
}

function found(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** What keeps `value` from being a record of shape `s`, one phrase per field; [] when it is one. */
export function shapeProblems(s: Shape, value: unknown): string[] {
  if (!isRecord(value)) return [`expected a record (${s.name}), found ${found(value)}`];
  const problems: string[] = [];
  for (const [field, declared] of Object.entries(s.fields)) {
    const maybe = declared.endsWith('?');
    const type = (maybe ? declared.slice(0, -1) : declared) as Base;
    const v = value[field];
    if (maybe && (v === undefined || v === null)) continue;
    if (!fits(type, v)) problems.push(`${field}: expected a ${type}${maybe ? ' or nothing' : ''}, found ${found(v)}`);
  }
  return problems;
}

/** Whether `value` is a record of shape `s`. */
export function isShaped<S extends Shape>(s: S, value: unknown): value is RecordOf<S> {
  return shapeProblems(s, value).length === 0;
}

/** What keeps a list from holding only records of shape `s`, naming the item; [] when none. */
export function listProblems(s: Shape, value: unknown): string[] {
  if (!Array.isArray(value)) return [`expected a list of records (${s.name}), found ${found(value)}`];
  return value.flatMap((item, i) => shapeProblems(s, item).map((p) => `item ${i + 1}: ${p}`));
}
