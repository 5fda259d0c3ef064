/**
 * A crash anywhere resumes by itself. A rehearsal of the bundled incident is killed (SIGKILL, its
 * whole process group) at every step boundary, at every moment inside a step that changes the
 * platform, and at seeded random moments elsewhere, each moment being the instant a journal event
 * was written; `resume --yes` must then finish with exit 0 and leave the simulated platform as an
 * uninterrupted run leaves it, no destructive action done twice; so must a kill just after each
 * change of the platform, before the run journaled it. Every moment is derived from an
 * uninterrupted run, so the sweep follows the runbook as it changes (test/support/crash-sweep.ts).
 * Most kills are forked from the uninterrupted run's state at their point; a kill of each kind is
 * also made for real, and must leave what its fork leaves.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { World, loadScenario } from '../../../src/rehearsal/world.js';
import { readJournal, type JournalEvent } from '../../../src/engine/journal/index.js';
import { DONE_DRILLED_ON_CELL } from '../../support/cli.js';
import { ACTIONS, CrashSweep, TEST_MS, platformState, stamped } from '../../support/crash-sweep.js';

const SCENARIO = loadScenario(resolve(import.meta.dirname, '../../../fixtures/seed-003'));
/** Random moments: how many, and the seed that picks them (CRASH_SWEEP_SEED explores others). */
const RANDOM_MOMENTS = 50;
const SEED = Number(process.env.CRASH_SWEEP_SEED ?? 0x5eed003);

const sweep = await CrashSweep.start({ args: ['rehearse', '--yes'], scenario: SCENARIO });
const baseline = sweep.baseline;

/** The steps whose action is destructive. */
const DESTRUCTIVE = new Set(
  baseline.events.flatMap((e) =>
    'step' in e && e.step && ACTIONS.get(sweep.step(e.step)?.action ?? '')?.effect === 'destructive' ? [e.step] : [],
  ),
);

/**
 * The commands each destructive step ran that change the cell, by command line, counted. Creating
 * the folder the data moves to (`mkdir -p`) is left out: a rerun makes the existing folder again.
 */
