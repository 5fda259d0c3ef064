/**
 * The key space of a folder of WAL names cut into blocks, as the parallel listing cuts it: each block
 * a prefix one WAL-name character (hex digits and ".") longer than its parent, sized from the density
 * of the keys a listing has seen so far.
 */

/** Characters of WAL file names, in key order. */
const ALPHABET = '.0123456789ABCDEF';

/** Prefixes that together hold the keys under `scope` after `after`, as far as WAL names go. */
export function prefixesAfter(scope: string, after: string): string[] {
  const out: string[] = [];
  for (let j = scope.length; j < after.length; j++) {
    for (const c of ALPHABET) if (c > after[j]!) out.push(after.slice(0, j) + c);
  }
  return out;
}

/** Value of four WAL-name characters from `at` (hex digits; anything else counts as 0). */
function digits(key: string, at: number): number {
  let v = 0;
  for (let i = at; i < at + 4; i++) v = v * 16 + Math.max(0, '0123456789ABCDEF'.indexOf(key[i] ?? '0'));
  return v;
}

export interface BlockPlan {
  /** The block holding `k`, which the listing keeps. */
  block: string;
  /** The block's parent: every block of it after `block` is in `siblings`. */
  parent: string;
  siblings: string[];
  /** Keys per block, estimated from the density seen. */
  estimate: number;
  /** The character of `k` that names its block. */
  at: string;
}

/**
 * After `seen` keys from `first` to `k` under `scope`: the blocks around `k`.
 * D is the first position where `first` and `k` differ; the density of keys
 * there gives the keys per block at each prefix length, and the blocks are the
 * smallest ones expected to hold `blockKeys` keys (one character longer than
 * `scope` at the least, one past D at the most). Null when `k` stops being a
 * WAL name before the split position.
 */
export function planBlocks(scope: string, first: string, k: string, zoneEnd: number, seen: number, blockKeys: number): BlockPlan | null {
  let diff = scope.length;
  while (diff < k.length && first[diff] === k[diff]) diff++;
  const depth = Math.min(diff, zoneEnd - 1, k.length - 1);
  if (depth < scope.length) return null;
  // Keys per block one past D: `seen` keys spread over the distance first..k, at four characters' resolution.
  let estimate = (seen * 4096) / (Math.abs(digits(k, depth) - digits(first, depth)) + 1);
  let length = depth + 1;
  while (length > scope.length + 1 && estimate < blockKeys) {
    length--;
    estimate *= 16;
  }
  for (let j = scope.length; j < length; j++) if (ALPHABET.indexOf(k[j]!) < 0) return null;
  const parent = k.slice(0, length - 1);
  const at = ALPHABET.indexOf(k[length - 1]!);
  return {
    block: k.slice(0, length),
    parent,
    siblings: Array.from(ALPHABET.slice(at + 1), (c) => parent + c),
    estimate: Math.max(1, Math.round(estimate)),
    at: k[length - 1]!,
  };
}
