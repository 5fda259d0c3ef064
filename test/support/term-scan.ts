/** Runs the term scanner over chunks and collects what it reports: hits, overlong lines, binary line count. */
import type { ScanTerm } from '../../src/core/log-source.js';
import { TermScanner } from '../../src/systems/syslog/index.js';

export function scanChunks(terms: readonly ScanTerm[], chunks: Buffer[]) {
  const hits: { line: string; offset: number }[] = [];
  const long: { offset: number; length: number }[] = [];
  let binary = 0;
  const s = new TermScanner(terms, {
    hit: (line, offset) => hits.push({ line, offset }),
    longLine: (offset, length) => long.push({ offset, length }),
    binaryLines: (_o, n) => (binary += n),
  });
  for (const c of chunks) s.push(c);
  s.end();
  return { hits, long, binary };
}
