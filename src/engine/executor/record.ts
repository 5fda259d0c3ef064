/**
 * `--record DIR`: the platform as the run found it, written as a rehearsal scenario at the moment
 * --plan stops at (just before the first step that would change the platform), or when the run
 * stops or ends having changed nothing. The command layer does the reading and writing; the engine
 * says when, and keeps on the record that it was written and where. A resume whose run already
 * changed the platform cannot see it as it was any more: it writes nothing and says so.
 */
import { messageOf } from '../../core/errors.js';
import type { JournalEvent } from '../journal/journal-events.js';
import type { Scope } from '../runbook/template.js';
import { runSubject } from '../runbook/declared-outputs.js';
import { change, wouldRun } from './plan.js';
import type { Run, Sequence } from './options.js';
import type { RecordRequest } from './scenario-recorder.js';

type Recorded = Extract<JournalEvent, { type: 'scenario.recorded' | 'scenario.not-recorded' }>;

/** The step of the runbook's own that would change the platform and already began in this run, if any. */
function changeBegun(run: Pick<Run, 'opts'>): string | undefined {
  const steps = run.opts.journal.state().steps;
  return run.opts.runbook.steps.find((s) => change(run, s) !== undefined && (steps.get(s.id)?.status ?? 'pending') !== 'pending')?.id;
}

export class RecordPoint {
  private settled: boolean;

  constructor(private readonly run: Pick<Run, 'opts'>) {
    this.settled = run.opts.record === undefined;
  }

  /** Before any step: a run that wrote its scenario earlier keeps it; one past its first change writes none. */
  start(): void {
    const rec = this.run.opts.record;
    if (this.settled || !rec) return;
    const { journal, reporter } = this.run.opts;
    const earlier = journal.events().find((e) => e.type === 'scenario.recorded');
    if (earlier) {
      this.settled = true;
      reporter.line(`--record: this run wrote its scenario earlier, to ${earlier.dir}; it is kept, and nothing is written to ${rec.dir}`);
      return;
    }
    const begun = changeBegun(this.run);
    if (begun === undefined) return;
    this.settled = true;
    const reason = `the run already changed the platform (step "${begun}" began before this resume), so the platform as the run found it cannot be read any more`;
    journal.append({ type: 'scenario.not-recorded', dir: rec.dir, reason });
    reporter.line(`--record: nothing written to ${rec.dir}: ${reason}; \`dingo-recover snapshot\` reads the platform as it is now`);
  }

  /** Before the step `index` of `seq`: writes the scenario when it is the first that would change the platform. */
  async before(seq: Sequence, index: number): Promise<void> {
    if (this.settled || seq.item) return;
    const step = seq.steps[index]!;
    if (change(this.run, step) === undefined || !wouldRun(this.run, seq, step)) return;
    await this.write(seq.scope, seq.prefix + step.id);
  }

  /** The run stopped or ended and changed nothing: the platform is still as it found it. */
  async atEnd(scope: Scope): Promise<void> {
    if (this.settled || changeBegun(this.run) !== undefined) return;
    await this.write(scope, null);
  }

  private async write(scope: Scope, before: string | null): Promise<void> {
    this.settled = true;
    const { record, reporter, journal, platform, runtime, settings, live } = this.run.opts;
    if (!record) return;
    reporter.line(
      `--record: reading the platform as the run found it${before ? ` (before step "${before}" changes it)` : ''} into ${record.dir}`,
    );
    try {
      const request: RecordRequest = {
        platform,
        runtime,
        settings,
        live,
        runbook: this.run.opts.runbook.name,
        inputs: { ...scope.inputs },
        subject: runSubject(this.run.opts.runbook, scope.outputs),
      };
      const lines = await record.write(request);
      journal.append({ type: 'scenario.recorded', dir: record.dir, before });
      for (const l of lines) reporter.line(`  ${l}`);
    } catch (err) {
      const reason = messageOf(err);
      journal.append({ type: 'scenario.not-recorded', dir: record.dir, reason });
      reporter.line(`warning: --record: no scenario written to ${record.dir}: ${reason}; the run goes on`);
    }
  }
}

/** The closing line about --record: the scenario this run wrote (or why none was), from its journal. */
export function recordedLines(events: readonly JournalEvent[]): string[] {
  const last = events
    .filter((e): e is Recorded & JournalEvent => e.type === 'scenario.recorded' || e.type === 'scenario.not-recorded')
    .at(-1);
  if (!last) return [];
  if (last.type === 'scenario.not-recorded') return [`scenario: none written to ${last.dir}: ${last.reason}`];
  return [`scenario of the platform as the run found it: ${last.dir} (replay it: dingo-recover rehearse --scenario ${last.dir})`];
}
