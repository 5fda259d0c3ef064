/**
 * What the operator sees. Plain lines (no redraws), so the output reads the same in
 * a terminal, in a CI log and in a pasted incident report. All text is redacted, and
 * its control characters (remote output may hold any byte) are shown as escapes.
 */
import type { Writable } from 'node:stream';
import type { CommandResult, CommandSpec } from '../systems/types.js';
import { printable } from './display.js';
import type { Redactor } from './redact.js';

export function quoteArg(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function formatArgv(argv: string[]): string {
  return argv.map(quoteArg).join(' ');
}

export class Reporter {
  constructor(
    private readonly out: Writable,
    private readonly redactor: Redactor,
    readonly rehearsal: boolean,
    private readonly quiet = false,
  ) {}

  private write(text: string): void {
    if (!this.quiet) this.out.write(printable(this.redactor.redact(text)) + '\n');
  }

  line(text = ''): void {
    this.write(text);
  }

  stepHeader(index: number, total: number, title: string, why: string): void {
    this.write('');
    this.write(`[${index}/${total}] ${title}`);
    for (const l of wrap(why, 90)) this.write(`      ${l}`);
  }

  command(system: string, where: string, spec: CommandSpec): void {
    const argv = spec.sudo ? ['sudo', '-n', ...spec.argv] : spec.argv;
    const place = where === 'local' ? '' : ` [${where}]`;
    const tag = spec.writes ? ' (writes)' : '';
    this.write(`      $ ${formatArgv(argv)}${place}${tag}`);
    void system;
  }

  commandResult(result: CommandResult, summary: string): void {
    const lines = summary.split(/\r?\n/).filter(Boolean).slice(0, 4);
    for (const l of lines) this.write(`        ${l}`);
    this.write(`        → exit ${result.exitCode}, ${result.durationMs} ms`);
  }

  api(text: string): void {
    this.write(`      ⇢ ${text}`);
  }

  evidence(text: string): void {
    for (const l of text.split(/\r?\n/)) this.write(`      evidence: ${l}`);
  }

  note(text: string): void {
    for (const l of text.split(/\r?\n/)) this.write(`      ${l}`);
  }

  progress(text: string): void {
    this.write(`      … ${text}`);
  }

  done(text: string): void {
    this.write(`      ✔ ${text}`);
  }

  skipped(text: string): void {
    this.write(`      ↷ ${text}`);
  }

  failed(text: string, hint?: string): void {
    this.write(`      ✖ ${text}`);
    if (hint) this.write(`        what to do: ${hint}`);
  }
}

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
