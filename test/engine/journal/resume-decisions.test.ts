/**
 * Golden journals: journals of real runs (rehearsals done, one waiting for the operator, runs killed
 * mid-step, of every top-level runbook; record-journals.test.ts records them) are cut at every
 * step boundary and inside every step, and the production executor is replayed over each cut with
 * every seam refusing (replayRun): what a resume of that cut would do, step by step, and where it
 * stops, is committed beside the journal. A change to the executor, an action's resume traits or the
 * resume policy that would change what an old run does when resumed fails here: update the files
 * (vitest -u) only when that is meant.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/cli.js';
import { actionRegistry } from '../../../src/actions/index.js';
import { readJournal, replay, type JournalEvent } from '../../../src/engine/journal/index.js';
import { replayRun, type ReplayResult } from '../../../src/engine/executor/index.js';
import { runbookChangeProblem, underCurrentNames } from '../../../src/engine/run/runbook-change.js';
import { loadRunbook, type Runbook } from '../../../src/engine/runbook/index.js';
import { processRuntime } from '../../../src/core/runtime.js';

const actions = actionRegistry();
const dir = resolve(ROOT, 'test/engine/journal/golden');
const journals = readdirSync(dir).filter((f) => f.endsWith('.ndjson'));

/** Where a journal is cut: before its inputs, before its first step, after each event that begins, settles or confirms a step, and as it is. */
const CUT_AFTER = new Set(['step.started', 'step.probed', 'confirm', 'step.finished', 'step.skipped', 'step.failed']);

function cuts(events: JournalEvent[]): { label: string; events: JournalEvent[] }[] {
  const first = events.findIndex((e) => e.type === 'step.started' || e.type === 'step.skipped' || e.type === 'evidence');
  const out = [
    { label: 'as created, before its inputs', events: events.slice(0, 1) },
    { label: 'before the first step', events: events.slice(0, first) },
  ];
  events.forEach((e, i) => {
    if (CUT_AFTER.has(e.type) && 'step' in e) out.push({ label: `after #${e.seq} ${e.type} ${e.step}`, events: events.slice(0, i + 1) });
  });
  out.push({ label: `as recorded (${events.length} events, last ${events.at(-1)!.type})`, events });
  return out;
}

/** A replay in lines: steps only skipped as done run together, then each other step with what was done there, then the end. */
function lines(r: ReplayResult): string[] {
  const out: string[] = [];
  let done: string[] = [];
  const flush = (): void => {
    if (done.length) out.push(`skip as done: ${done.join(', ')}`);
    done = [];
  };
  for (const s of r.steps) {
    if (s.did.length === 1 && s.did[0] === 'skip as done') {
      done.push(s.step);
      continue;
    }
    flush();
    out.push(`${s.step}: ${s.did.join('; ')}`);
  }
  flush();
  out.push(`end: ${r.end}`);
  return out;
}

function runbookOf(events: JournalEvent[]): Runbook {
  return loadRunbook(resolve(ROOT, 'runbooks', `${replay(events).created.runbook.name}.yaml`), actions);
}

/**
 * Journals recorded before the drill on the cell was a step of recover-instance, that went past where
 * it now stands (after the preflight, before the stop): a resume under today's runbook is refused,
 * naming the step added before what the run reached, rather than run without the drill or run it
 * after the container was already stopped and the archives swapped.
 */
const BEFORE_CELL_DRILL: Record<string, string> = {
  'afterstop.ndjson': 'step "drill-on-cell" now comes before step "stop-container", which the run reached first',
  'done.ndjson': 'step "drill-on-cell" now comes before step "stop-container", which the run reached first',
  'midcopy.ndjson': 'step "drill-on-cell" now comes before step "stop-container", which the run reached first',
  'space.ndjson':
    'step "recover-instances/orders-db/drill-on-cell" now comes before step "recover-instances/orders-db/stop-container", which the run reached first',
};

describe('resuming the golden journals', () => {
  it('has a journal of every top-level runbook', () => {
    const names = journals.map((f) => replay(readJournal(join(dir, f))).created.runbook.name);
    expect(new Set(names)).toEqual(
      new Set(['recover-deleted-service', 'recover-space', 'restore-to-time', 'recover-to-target', 'recover-docker-volume']),
    );
  });
  it.each(journals)('%s: may resume under the runbook as it is today (its reached steps are the same)', (name) => {
    const state = replay(readJournal(join(dir, name)));
    const runbook = runbookOf(readJournal(join(dir, name)));
    expect(state.steps.size).toBeGreaterThan(0);
    expect(runbookChangeProblem(runbook.steps, state.steps, underCurrentNames(state.created.runbook.steps, actions))).toBe(
      BEFORE_CELL_DRILL[name] ?? null,
    );
  });
  it.each(journals)(
    '%s: the executor replayed on every cut does what it did when the journal was committed',
    async (name) => {
      const events = readJournal(join(dir, name));
      const runbook = runbookOf(events);
      const out: string[] = [];
      for (const cut of cuts(events)) {
        const r = await replayRun({ runbook, actions, events: cut.events, runtime: processRuntime() });
        out.push(`== ${cut.label}`, ...lines(r), '');
      }
      await expect(out.join('\n')).toMatchFileSnapshot(join(dir, name.replace(/\.ndjson$/, '.replay.txt')));
    },
    60_000,
  );
});
