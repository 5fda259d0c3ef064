/** The runbook loader's problems, each `FILE:LINE: message`, and small readers of YAML nodes. */
import { isScalar, type LineCounter, type Node, type YAMLMap } from 'yaml';
import { UsageError } from '../../core/errors.js';

export class Problems {
  readonly list: string[] = [];
  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
  ) {}
  at(node: Node | null | undefined, fallbackLine: number, message: string): void {
    this.list.push(`${this.file}:${this.lineOf(node, fallbackLine)}: ${message}`);
  }
  lineOf(node: Node | null | undefined, fallbackLine = 1): number {
    const offset = node?.range?.[0];
    return offset === undefined ? fallbackLine : this.lines.linePos(offset).line;
  }
}

/** Each key of `map` that is none of `known`, a problem at that key worded by `message`. */
export function unknownKeys(
  map: YAMLMap,
  known: readonly string[],
  problems: Problems,
  line: number,
  message: (key: string) => string,
): void {
  for (const pair of map.items) {
    const key = keyOf(pair.key);
    if (!known.includes(key)) problems.at(pair.key as Node, line, message(key));
  }
}

export function str(map: YAMLMap, key: string): string | undefined {
  const v = map.get(key);
  return typeof v === 'string' ? v : undefined;
}

/** The key of a mapping's pair as text. */
export function keyOf(key: unknown): string {
  return isScalar(key) ? String(key.value) : '';
}

/** A value node as plain data (null for an empty value). */
export function plain(node: unknown): unknown {
  return (node as { toJSON?: () => unknown } | null | undefined)?.toJSON?.() ?? null;
}

export function runbookError(list: string[]): UsageError {
  return new UsageError(list.join('\n'), { hint: 'fix the runbook and run `dingo-recover validate FILE` again' });
}
