/**
 * What the operator sees. By default one line per step: its status, title, the result that
 * matters and how long the work took (time spent at a prompt is not counted). Besides those, only
 * what the operator must read: the facts a typed confirmation is about, warnings, notices of a
 * resume, a step's notes when it asks something or stops, and long waits (on a terminal as the
 * working step's line rewritten in place, otherwise as an occasional plain line). Prompts come
 * in the middle of steps, so the live line is taken off for each one (pause/resume) and nothing
 * is drawn while it is asked. `verbose` shows everything a step does as well: commands and their
 * output, API calls, evidence and notes; the journal and `show` always keep all of it.
 *
 * Every line is redacted, then its control characters (remote output may hold any byte) are shown
 * as escapes; colour is added only afterwards, and only when wanted (see colourWanted).
 */
import type { Writable } from 'node:stream';
import type { CommandResult, CommandSpec } from '../core/seams.js';
import { MAX_COLUMNS, colourWanted, fold, formatDuration, palette, printable, truncate, type Palette } from '../core/display.js';
import type { Redactor } from '../core/redact.js';

export function quoteArg(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function formatArgv(argv: string[]): string {
  return argv.map(quoteArg).join(' ');
}

export interface ReporterOptions {
  /**
   * Show every command, output, API call, evidence and note too. A Reporter made without options
   * hides nothing; the driver passes the operator's --verbose.
   */
  verbose?: boolean;
  /** Write nothing at all. */
  quiet?: boolean;
  /** Rewrite the working step's line in place. Default: when not verbose and the stream is a terminal. */
  live?: boolean;
  /** Colour the status marks. Default: colourWanted(process.env, the stream is a terminal). */
  color?: boolean;
  /** Columns to fit lines in (never more than MAX_COLUMNS). Default: the terminal's width, else MAX_COLUMNS. */
  columns?: number;
  /** Clock in milliseconds (elapsed times, progress lines). Default Date.now. */
  now?: () => number;
  /** Without a live line, the least time between two progress lines of one step. */
  progressEveryMs?: number;
  /** How often the live line is redrawn. */
  tickMs?: number;
}

/** An answer to one of the runbook's inputs, and where it came from. */
export interface AnswerShown {
  name: string;
  prompt: string;
  value: unknown;
  source: 'prompt' | 'answers' | 'default';
}

interface OpenStep {
  index: number;
  total: number;
  title: string;
  startedAt: number;
  /** Time spent at prompts so far, and since when the step waits on one. */
  pausedMs: number;
  pausedAt?: number;
  /** The wait's latest progress, and the latest command or API call. */
  progress?: string;
  doing?: string;
  /** A header line naming the step was written (something is shown under it before its status line). */
  headed: boolean;
  lastProgressAt: number;
  /** How the step's confirmation was given, for its status line. */
  confirmed?: string;
  /** Its notes not shown yet: shown if it asks the operator something or stops. */
  notes: string[];
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\x1b[2K';
/** Longest result phrase on a step's status line (its first output may take more); the journal and `show` keep every output. */
const RESULT_WIDTH = 100;
const FIRST_RESULT_WIDTH = 160;
/** The user's answers are packed into lines this wide. */
const ANSWERS_WIDTH = 120;

/**
 * A step's result for its status line: the outputs that hold something, in the action's order
 * (the first is what it was for: the GUID found, the URL moved to), as `name=value`, cut short.
 */
export function headline(outputs: Record<string, unknown>): string {
  const parts = Object.entries(outputs)
    .filter(([, v]) => v !== null && v !== undefined && v !== '' && (typeof v !== 'object' || (Array.isArray(v) && v.length > 0)))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`);
  if (parts.length === 0) return 'no outputs';
  let text = truncate(parts[0]!, FIRST_RESULT_WIDTH);
  for (const part of parts.slice(1)) {
    if (text.length + 1 + part.length > RESULT_WIDTH) return `${text} …`;
    text += ` ${part}`;
  }
  return text;
}

export class Reporter {
  readonly verbose: boolean;
  private readonly quiet: boolean;
  private readonly live: boolean;
  private readonly paint: Palette;
  private readonly now: () => number;
  private readonly progressEveryMs: number;
  private readonly tickMs: number;
  private readonly columns?: number;
  private step?: OpenStep;
  /** A live line is on the screen (the cursor stands at its end). */
  private drawn = false;
  private timer?: ReturnType<typeof setInterval>;
  private frame = 0;
  private prompting = false;

  constructor(
    private readonly out: Writable,
    private readonly redactor: Redactor,
    readonly rehearsal: boolean,
    options: ReporterOptions = {},
  ) {
    const tty = (out as { isTTY?: boolean }).isTTY === true;
    this.verbose = options.verbose ?? true;
    this.quiet = options.quiet ?? false;
    this.live = options.live ?? (tty && !this.verbose);
    this.paint = palette(options.color ?? colourWanted(process.env, tty));
    this.now = options.now ?? Date.now;
    this.progressEveryMs = options.progressEveryMs ?? 30_000;
    this.tickMs = options.tickMs ?? 200;
    this.columns = options.columns;
  }

  /** The width lines are fitted to. */
  private width(): number {
    const screen = this.columns ?? ((this.out as { columns?: number }).columns || MAX_COLUMNS);
    return Math.max(40, Math.min(screen, MAX_COLUMNS));
  }

  private safe(text: string): string {
    return printable(this.redactor.redact(text));
  }

  private raw(text: string): void {
    if (!this.quiet) this.out.write(text);
  }

  private clearLive(): void {
    if (!this.drawn) return;
    this.raw(CLEAR_LINE);
    this.drawn = false;
  }

  /** Lines already made safe (and painted): the live line is taken off first and drawn again below them. */
  private permanent(lines: string[]): void {
    if (this.quiet) return;
    this.clearLive();
    this.raw(lines.join('\n') + '\n');
    this.draw();
  }

  /** Text as lines under `indent`: redacted, escaped, folded to the screen unless verbose, then painted. */
  private show(text: string, indent = '', paint: (s: string) => string = (s) => s): void {
    const lines = this.safe(text)
      .split('\n')
      .map((l) => indent + l)
      .flatMap((l) => (this.verbose ? [l] : fold(l, this.width())));
    this.permanent(lines.map(paint));
  }

  /** A line of the verbose transcript: redacted and escaped, never folded. */
  private write(text: string): void {
    this.permanent([this.safe(text)]);
  }

  line(text = ''): void {
    this.show(text);
  }

  /** The user's answers that were not typed at a prompt (a prompt already shows its answer). */
  answers(answers: AnswerShown[]): void {
    const shown = answers.filter((a) => a.source !== 'prompt');
    if (shown.length === 0) return;
    const value = (v: unknown): string => (Array.isArray(v) ? v.join(', ') || '(none)' : String(v));
    if (this.verbose) {
      this.write('');
      this.write("The user's answers");
      for (const a of shown) this.note(`${a.prompt}: ${value(a.value)} (${a.source})`);
      return;
    }
    const fromFile = shown.some((a) => a.source === 'answers');
    const parts = shown.map(
      (a, i) => `${a.name} ${value(a.value)}${a.source === 'default' ? ' (default)' : ''}${i < shown.length - 1 ? ',' : ''}`,
    );
    // Packed a whole answer at a time, so no answer is split across lines.
    const width = Math.min(this.width(), ANSWERS_WIDTH);
    const lines = [`The user's answers${fromFile ? ' (answers file)' : ''}:`];
    for (const part of parts) {
      const last = lines[lines.length - 1]!;
      if (last.length + 1 + part.length > width && last.trim()) lines.push(`    ${part}`);
      else lines[lines.length - 1] = `${last} ${part}`;
    }
    for (const l of lines) this.show(l);
  }

  stepHeader(index: number, total: number, title: string, why: string): void {
    this.leaveStep();
    const at = this.now();
    this.step = { index, total, title, startedAt: at, pausedMs: 0, headed: false, lastProgressAt: at, notes: [] };
    if (this.verbose) {
      this.write('');
      this.permanent([this.paint.bold(this.safe(`[${index}/${total}] ${title}`))]);
      for (const l of wrap(why, 90)) this.write(`      ${l}`);
      return;
    }
    this.startLive();
  }

  command(system: string, where: string, spec: CommandSpec): void {
    const argv = spec.sudo ? ['sudo', '-n', ...spec.argv] : spec.argv;
    const place = where === 'local' ? '' : ` [${where}]`;
    const tag = spec.writes ? ' (writes)' : '';
    if (this.step) this.step.doing = `$ ${formatArgv(spec.argv)}`;
    if (this.verbose) this.write(`      $ ${formatArgv(argv)}${place}${tag}`);
    void system;
  }

  commandResult(result: CommandResult, summary: string): void {
    if (!this.verbose) return;
    const lines = summary.split(/\r?\n/).filter(Boolean).slice(0, 4);
    for (const l of lines) this.write(`        ${l}`);
    this.write(`        → exit ${result.exitCode}, ${result.durationMs} ms`);
  }

  api(text: string): void {
    if (this.step) this.step.doing = text;
    if (this.verbose) this.write(`      ⇢ ${text}`);
  }

  /** Evidence a step gathered (verbose; always journaled). */
  evidence(text: string): void {
    if (!this.verbose) return;
    for (const l of text.split(/\r?\n/)) this.write(`      evidence: ${l}`);
  }

  /** The facts the operator confirms: always shown, under a line naming the step. */
  confirmation(facts: Record<string, string>): void {
    const entries = Object.entries(facts);
    if (this.verbose) {
      for (const [k, v] of entries) this.evidence(`${k}: ${v}`);
      return;
    }
    if (entries.length === 0) return;
    this.head('confirm');
    for (const [k, v] of entries) this.show(`${k}: ${v}`, '    ');
  }

  /**
   * How the confirmation was given ("confirmed by --yes"): a note when verbose (unless `seen`: the
   * prompt itself showed the answer), else said on the step's status line.
   */
  confirmedBy(text: string, seen = false): void {
    if (this.verbose) {
      if (!seen) this.note(text);
    } else if (this.step) this.step.confirmed = text;
  }

  /**
   * A note of the step. Compact: a warning ("warning: …") is shown at once; the others only if the
   * step then asks the operator something or stops (what it noted is what they decide on).
   */
  note(text: string): void {
    if (this.verbose) {
      for (const l of text.split(/\r?\n/)) this.write(`      ${l}`);
      return;
    }
    if (!/^\s*warning:/i.test(text)) {
      this.step?.notes.push(text);
      return;
    }
    this.head();
    this.show(text.trim(), this.step ? '    ' : '', this.paint.yellow);
  }

  /** Shows the open step's notes not shown yet. */
  private showNotes(): void {
    const step = this.step;
    if (!step || step.notes.length === 0) return;
    this.head();
    for (const n of step.notes.splice(0)) this.show(n, '    ');
  }

  /** Something the operator should know whatever the verbosity (a resume's decision, a changed input). */
  notice(text: string): void {
    if (this.verbose) return this.note(text);
    this.head();
    this.show(text, this.step ? '    ' : '');
  }

  /** Progress of a long wait: the live line's detail, or now and then a plain line. */
  progress(text: string): void {
    if (this.verbose) {
      this.write(`      … ${text}`);
      return;
    }
    const step = this.step;
    if (!step) return;
    step.progress = text;
    if (this.live) return;
    const at = this.now();
    if (at - step.lastProgressAt < this.progressEveryMs) return;
    step.lastProgressAt = at;
    this.head();
    this.show(`… ${formatDuration(this.elapsed(step))}: ${text}`, '    ');
  }

  /** The step succeeded: `text` is its result, `durationMs` the time it worked (prompts left out). */
  done(text: string, durationMs?: number): void {
    if (this.verbose)
      return this.verboseStatus(this.paint.green('✔'), text + (durationMs === undefined ? '' : ` (${(durationMs / 1000).toFixed(1)} s)`));
    this.status('✔', this.paint.green, text, durationMs);
  }

  /** The step did not run now (done earlier, or its condition is false); `notice` says more, e.g. what a resume re-established. */
  skipped(text: string, notice?: string): void {
    if (this.verbose) {
      this.verboseStatus(this.paint.dim('↷'), text);
      if (notice) this.note(notice);
      return;
    }
    this.status('↷', this.paint.dim, text);
    if (notice) this.show(notice, '    ');
  }

  /** A step failed. Compact: its status line only; the run's closing lines say why and what to do. */
  failed(text: string, hint?: string, durationMs?: number): void {
    if (this.verbose) {
      this.verboseStatus(this.paint.red('✖'), text);
      if (hint) this.write(`        what to do: ${hint}`);
      return;
    }
    this.showNotes();
    this.status('✖', this.paint.red, 'failed', durationMs);
  }

  /** The run stopped inside a step (a question with no answer, a step of unknown outcome): its status line says so. */
  stopped(): void {
    if (this.verbose || !this.step) return this.leaveStep();
    this.showNotes();
    this.status('✖', this.paint.red, 'stopped');
  }

  /** A prompt takes the screen: the live line goes, the step's notes are shown, and its clock stops until `resume`. */
  pause(): void {
    this.prompting = true;
    this.stopTimer();
    this.clearLive();
    if (!this.verbose) this.showNotes();
    if (this.step && this.step.pausedAt === undefined) this.step.pausedAt = this.now();
  }

  resume(): void {
    this.prompting = false;
    const step = this.step;
    if (step?.pausedAt !== undefined) {
      step.pausedMs += this.now() - step.pausedAt;
      step.pausedAt = undefined;
    }
    if (step && !this.verbose) this.startLive();
  }

  /** The end of the run's output: stops redrawing and takes the live line off the screen. */
  close(): void {
    this.leaveStep();
  }

  private verboseStatus(mark: string, text: string): void {
    this.permanent([`      ${mark} ${this.safe(text)}`]);
    this.leaveStep();
  }

  /** The step's one status line: mark, number, title, result, time at work and how it was confirmed. */
  private status(mark: string, paint: (s: string) => string, text: string, durationMs?: number): void {
    const step = this.step;
    this.leaveStep();
    if (!step) return;
    const meta = [formatDuration(durationMs ?? this.elapsed(step)), step.confirmed].filter(Boolean).join(', ');
    this.markedLine(mark, paint, `[${step.index}/${step.total}] ${step.title}${text ? ` — ${text}` : ''} (${meta})`);
  }

  private markedLine(mark: string, paint: (s: string) => string, text: string): void {
    const lines = fold(`${mark} ${this.safe(text)}`, this.width());
    lines[0] = paint(mark) + lines[0]!.slice(mark.length);
    this.permanent(lines);
  }

  /** Writes, once, a line naming the open step, so what follows reads as the step's. */
  private head(kind?: 'confirm'): void {
    const step = this.step;
    if (!step || step.headed || this.verbose) return;
    step.headed = true;
    const text = `[${step.index}/${step.total}] ${step.title}${kind === 'confirm' ? ' — confirm on these facts:' : ''}`;
    this.markedLine(kind === 'confirm' ? '?' : '›', this.paint.cyan, text);
  }

  /** Leaves the open step (its status line written or not): no more live line for it. */
  private leaveStep(): void {
    this.stopTimer();
    this.clearLive();
    this.step = undefined;
  }

  private startLive(): void {
    if (!this.live || this.prompting || this.quiet) return;
    this.timer ??= setInterval(() => {
      this.frame = (this.frame + 1) % SPINNER.length;
      this.draw();
    }, this.tickMs);
    this.timer.unref?.();
    this.draw();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The step's time at work: since it started, less the time it waited on a prompt. */
  private elapsed(step: OpenStep): number {
    const paused = step.pausedMs + (step.pausedAt === undefined ? 0 : this.now() - step.pausedAt);
    return Math.max(0, this.now() - step.startedAt - paused);
  }

  /** The live line: spinner, step, time at work, and what it waits for or does; never wider than the screen. */
  private draw(): void {
    const step = this.step;
    if (!this.live || !step || this.prompting || this.quiet || this.verbose) return;
    const detail = step.progress ?? step.doing;
    const text = this.safe(
      `[${step.index}/${step.total}] ${step.title} · ${formatDuration(this.elapsed(step))}${detail ? ` · ${detail}` : ''}`,
    ).replace(/\n/g, ' ');
    const spin = SPINNER[this.frame]!;
    const line = truncate(`${spin} ${text}`, this.width() - 1);
    this.raw(CLEAR_LINE + this.paint.cyan(spin) + line.slice(spin.length));
    this.drawn = true;
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
