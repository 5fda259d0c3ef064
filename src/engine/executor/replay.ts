/**
 * Replay: the production executor (what `recover` and `resume` run) driven over a recorded journal,
 * with the refusing seams of replay-seams.ts and actions of replay-actions.ts, so that what a resume of
 * that journal would do next is seen without doing it: each step it passes (skipped as done,
 * re-established, skipped), and where it stops (the first step it would probe, run, confirm or ask
 * about, or refuse to go on with).
 * Nothing is written but a journal of the replay in a temporary folder, removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { messageOf } from '../../core/errors.js';
import { isRecord } from '../../core/json.js';
import type { Redactor } from '../../core/redact.js';
import type { Runtime } from '../../core/runtime.js';
import { execute } from './execute.js';
import { refusingActions, type ActionCall } from './replay-actions.js';
import { refusingPlatform, refusingPrompter } from './replay-seams.js';
import { Journal } from '../journal/journal.js';
import type { JournalEvent } from '../journal/journal-events.js';
import { replay } from '../journal/replay.js';
import { ItemScreen } from '../operator/item-screen.js';
import { Reporter } from '../operator/reporter.js';
import type { ActionRegistry, Runbook, StepDef } from '../runbook/runbook-model.js';
import { journaledSettings } from '../runbook/settings.js';

export interface ReplayOptions {
  runbook: Runbook;
  /** The real actions: the replay refuses each of their entry points (see refusingActions). */
  actions: ActionRegistry;
  /** The recorded journal, whole or cut anywhere. */
  events: JournalEvent[];
  runtime: Runtime;
}

/** What a resume of the journal would do: each step it reached and what it did there, then why it stopped. */
export interface ReplayResult {
  steps: { step: string; did: string[] }[];
  /** Why the replay stopped (the first refused call, a question, a step that waits for the operator), or `finished`. */
  end: string;
}

/** What the executor did at a step, in a replay's words, from the screen's and the actions' calls. */
type Seen = (step: string, what: string) => void;

const ENTRY_WORDS: Record<ActionCall['entry'], string> = {
  reassert: 're-check: re-establish its ambient state',
  probe: 'probe the earlier attempt',
  evidence: 'gather the evidence to confirm',
  prepare: 'run',
  run: 'run',
};

function skipWords(text: string): string {
  if (text.startsWith('done earlier')) return 'skip as done';
  if (text.startsWith('skipped earlier')) return 'stay skipped';
  return text;
}

/** An item's screen that tells what the executor did at each of its steps. */
class SeenItemScreen extends ItemScreen {
  private current = '';
  constructor(
    sink: Reporter,
    private readonly prefix: string,
    private readonly steps: readonly StepDef[],
    private readonly seen: Seen,
  ) {
    super(sink, prefix.split('/')[1]!);
  }
  override stepHeader(index: number, total: number, title: string): void {
    super.stepHeader(index, total, title);
    this.current = this.prefix + this.steps[index - 1]!.id;
  }
  override settled(text: string): void {
    this.seen(this.prefix.slice(0, -1), skipWords(text));
  }
  override skipped(text: string): void {
    this.seen(this.current, skipWords(text));
  }
  override notice(text: string): void {
    this.seen(this.current, text);
  }
  override waiting(text: string): void {
    this.seen(this.current, `wait for the operator: ${text}`);
  }
}

/** The run's screen, telling what the executor did at each step; it prints nothing. */
class SeenReporter extends Reporter {
  private current?: StepDef;
  constructor(
    private readonly runbook: Runbook,
    redactor: Redactor,
    private readonly seen: Seen,
  ) {
    super(
      new Writable({
        write: (_chunk, _enc, done) => {
          done();
        },
      }),
      redactor,
      false,
    );
  }
  override stepHeader(index: number, total: number, title: string, why: string): void {
    super.stepHeader(index, total, title, why);
    this.current = this.runbook.steps[index - 1];
  }
  override item(key: string): ItemScreen {
    const fe = this.current!;
    return new SeenItemScreen(this, `${fe.id}/${key}/`, fe.forEach!.runbook.steps, this.seen);
  }
  override skipped(text: string, notice?: string): void {
    super.skipped(text, notice);
    this.seen(this.current!.id, skipWords(text));
  }
  override notice(text: string): void {
    super.notice(text);
    // A notice before the first step (a changed input) is the run's, not a step's.
    this.seen(this.current?.id ?? 'inputs', text);
  }
  override waiting(text: string, durationMs?: number): void {
    super.waiting(text, durationMs);
    this.seen(this.current!.id, `wait for the operator: ${text}`);
  }
}

/** Drives the executor over `events` with every seam refusing; what it did, step by step, and where it stopped. */
export async function replayRun(o: ReplayOptions): Promise<ReplayResult> {
  const created = replay(o.events).created;
  const did = new Map<string, string[]>();
  const seen: Seen = (step, what) => {
    const list = did.get(step) ?? [];
    did.set(step, list);
    if (list.at(-1) !== what) list.push(what);
  };
  const dir = mkdtempSync(join(o.runtime.scratch, 'dingo-replay-'));
  const journal = new Journal(join(dir, 'journal.ndjson'), o.runtime, o.events, false);
  const actions = refusingActions(o.actions, (c) => {
    // Evidence gathered for a step confirmed before the interruption is the re-check of what it was confirmed on.
    const recheck = c.entry === 'evidence' && journal.state().steps.get(c.step)?.confirmed !== undefined;
    seen(c.step, recheck ? 're-check the evidence it was confirmed on' : ENTRY_WORDS[c.entry]);
  });
  let end = 'finished';
  try {
    await execute({
      runbook: o.runbook,
      actions,
      platform: refusingPlatform(created.mode),
      runId: created.runId,
      runDir: dir,
      journal,
      events: o.events,
      answers: { inputs: {}, confirm: {}, choose: {}, secrets: {} },
      yes: false,
      prompts: refusingPrompter((key, kind) => {
        seen(key, `ask: ${kind}`);
      }),
      reporter: new SeenReporter(o.runbook, o.runtime.redactor, seen),
      runtime: o.runtime,
      settings: journaledSettings(isRecord(created.options.settings) ? created.options.settings : {}),
      sleep: () => Promise.resolve(),
    });
  } catch (err) {
    end = messageOf(err);
  } finally {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { steps: inRunbookOrder(o.runbook, did), end };
}

/** The steps in the runbook's order, each for-each's items after it by key (items run at once, in no fixed order). */
function inRunbookOrder(runbook: Runbook, did: Map<string, string[]>): ReplayResult['steps'] {
  const rank = (id: string): [number, string] => {
    const [top, key = ''] = id.split('/');
    return [runbook.steps.findIndex((s) => s.id === top), key];
  };
  return [...did]
    .map(([step, list]) => ({ step, did: list, at: rank(step) }))
    .sort((a, b) => a.at[0] - b.at[0] || a.at[1].localeCompare(b.at[1]))
    .map(({ step, did: list }) => ({ step, did: list }));
}
