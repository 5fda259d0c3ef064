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
import type { CommandResult, CommandSpec } from '../../core/seams.js';
import { type Palette } from '../../core/colours.js';
import { oneLine } from '../../core/display.js';
import { formatDuration } from '../../core/duration.js';
import type { Redactor } from '../../core/redact.js';
import { LiveLine } from './live-line.js';
import { OpenStep } from './open-step.js';
import { commandLine, commandResultLines, formatArgv, wrap } from './screen-text.js';
import { answerValue, packAnswers, type AnswerShown } from './answers-shown.js';
import { screenSettings, type Colour, type ReporterOptions } from './reporter-options.js';
import { ScreenLines } from './screen-lines.js';
import { ItemScreen } from './item-screen.js';
import { WARNED_MARK, warnedText, type StepScreen } from './step-screen.js';

/** The user's answers are packed into lines this wide. */
const ANSWERS_WIDTH = 120;

export class Reporter implements StepScreen {
  readonly verbose: boolean;
  private readonly quiet: boolean;
  private readonly live: boolean;
  private readonly paint: Palette;
  readonly now: () => number;
  readonly progressEveryMs: number;
  private readonly screen: ScreenLines;
  private readonly liveLine: LiveLine;
  private step?: OpenStep;
  private prompting = false;

  constructor(
    out: Writable,
    redactor: Redactor,
    readonly rehearsal: boolean,
    options: ReporterOptions = {},
  ) {
    const o = screenSettings(out, options);
    this.verbose = o.verbose;
    this.quiet = o.quiet;
    this.live = o.live;
    this.paint = o.paint;
    this.now = o.now;
    this.progressEveryMs = o.progressEveryMs;
    this.screen = new ScreenLines(out, redactor, o, () => {
      this.draw();
    });
    this.liveLine = new LiveLine(
      (text) => {
        this.screen.raw(text);
      },
      this.paint,
      o.tickMs,
    );
    this.screen.liveLine = this.liveLine;
  }

  /** A line of the tool's own (a status line, a step's header): one line whatever remote text it holds, folded to the screen. */
  marked(mark: string, colour: Colour, text: string): void {
    this.screen.marked(mark, colour, text);
  }

  line(text = ''): void {
    this.screen.show(text);
  }

  /** The screen of a for-each item: its lines prefixed with `[key]`, none rewritten in place. */
  item(key: string): ItemScreen {
    return new ItemScreen(this, key);
  }

  /** The user's answers that were not typed at a prompt (a prompt already shows its answer). */
  answers(answers: AnswerShown[]): void {
    const shown = answers.filter((a) => a.source !== 'prompt');
    if (shown.length === 0) return;
    if (this.verbose) {
      this.screen.write('');
      this.screen.write("The user's answers");
      for (const a of shown) this.note(`${a.prompt}: ${answerValue(a.value)} (${a.source})`);
      return;
    }
    for (const l of packAnswers(shown, Math.min(this.screen.width(), ANSWERS_WIDTH))) this.screen.show(l);
  }

  stepHeader(index: number, total: number, title: string, why: string): void {
    this.leaveStep();
    this.step = new OpenStep(index, total, title, this.now());
    if (this.verbose) {
      this.screen.write('');
      this.screen.permanent([this.paint.bold(this.screen.safe(this.step.label()))]);
      for (const l of wrap(why, 90)) this.screen.write(`      ${l}`);
      return;
    }
    this.startLive();
  }

  command(_system: string, where: string, spec: CommandSpec): void {
    if (this.step) this.step.doing = `$ ${formatArgv(spec.argv)}`;
    if (this.verbose) this.screen.write(`      ${commandLine(where, spec)}`);
  }

  commandResult(result: CommandResult, summary: string): void {
    if (!this.verbose) return;
    for (const l of commandResultLines(result, summary)) this.screen.write(`        ${l}`);
  }

  api(text: string): void {
    if (this.step) this.step.doing = text;
    if (this.verbose) this.screen.write(`      ⇢ ${text}`);
  }

  /** Evidence a step gathered (verbose; always journaled). */
  evidence(text: string): void {
    if (!this.verbose) return;
    for (const l of text.split(/\r?\n/)) this.screen.write(`      evidence: ${l}`);
  }

