/**
 * The literal terms of a scan, compiled for Buffer#indexOf, which stops (memchr) at each
 * occurrence of a needle's first byte: each term is searched from its rarest byte, as measured on
 * a sample of the data, and then checked whole. A term that counts only on lines that also hold
 * one of some words (ScanTerm's `onlyWith`) looks for them with one regular expression on the
 * line's bytes read as Latin-1 (one character a byte: cheaper than a Buffer search per word, and
 * exact for words of any script), so the lines it rejects are never decoded as text.
 */
import { termText, type ScanTerm } from '../../core/log-source.js';
import { escapeRegExp } from '../../core/regexp.js';

/** A literal and the byte it is searched from: memchr stops at each occurrence of a needle's first byte. */
class Needle {
  private anchor = 0;
  private from: Buffer;

  constructor(readonly whole: Buffer) {
    this.from = whole;
  }

  /** Searches from the byte of the literal that is rarest in the sample's byte counts (the first of equals). */
  tune(counts: Uint32Array): void {
    const w = this.whole;
    let best = 0;
    for (let k = 1; k < w.length; k++) if (counts[w[k]!]! < counts[w[best]!]!) best = k;
    this.anchor = best;
    this.from = w.subarray(best);
  }

  /** Where the literal next starts in `data`, at or after `at`; -1 when it does not. */
  find(data: Buffer, at: number): number {
    const k = this.anchor;
    for (let p = data.indexOf(this.from, at + k); p >= 0; p = data.indexOf(this.from, p + 1)) {
      if (k === 0 || startsWith(data, p - k, this.whole, k)) return p - k;
    }
    return -1;
  }
}

export class TermSet {
  private readonly terms: Needle[];
  /** Per term, the words one of which a line must also hold, as bytes in Latin-1 (null: the term alone counts). */
  private readonly with: (RegExp | null)[];

  constructor(terms: readonly ScanTerm[]) {
    // A term given both alone and with words counts alone; words given twice are one list.
    const merged = new Map<string, Set<string> | null>();
    for (const t of terms) {
      const text = termText(t);
      if (text === '') continue;
      const words = typeof t === 'string' ? null : new Set(t.onlyWith.filter((w) => w !== ''));
      const before = merged.get(text);
      merged.set(text, before === null || words === null ? null : before ? new Set([...before, ...words]) : words);
    }
    const needle = (text: string): Needle => new Needle(Buffer.from(text, 'utf8'));
    this.terms = [...merged.keys()].map(needle);
    this.with = [...merged.values()].map((w) => (w ? anyOf([...w]) : null));
  }

  get size(): number {
    return this.terms.length;
  }

  /** Searches each term from its byte that is rarest in `sample`. */
  tune(sample: Buffer): void {
    const counts = new Uint32Array(256);
    for (let i = 0; i < sample.length; i++) counts[sample[i]!]! += 1;
    for (const n of this.terms) n.tune(counts);
  }

  /** Where term `t` next starts in `region`, at or after `from`; -1 when it does not. */
  find(region: Buffer, t: number, from: number): number {
    return this.terms[t]!.find(region, from);
  }

  /** Whether the line [start, end) of `region`, which holds term `t`, counts. */
  counts(t: number, region: Buffer, start: number, end: number): boolean {
    const words = this.with[t];
    return !words || words.test(region.toString('latin1', start, end));
  }
}

/** A pattern for any of the words, each as its UTF-8 bytes read as Latin-1; none never matches. */
function anyOf(words: string[]): RegExp {
  if (words.length === 0) return /(?!)/;
  const bytes = words.map((w) => escapeRegExp(Buffer.from(w, 'utf8').toString('latin1')));
  return new RegExp(bytes.join('|'));
}

/** Whether the first `length` bytes of `literal` stand at `at` in `data`. */
function startsWith(data: Buffer, at: number, literal: Buffer, length: number): boolean {
  for (let j = 0; j < length; j++) if (data[at + j] !== literal[j]) return false;
  return true;
}
