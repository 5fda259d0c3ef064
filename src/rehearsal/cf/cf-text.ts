/**
 * The layout the cf CLI prints with, in every era: padded tables, key/value blocks, and how a
 * failed command splits FAILED and its reason between stdout and stderr.
 */
import { type Rendered, cfEra } from '../../adapters/cf/index.js';

/** A command that exited 0 and printed `stdout`. */
export const ok = (stdout: string): Rendered => ({ stdout, stderr: '', exitCode: 0 });

/** Columns padded to their widest cell plus three spaces, as `ui.DisplayTableWithHeader` does. */
export function padTable(rows: string[][], indent = ''): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map(
      (row) =>
        indent +
        row
          .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + 3)))
          .join('')
          .trimEnd(),
    )
    .map((line) => line + '\n')
    .join('');
}

/** Key/value block (`name:   value`) padded like the CLI's `DisplayKeyValueTable`. */
export function keyValues(pairs: [string, string][], indent = ''): string {
  const width = Math.max(...pairs.map(([k]) => k.length + 1)) + 3;
  return pairs.map(([k, v]) => `${indent}${(k + ':').padEnd(width)}${v}`.trimEnd() + '\n').join('');
}

/**
 * A failed command. 6.33+ prints `FAILED` on stdout and the reason on stderr; legacy CLIs print
 * both on stdout (`cf/terminal/ui.go` `Failed`).
 */
export function renderFailure(version: string, message: string, preamble = '', exitCode = 1): Rendered {
  if (cfEra(version) === 'legacy') return { stdout: `${preamble}FAILED\n${message}\n`, stderr: '', exitCode };
  return { stdout: `${preamble}FAILED\n`, stderr: `${message}\n`, exitCode };
}