  /**
   * The facts a confirmation is about: always shown. When the operator is `asked`, before the step
   * acts, under a line naming the step; when --yes, the answers file or an earlier confirmation
   * gave it, under the step's status line.
   */
  confirmation(facts: Record<string, string>, asked = true): void {
    const entries = Object.entries(facts);
    if (this.verbose) {
      for (const [k, v] of entries) this.evidence(`${k}: ${v}`);
      return;
    }
    if (entries.length === 0) return;
    if (!asked && this.step) {
      this.step.facts.push(...entries);
      return;
    }
    this.head('confirm');
    for (const [k, v] of entries) this.screen.show(`${oneLine(k)}: ${oneLine(v)}`, '    ');
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
      for (const l of text.split(/\r?\n/)) this.screen.write(`      ${l}`);
      return;
    }
    if (!/^\s*warning:/i.test(text)) {
      this.step?.notes.push(text);
      return;
    }
    this.head();
    this.screen.show(text.trim(), this.step ? '    ' : '', 'yellow');
  }

  /** Shows the open step's notes not shown yet. */
  private showNotes(): void {
    const step = this.step;
    if (!step || step.notes.length === 0) return;
    this.head();
    for (const n of step.notes.splice(0)) this.screen.show(n, '    ');
  }

  /** Something the operator should know whatever the verbosity (a resume's decision, a changed input). */
  notice(text: string): void {
    if (this.verbose) {
      this.note(text);
      return;
    }
    this.head();
    this.screen.show(text, this.step ? '    ' : '');
  }

  /** Progress of a long wait: the live line's detail, or now and then a plain line. */
  progress(text: string): void {
    if (this.verbose) {
      this.screen.write(`      … ${text}`);
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
    this.screen.show(`… ${formatDuration(step.elapsed(this.now()))}: ${text}`, '    ');
  }

  /** The step succeeded: `text` is its result, `durationMs` the time it worked (prompts left out). */
  done(text: string, durationMs?: number): void {
    if (this.verbose) {
      this.verboseStatus(this.paint.green('✔'), text, durationMs);
      return;
    }
    this.status('✔', 'green', text, durationMs);
  }

  /** The step ended done, with a warning: its own mark and colour, and the words, so a screen without colour says it too. */
  warned(warnings: readonly string[], durationMs?: number): void {
    const text = warnedText(warnings);
    if (this.verbose) {
      this.verboseStatus(this.paint.yellow(WARNED_MARK), text, durationMs);
      return;
    }
    this.status(WARNED_MARK, 'yellow', text, durationMs);
  }

  /** The step did not run now (done earlier, or its condition is false); `notice` says more, e.g. what a resume re-established. */
  skipped(text: string, notice?: string): void {
    if (this.verbose) {
      this.verboseStatus(this.paint.dim('↷'), text);
      if (notice) this.note(notice);
      return;
    }
    this.status('↷', 'dim', text);
    if (notice) this.screen.show(notice, '    ');
  }

  /** A step failed. Compact: its status line only; the run's closing lines say why and what to do. */
  failed(text: string, hint?: string, durationMs?: number): void {
    if (this.verbose) {
      this.verboseStatus(this.paint.red('✖'), text);
      if (hint) this.screen.write(`        what to do: ${hint}`);
      return;
    }
    this.showNotes();
    this.status('✖', 'red', 'failed', durationMs);
  }

  /** The step waits for the operator: its own mark and word, not a failure; the run's closing lines say what is needed. */
  waiting(text: string, durationMs?: number): void {
    if (!this.step) return;
    if (this.verbose) {
      this.verboseStatus(this.paint.yellow('⏸'), `waiting for the operator: ${text}`);
      return;
    }
    this.showNotes();
    this.status('⏸', 'yellow', 'waiting for the operator', durationMs);
  }

  /** The run stopped inside a step (a question with no answer, a step of unknown outcome): its status line says so. */
  stopped(): void {
    if (this.verbose || !this.step) {
      this.leaveStep();
      return;
    }
    this.showNotes();
    this.status('✖', 'red', 'stopped');
  }

  /** A prompt takes the screen: the live line goes, the step's notes are shown, and its clock stops until `resume`. */
  pause(): void {
    this.prompting = true;
    this.liveLine.stop();
    this.liveLine.clear();
    if (!this.verbose) this.showNotes();
    this.step?.pause(this.now());
  }

  resume(): void {
    this.prompting = false;
    const step = this.step;
    step?.resume(this.now());
    if (step && !this.verbose) this.startLive();
  }

  /** The end of the run's output: stops redrawing and takes the live line off the screen. */
  close(): void {
    this.leaveStep();
  }

  /** A verbose status line: `durationMs`, when given, in seconds after the text. */
  private verboseStatus(mark: string, text: string, durationMs?: number): void {
    const time = durationMs === undefined ? '' : ` (${(durationMs / 1000).toFixed(1)} s)`;
    this.screen.permanent([`      ${mark} ${this.screen.safe(text + time)}`]);
    this.leaveStep();
  }

  /** The step's one status line: mark, number, title, result, time at work and how it was confirmed. */
  private status(mark: string, colour: Colour, text: string, durationMs?: number): void {
    const step = this.step;
    this.leaveStep();
    if (!step) return;
    this.marked(mark, colour, step.statusText(mark, text, this.screen.width(), this.now(), durationMs));
    for (const [k, v] of step.facts) this.screen.show(`${oneLine(k)}: ${oneLine(v)}`, '    ');
  }

  /** Writes, once, a line naming the open step, so what follows reads as the step's. */
  private head(kind?: 'confirm'): void {
    const step = this.step;
    if (!step || step.headed || this.verbose) return;
    step.headed = true;
    const text = `${step.label()}${kind === 'confirm' ? ' — confirm on these facts:' : ''}`;
    this.marked(kind === 'confirm' ? '?' : '›', 'cyan', text);
  }

  /** Leaves the open step (its status line written or not): no more live line for it. */
  private leaveStep(): void {
    this.liveLine.stop();
    this.liveLine.clear();
    this.step = undefined;
  }

  private startLive(): void {
    if (!this.live || this.prompting || this.quiet) return;
    this.liveLine.tick(() => {
      this.draw();
    });
    this.draw();
  }

  /** The live line: spinner, step, time at work, and what it waits for or does; never wider than the screen. */
  private draw(): void {
    const step = this.step;
    if (!this.live || !step || this.prompting || this.quiet || this.verbose) return;
    const detail = step.progress ?? step.doing;
    const text = this.screen
      .safe(`${step.label()} · ${formatDuration(step.elapsed(this.now()))}${detail ? ` · ${detail}` : ''}`)
      .replace(/\n/g, ' ');
    this.liveLine.draw(text, this.screen.width());
  }
}
