/**
 * Line numbers for the lines a search skipped: the scan counts bytes, not lines, so the files
 * that had a skipped line are read again up to it, within a budget.
 */
import type { Readable } from 'node:stream';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { refreshProblems, skippedEntry, type SearchReport, type SkippedInput } from '../../core/log-source.js';
import { OPEN_FLAGS } from '../file-problems.js';
import { CHUNK } from './term-scanner.js';

/** Bytes read again, over all files of a search, to number skipped lines; past it they keep their byte offsets. */
const LINE_COUNT_BUDGET = 256 * 1024 * 1024;
/** Skipped entries whose line numbers were looked for already (found or not). */
const numbered = new WeakSet<SkippedInput>();

/**
 * Line numbers for the skipped lines of files: the scan counts bytes, not lines (counting every
 * newline would halve its speed), so the files that had a skipped line are read again up to it.
 */
export async function numberSkippedLines(report: SearchReport): Promise<void> {
  const byPath = new Map<string, number[]>();
  report.skipped.forEach((s, i) => {
    if (s.offset === undefined || s.line !== undefined || numbered.has(s) || s.path === '-' || s.path.startsWith('es:')) return;
    numbered.add(s);
    byPath.set(s.path, [...(byPath.get(s.path) ?? []), i]);
  });
  if (byPath.size === 0) return;
  let budget = LINE_COUNT_BUDGET;
  for (const [path, indexes] of byPath) {
    const need = Math.max(...indexes.map((i) => report.skipped[i]!.offset!));
    if (need > budget) continue;
    budget -= need;
    const gzip = report.files.find((f) => f.path === path)?.gzip ?? false;
    const lines = await lineNumbersAt(
      path,
      gzip,
      indexes.map((i) => report.skipped[i]!.offset!),
    ).catch(() => new Map<number, number>());
    for (const i of indexes) {
      const s = report.skipped[i]!;
      const line = lines.get(s.offset!);
      if (line !== undefined) report.skipped[i] = skippedEntry(s.path, line, s.offset, s.kind, s.why);
    }
  }
  refreshProblems(report);
}

/** The 1-based line number at each byte offset of a file's (uncompressed) content. */
async function lineNumbersAt(path: string, gzip: boolean, offsets: number[]): Promise<Map<number, number>> {
  const wanted = [...new Set(offsets)].sort((a, b) => a - b);
  const found = new Map<number, number>();
  const fh = await open(path, OPEN_FLAGS);
  let raw: Readable | undefined;
  let stream: Readable | undefined;
  try {
    if (!(await fh.stat()).isFile()) return found;
    raw = fh.createReadStream({ highWaterMark: CHUNK, start: 0, autoClose: false });
    stream = gzip ? raw.pipe(createGunzip({ chunkSize: CHUNK })) : raw;
    if (gzip) raw.on('error', (err) => stream!.destroy(err));
    let base = 0;
    let newlines = 0;
    let next = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const end = base + chunk.length;
      let p = 0;
      while (next < wanted.length && wanted[next]! < end) {
        const upto = wanted[next]! - base;
        for (let nl = chunk.indexOf(10, p); nl >= 0 && nl < upto; nl = chunk.indexOf(10, nl + 1)) {
          newlines += 1;
          p = nl + 1;
        }
        p = Math.max(p, upto);
        found.set(wanted[next]!, newlines + 1);
        next += 1;
      }
      if (next >= wanted.length) break;
      for (let nl = chunk.indexOf(10, p); nl >= 0; nl = chunk.indexOf(10, nl + 1)) newlines += 1;
      base = end;
    }
  } catch {
    // A file that cannot be read again keeps the byte offsets of its skipped lines.
  } finally {
    stream?.destroy();
    raw?.destroy();
    await fh.close().catch(() => undefined);
  }
  return found;
}
