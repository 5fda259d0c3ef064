import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_LINE } from '../../../src/systems/syslog/index.js';
import { scanChunks } from '../../support/term-scan.js';
import { termText, type ScanTerm } from '../../../src/core/log-source.js';

/** What the scanner reports, with overlong lines by their offset as the reference gives them. */
function scan(terms: ScanTerm[], chunks: Buffer[]) {
  const r = scanChunks(terms, chunks);
  return { ...r, long: r.long.map((l) => l.offset) };
}

/**
 * The naive reading the scanner must agree with: split on newlines, test each line for each term
 * (and, for a term with words, for one of its words).
 */
function reference(terms: ScanTerm[], data: Buffer) {
  const hits: { line: string; offset: number }[] = [];
  const long: number[] = [];
  let binary = 0;
  const needles = terms
    .filter((t) => termText(t) !== '')
    .map((t) => ({
      term: Buffer.from(termText(t)),
      words: typeof t === 'string' ? null : t.onlyWith.filter((w) => w !== '').map((w) => Buffer.from(w)),
    }));
  let start = 0;
  while (start < data.length) {
    const nl = data.indexOf(10, start);
    const end = nl < 0 ? data.length : nl;
    const line = data.subarray(start, end);
    if (line.length > MAX_LINE) long.push(start);
    else if (line.includes(0)) binary += 1;
    else if (needles.some((n) => line.includes(n.term) && (!n.words || n.words.some((w) => line.includes(w))))) {
      const text = line.length > 0 && line[line.length - 1] === 13 ? line.subarray(0, -1) : line;
      hits.push({ line: text.toString('utf8'), offset: start });
    }
    start = end + 1;
  }
  return { hits, long, binary };
}

function chunked(data: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, data.length]) {
    if (c > prev) out.push(data.subarray(prev, c));
    prev = c;
  }
  return out;
}

const TERMS = ['{"timestamp"', 'Target', '/wal/'];
// Lines built from pieces of the terms, CRLF, NUL, multi-byte characters and plain text.
const piece = fc.constantFrom(
  '{"time',
  'stamp"',
  '{"timestamp"',
  'Tar',
  'get',
  'Target',
  '/wal',
  '/',
  'wal/',
  '\r',
  '\n',
  '\r\n',
  '\u0000',
  'é',
  '日本',
  ' ',
  'x',
  'broker',
);
const data = fc.array(piece, { maxLength: 200 }).map((ps) => Buffer.from(ps.join('')));

describe('TermScanner against split + includes', () => {
  it('finds exactly the lines the naive reading finds, at the same offsets, however the stream is chunked', () => {
    fc.assert(
      fc.property(data, fc.array(fc.nat(), { maxLength: 12 }), (d, cuts) => {
        expect(scan(TERMS, chunked(d, cuts))).toEqual(reference(TERMS, d));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees on random bytes, terms included', () => {
    const bytes = fc.array(fc.oneof(fc.uint8Array({ maxLength: 30 }), fc.constantFrom(...TERMS.map((t) => Buffer.from(t)))), {
      maxLength: 40,
    });
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 8 }), (parts, cuts) => {
        const d = Buffer.concat(parts.map((p) => Buffer.from(p)));
        expect(scan(TERMS, chunked(d, cuts))).toEqual(reference(TERMS, d));
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees for terms that count only with one of some words, searched from whichever byte the first chunk makes rarest', () => {
    const word = fc.constantFrom('provision', 'node.perform', 'wal', 'é', 'x', '', '/', 'stamp"');
    const term = fc.oneof(
      fc.constantFrom(...TERMS),
      fc.record({ term: fc.constantFrom(...TERMS, '{"time', 'broker'), onlyWith: fc.array(word, { maxLength: 3 }) }),
    );
    const text = fc
      .array(fc.oneof(piece, fc.constantFrom('provision', 'node.perform', 'prov', 'é')), { maxLength: 120 })
      .map((ps) => Buffer.from(ps.join('')));
    fc.assert(
      fc.property(fc.array(term, { minLength: 1, maxLength: 4 }), text, fc.array(fc.nat(), { maxLength: 8 }), (terms, d, cuts) => {
        expect(scan(terms, chunked(d, cuts))).toEqual(reference(terms, d));
      }),
      { seed: 2411, numRuns: 2000 },
    );
  });

  it('agrees around lines longer than MAX_LINE, fed in chunks of MAX_LINE or less', () => {
    const long = Buffer.alloc(MAX_LINE + 10, 'Target ');
    const d = Buffer.concat([Buffer.from('a /wal/ line\r\n'), long, Buffer.from('\nTarget after\n'), long, Buffer.from('\nend /wal/')]);
    for (const size of [MAX_LINE, 65536, 4099]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < d.length; i += size) chunks.push(d.subarray(i, i + size));
      expect(scan(TERMS, chunks), `chunks of ${size}`).toEqual(reference(TERMS, d));
    }
  });
});
