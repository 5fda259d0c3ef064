/**
 * The order the patch writes the named tables in: a table before those whose foreign keys
 * (foreign-keys.ts) reference it, parents before children, whatever order the operator named them in,
 * so that the one transaction never fails on a key for the order of its statements. A table's own rows
 * go in one INSERT, whose keys are checked at its end, so a table referencing itself needs no order
 * among its rows. Tables whose keys reference each other in a cycle cannot all go first: the cycle is
 * written with its keys checked at the commit when every key of it is deferrable, and refused, named, otherwise.
 */
import { UsageError } from '../core/errors.js';
import type { ForeignKey } from './foreign-keys.js';

export interface TableOrder {
  /** The tables, parents first; the operator's order where keys leave it open. */
  tables: string[];
  /** Some tables reference each other in a cycle of deferrable keys: the patch defers them to its commit. */
  deferred: boolean;
}

/** The strongly connected components of the graph child → parent (Tarjan), each a list of tables. */
function components(tables: readonly string[], keys: readonly ForeignKey[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (t: string): void => {
    index.set(t, index.size);
    low.set(t, index.get(t)!);
    stack.push(t);
    for (const k of keys.filter((x) => x.child === t)) {
      if (!index.has(k.parent)) {
        visit(k.parent);
        low.set(t, Math.min(low.get(t)!, low.get(k.parent)!));
      } else if (stack.includes(k.parent)) low.set(t, Math.min(low.get(t)!, index.get(k.parent)!));
    }
    if (low.get(t) !== index.get(t)) return;
    const part: string[] = [];
    for (let top = stack.pop()!; ; top = stack.pop()!) {
      part.push(top);
      if (top === t) break;
    }
    out.push(part);
  };
  for (const t of tables) if (!index.has(t)) visit(t);
  return out;
}

/** The tables parents first; a cycle of keys deferred when all of them are deferrable, else refused. */
export function parentsFirst(tables: readonly string[], keys: readonly ForeignKey[]): TableOrder {
  const position = (t: string): number => tables.indexOf(t);
  const parts = components(tables, keys).map((p) => [...p].sort((a, b) => position(a) - position(b)));
  const partOf = new Map(parts.flatMap((p, i) => p.map((t) => [t, i] as const)));
  let deferred = false;
  for (const part of parts.filter((p) => p.length > 1)) {
    const inside = keys.filter((k) => part.includes(k.child) && part.includes(k.parent) && k.child !== k.parent);
    const fixed = inside.filter((k) => !k.deferrable);
    if (fixed.length) {
      throw new UsageError(
        `${part.join(', ')} reference each other in a cycle of foreign keys, and ${fixed.map((k) => `${k.name} (${k.child} → ${k.parent})`).join(', ')} ${fixed.length > 1 ? 'are' : 'is'} not deferrable: no order of the tables puts their rows back in one transaction`,
        {
          hint: 'leave these tables out of inputs.merge and take their rows from the dumps by hand, or make those keys DEFERRABLE in the live database and start again; nothing was changed',
        },
      );
    }
    deferred = true;
  }
  // Kahn's order over the components: of those whose parents are all placed, the one named first.
  const placed = new Set<number>();
  const order: string[] = [];
  const ready = (i: number): boolean =>
    keys.every((k) => partOf.get(k.child) !== i || partOf.get(k.parent) === i || placed.has(partOf.get(k.parent)!));
  while (placed.size < parts.length) {
    const next = parts
      .map((p, i) => ({ p, i }))
      .filter(({ i }) => !placed.has(i) && ready(i))
      .sort((a, b) => position(a.p[0]!) - position(b.p[0]!))[0]!;
    placed.add(next.i);
    order.push(...next.p);
  }
  return { tables: order, deferred };
}