function destructiveWrites(events: JournalEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of events) {
    if (e.type !== 'command' || !e.writes || !e.step || !DESTRUCTIVE.has(e.step)) continue;
    const line = stamped(e.argv.join(' '));
    if (/(^|\s)mkdir -p\s/.test(line)) continue;
    const key = `${e.step}: ${line}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
const BASELINE_WRITES = destructiveWrites(baseline.events);

/**
 * Killed at POINT (a journal event, or just after a change of the platform whose command, UNJOURNALED,
 * the killed run did not journal) and resumed: the same recovery, each destructive command run once.
 */
async function expectSameRecovery(point: number | string, unjournaled?: JournalEvent): Promise<void> {
  const { events } = await sweep.expectSameEnd(point);
  expect(destructiveWrites(unjournaled ? [...events, unjournaled] : events)).toEqual(BASELINE_WRITES);
}

describe('the uninterrupted run the sweep is measured against', () => {
  it('recovers, and destructive steps changed the cell', () => {
    expect(baseline.events.at(-1)?.type).toBe('run.finished');
    expect(baseline.platform.cells['10.58.111.150']!.containers['cf-52167ceb-bd3d-4bff-8699-a239d21c5379']!.roles).toEqual({
      'dingo-admin': 'new-admin-password-Rp55',
      pgsuper: 'new-superuser-password-Vb17',
      appuser: 'new-app-password-Kd29',
    });
    expect(DESTRUCTIVE.size).toBeGreaterThan(0);
    expect(Object.keys(BASELINE_WRITES).length).toBeGreaterThan(0);
  });
});

describe.concurrent('SIGKILL of the process group at every step boundary, then resume --yes', () => {
  it.each(sweep.boundaries().map((seq) => [sweep.describeSeq(seq), seq] as const))(
    '%s',
    async (_name, seq) => {
      await expectSameRecovery(seq);
    },
    TEST_MS,
  );
});

describe.concurrent('SIGKILL of the process group at every moment inside a step that changes the platform, then resume --yes', () => {
  it.each(sweep.insideWritingSteps().map((seq) => [sweep.describeSeq(seq), seq] as const))(
    '%s',
    async (_name, seq) => {
      await expectSameRecovery(seq);
    },
    TEST_MS,
  );
});

describe.concurrent(`SIGKILL of the process group at ${RANDOM_MOMENTS} random moments (seed ${SEED}), then resume --yes`, () => {
  it.each(sweep.randomMoments(RANDOM_MOMENTS, SEED).map((seq, i) => [i + 1, sweep.describeSeq(seq), seq] as const))(
    '#%i at %s',
    async (_i, _name, seq) => {
      await expectSameRecovery(seq);
    },
    TEST_MS,
  );
});

describe.concurrent(
  'SIGKILL of the process group just after each change of the platform, before it is journaled, then resume --yes',
  () => {
    it.each(sweep.writes().map((w) => [w.what, w] as const))(
      '%s',
      async (_name, w) => {
        await expectSameRecovery(w.point, w.command);
      },
      TEST_MS,
    );
  },
);

/** A run folder as a kill left it, less what differs from run to run (times, process ids, the run id). */
function leftIn(state: string, runId: string) {
  const dir = join(state, 'runs', runId);
  return {
    files: readdirSync(dir).sort(),
    journal: readJournal(join(dir, 'journal.ndjson')).map((e) => `${e.seq} ${e.type} ${'step' in e ? (e.step ?? '') : ''}`),
    platform: platformState(World.load(dir, SCENARIO)),
  };
}

describe.concurrent('a kill forked from the uninterrupted run leaves what a real SIGKILL there leaves', () => {
  const boundaries = sweep.boundaries();
  const inside = sweep.insideWritingSteps();
  const writes = sweep.writes();
  it.each([
    ['a step boundary', boundaries[Math.floor(boundaries.length / 2)]!],
    ['a moment inside a step that changes the platform', inside[Math.floor(inside.length / 2)]!],
    ['the first change of the platform, unjournaled', writes[0]!.point],
    ['the last change of the platform, unjournaled', writes.at(-1)!.point],
  ] as const)(
    '%s',
    async (_name, point) => {
      expect(sweep.howKilled(point)).toBe('fork');
      const forked = await sweep.interrupted(point, 'fork');
      const killed = await sweep.interrupted(point, 'kill');
      const fork = leftIn(forked.state, forked.runId);
      expect(fork.journal.length).toBeGreaterThan(0);
      expect(leftIn(killed.state, killed.runId)).toEqual(fork);
    },
    TEST_MS,
  );
});

function probed(events: JournalEvent[], step: string) {
  return events.filter((e): e is Extract<JournalEvent, { type: 'step.probed' }> => e.type === 'step.probed' && e.step === step);
}

describe.concurrent('a step interrupted half-way tells on resume whether it already acted', () => {
  it(
    'reconcile-credentials killed after the passwords were set: the new ones log in, so it is done and nothing is set again',
    async () => {
      const writes = sweep.eventsOf('reconcile-credentials').filter((e) => e.type === 'command' && e.writes && e.exitCode === 0);
      expect(writes.length).toBeGreaterThan(0);
      const seq = writes.at(-1)!.seq;
      const { resumed, events } = await sweep.killAndResume(seq);
      expect(resumed.code, resumed.output).toBe(DONE_DRILLED_ON_CELL);
      expect(probed(events, 'reconcile-credentials')).toEqual([
        expect.objectContaining({ result: 'done', why: expect.stringMatching(/log in with the new instance's password/) }),
      ]);
      expect(events.filter((e) => e.seq > seq && e.type === 'command' && e.step === 'reconcile-credentials' && e.writes)).toEqual([]);
      expect(resumed.output).not.toContain('new-superuser-password-Vb17');
    },
    TEST_MS,
  );

  it(
    'reconcile-credentials killed before the passwords were set: the new ones are refused, so it runs again',
    async () => {
      const started = sweep.eventsOf('reconcile-credentials').find((e) => e.type === 'step.started')!;
      const { world, resumed, events } = await sweep.killAndResume(started.seq);
      expect(resumed.code, resumed.output).toBe(DONE_DRILLED_ON_CELL);
      expect(probed(events, 'reconcile-credentials')).toEqual([
        expect.objectContaining({ result: 'not-done', why: expect.stringMatching(/password authentication failed/) }),
      ]);
      expect(platformState(world).cells).toEqual(baseline.platform.cells);
    },
    TEST_MS,
  );

  it.each(['rebind-apps', 'restart-apps'])(
    '%s killed after its cf command: safe to repeat, so it simply runs again',
    async (step) => {
      const write = sweep.eventsOf(step).find((e) => e.type === 'command' && e.writes);
      expect(write).toBeDefined();
      const { resumed, events } = await sweep.killAndResume(write!.seq);
      expect(resumed.code, resumed.output).toBe(DONE_DRILLED_ON_CELL);
      expect(probed(events, step)).toEqual([
        expect.objectContaining({ result: 'not-done', why: expect.stringMatching(/^safe to run again: /) }),
      ]);
    },
    TEST_MS,
  );
});
