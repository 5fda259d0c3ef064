/**
 * The screen of one for-each item: items run at once, so no line is rewritten in place. Each of the
 * item's steps gets one line when it ends (`✔ [key] [3/12] title — result (1.2 s, how confirmed)`);
 * warnings, notices, the facts of a confirmation the operator is asked for, and now and then the
 * progress of a long wait are printed as they come, each prefixed with `[key]`.
 */
import type { CommandResult, CommandSpec } from '../../core/seams.js';
import { oneLine } from '../../core/display.js';
import { formatDuration } from '../../core/duration.js';
import { OpenStep } from './open-step.js';
import type { Colour } from './reporter-options.js';
import { commandLine, commandResultLines } from './screen-text.js';
import { WARNED_MARK, warnedText, type StepScreen } from './step-screen.js';

/** Where an item screen prints: the run's reporter. */
export interface ScreenSink {
  readonly verbose: boolean;
  line(text: string): void;
  marked(mark: string, colour: Colour, text: string): void;
  now(): number;
  readonly progressEveryMs: number;
}

export class ItemScreen implements StepScreen {
  readonly verbose: boolean;
  private step?: OpenStep;

  /** The item's key as the screen shows it: one line, whatever the name holds. */
  private readonly key: string;

  constructor(
    private readonly sink: ScreenSink,
    key: string,
  ) {
    this.verbose = sink.verbose;
    this.key = oneLine(key);
  }

  private say(text: string): void {
    for (const l of text.split(/\r?\n/)) this.sink.line(`  [${this.key}] ${l}`);
  }

  private label(): string {
    return this.step ? `[${this.key}] ${this.step.label()}` : `[${this.key}]`;
  }

  stepHeader(index: number, total: number, title: string): void {
    this.step = new OpenStep(index, total, title, this.sink.now());
  }

  command(_system: string, where: string, spec: CommandSpec): void {
    if (this.verbose) this.say(commandLine(where, spec));
  }

  commandResult(result: CommandResult, summary: string): void {
    if (!this.verbose) return;
    for (const l of commandResultLines(result, summary)) this.say(`  ${l}`);
  }

  api(text: string): void {
    if (this.verbose) this.say(`⇢ ${text}`);
  }

  evidence(text: string): void {
    if (this.verbose) this.say(`evidence: ${text}`);
  }

  /** The facts the operator is asked to confirm on (the executor shows none for a step the plan covers). */
  confirmation(facts: Record<string, string>): void {
    const entries = Object.entries(facts);
    if (entries.length === 0) return;
    this.sink.marked('?', 'cyan', `${this.label()} — confirm on these facts:`);
    for (const [k, v] of entries) this.say(`  ${oneLine(k)}: ${oneLine(v)}`);
  }

  confirmedBy(text: string): void {
    if (this.step) this.step.confirmed = text;
  }

  note(text: string): void {
    if (this.verbose || /^\s*warning:/i.test(text)) this.say(text.trim());
    else this.step?.notes.push(text);
  }

  notice(text: string): void {
    this.say(text);
  }

  progress(text: string): void {
    const step = this.step;
    if (!step) return;
    const at = this.sink.now();
    if (!this.verbose && at - step.lastProgressAt < this.sink.progressEveryMs) return;
    step.lastProgressAt = at;
    this.say(`… ${formatDuration(step.elapsed(at))}: ${text}`);
  }

  /** A line about the item as a whole (e.g. every step of it finished earlier). */
  settled(text: string): void {
    this.sink.marked('↷', 'dim', `[${this.key}] ${text}`);
  }

  done(text: string, durationMs?: number): void {
    this.status('✔', 'green', text, durationMs);
  }

  warned(warnings: readonly string[], durationMs?: number): void {
    this.status(WARNED_MARK, 'yellow', warnedText(warnings), durationMs);
  }

  skipped(text: string, notice?: string): void {
    this.status('↷', 'dim', text);
    if (notice) this.say(`  ${notice}`);
  }

  failed(text: string, hint?: string, durationMs?: number): void {
    this.showNotes();
    this.status('✖', 'red', `failed: ${text}`, durationMs);
    if (hint && this.verbose) this.say(`  what to do: ${hint}`);
  }

  waiting(text: string, durationMs?: number): void {
    if (!this.step) return;
    this.showNotes();
    this.status('⏸', 'yellow', `waiting for the operator: ${text}`, durationMs);
  }

  stopped(): void {
    if (!this.step) return;
    this.showNotes();
    this.status('✖', 'red', 'stopped');
  }

  private showNotes(): void {
    for (const n of this.step?.notes.splice(0) ?? []) this.say(`  ${n}`);
  }

  private status(mark: string, colour: Colour, text: string, durationMs?: number): void {
    const step = this.step;
    if (!step) return;
    this.sink.marked(mark, colour, `${this.label()}${text ? ` — ${text}` : ''} (${step.meta(this.sink.now(), durationMs)})`);
    this.step = undefined;
  }
}
