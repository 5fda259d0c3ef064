/** Text shaped for the operator's screen: command lines as a shell would read them, a step's result in a phrase, prose in lines. */
import { truncate } from '../../core/screen-lines.js';
import type { CommandResult, CommandSpec } from '../../core/seams.js';
import { pasteCommand } from '../../core/shell-quote.js';

/** A command line as the shell reads it, to paste. */
export const formatArgv = pasteCommand;

/** A command a step runs, as the verbose screen shows it: with its sudo, where it runs, and whether it writes. */
export function commandLine(where: string, spec: CommandSpec): string {
  const argv = spec.sudo ? ['sudo', '-n', ...spec.argv] : spec.argv;
  return `$ ${formatArgv(argv)}${where === 'local' ? '' : ` [${where}]`}${spec.writes ? ' (writes)' : ''}`;
}

/** What a command answered, as the verbose screen shows it: its first lines, its exit code and its time. */
export function commandResultLines(result: CommandResult, summary: string): string[] {
  const lines = summary.split(/\r?\n/).filter(Boolean).slice(0, 4);
  return [...lines, `→ exit ${result.exitCode}, ${result.durationMs} ms`];
}

/** An output's value in a phrase: a list of texts joined by commas, a list of records counted. */
export function shortValue(v: unknown): string {
  if (!Array.isArray(v)) return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
  return v.every((x) => typeof x === 'string' || typeof x === 'number') ? v.join(',') : `${v.length} record${v.length === 1 ? '' : 's'}`;
}

/** Longest result phrase on a step's status line (its first output may take more); the journal and `show` keep every output. */
const RESULT_WIDTH = 100;
const FIRST_RESULT_WIDTH = 160;

/**
 * A step's result for its status line: the outputs that hold something, in the action's order
 * (the first is what it was for: the GUID found, the URL moved to), as `name=value`, cut short.
 */
export function headline(outputs: Record<string, unknown>): string {
  const parts = Object.entries(outputs)
    .filter(([, v]) => v !== null && v !== undefined && v !== '' && (typeof v !== 'object' || (Array.isArray(v) && v.length > 0)))
    .map(([k, v]) => `${k}=${shortValue(v)}`);
  if (parts.length === 0) return 'done';
  let text = truncate(parts[0]!, FIRST_RESULT_WIDTH);
  for (const part of parts.slice(1)) {
    if (text.length + 1 + part.length > RESULT_WIDTH) return `${text} …`;
    text += ` ${part}`;
  }
  return text;
}

/** A reference as the operator reads it: `${steps.size-for-plan.outputs.grow}` is "size-for-plan's grow", `${inputs.x}` "the answer x". */
export function refInWords(ref: string): string {
  return ref
    .replace(/\$\{([^}]*&&[^}]*)\}/g, (_m, body: string) =>
      body
        .split('&&')
        .map((part) => refInWords(`\${${part.trim()}}`))
        .join(' and '),
    )
    .replace(/\$\{steps\.([\w-]+)\.outputs\.([\w-]+)\}/g, "$1's $2")
    .replace(/\$\{inputs\.([\w-]+)\}/g, 'the answer $1')
    .replace(/\$\{item\.([\w-]+)\}/g, "the item's $1");
}

/** Prose folded into lines of at most `width` (a longer word stands alone); a blank line parts paragraphs. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.trim().split(/\n\s*\n/)) {
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      if (line && line.length + word.length + 1 > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    if (line) out.push(line);
  }
  return out;
}
