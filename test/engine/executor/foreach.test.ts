/** For-each steps run end to end through the executor: concurrency, exclusive keys, failures, resumes, confirmations, outputs. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineAction, loadRunbook, type ActionRegistry } from '../../../src/engine/runbook/index.js';
import { renderIncidentReport, buildTranscript, renderTranscript } from '../../../src/engine/report/index.js';
import { abandonedInstances, loadRun } from '../../../src/engine/run/index.js';
import type { JournalEvent } from '../../../src/engine/journal/index.js';
import type { Prompter } from '../../../src/engine/operator/index.js';
import { tempDirs } from '../../support/temp-dirs.js';
import {
  ITEM_RUNBOOK,
  journalPath,
  newWorld,
  parentRunbook,
  runParent,
  worldActions,
  writeRunbooks,
  type World,
} from '../foreach-harness.js';

const tmp = tempDirs('dr-foreach-');

/** The most items at work at once, from the world's start/end log. */
function peak(world: World): number {
  let now = 0;
  let most = 0;
  for (const l of world.log) {
    if (l.startsWith('start ')) most = Math.max(most, ++now);
    if (l.startsWith('end ')) now--;
  }
  return most;
}

const ofType = <T extends JournalEvent['type']>(events: JournalEvent[], type: T): Extract<JournalEvent, { type: T }>[] =>
  events.filter((e): e is Extract<JournalEvent, { type: T }> => e.type === type);

const stepsWith = (events: JournalEvent[], type: 'step.started' | 'step.finished' | 'step.failed'): string[] =>
  ofType(events, type).map((e) => e.step);

/** A run folder holding `parent` and the item runbook, and a world of these instances with its actions. */
function setUp(instances: Record<string, unknown>[], parent = parentRunbook()): { dir: string; world: World; actions: ActionRegistry } {
  const dir = tmp();
  const world = newWorld(instances);
  writeRunbooks(dir, parent);
  return { dir, world, actions: worldActions(world) };
}

const twoItems = (): Record<string, unknown>[] => [
  { name: 'a', cell: 'c1' },
  { name: 'b', cell: 'c2' },
];

describe('a for-each step', () => {
  it('runs up to `concurrency` items at once, each step journaled under FOR_EACH/KEY/STEP', async () => {
    const { dir, world, actions } = setUp(
      [
        { name: 'a', cell: 'c1' },
        { name: 'b', cell: 'c2' },
        { name: 'c', cell: 'c3' },
      ],
      parentRunbook({ concurrency: 2 }),
    );
    const r = await runParent(dir, actions, { yes: true });
    expect(r.error).toBeUndefined();
    expect(peak(world)).toBe(2);
    expect(stepsWith(r.events, 'step.finished')).toEqual(
      expect.arrayContaining([
        'plan',
        'each/a/work',
        'each/a/destroy',
        'each/b/work',
        'each/b/destroy',
        'each/c/work',
        'each/c/destroy',
        'each',
      ]),
    );
    const started = ofType(r.events, 'step.started').find((e) => e.step === 'each')!;
    expect(started.params.keys).toEqual(['a', 'b', 'c']);
    expect(started.params.inputs).toEqual({ a: { name: 'a', cell: 'c1' }, b: { name: 'b', cell: 'c2' }, c: { name: 'c', cell: 'c3' } });
    expect(r.outputs.each).toEqual({
      results: ['a', 'b', 'c'].map((key) => ({
        key,
        status: 'finished',
        // What the sub-runbook declares it produces, never its steps' own outputs.
        outputs: { worked: key, gone: true },
      })),
      finished: 3,
      failed: 0,
    });
    expect(r.screen).toMatch(/✔ \[b\] \[1\/2\] Work on it — worked=b \(\d+\.\d s\)/);
    expect(r.screen).toContain('✔ [1/2] Plan — instances=3 records names=a,b,c');
    expect(r.screen).toMatch(/✔ \[2\/2\] Each instance — 3 items finished \(\d+\.\d s\)/);
  });

  it('runs one item at a time by default', async () => {
    const { dir, world, actions } = setUp(twoItems(), parentRunbook({ concurrency: 2 }).replace('      concurrency: 2\n', ''));
    expect((await runParent(dir, actions, { yes: true })).error).toBeUndefined();
    expect(world.log.slice(0, 4)).toEqual(['start a', 'end a', 'destroy a', 'start b']);
  });

  it('never runs two steps with the same exclusive key at once', async () => {
    const { dir, world, actions } = setUp(
      [
        { name: 'a', cell: 'same' },
        { name: 'b', cell: 'same' },
        { name: 'c', cell: 'other' },
      ],
      parentRunbook({ concurrency: 3 }),
    );
    expect((await runParent(dir, actions, { yes: true })).error).toBeUndefined();
    const a = world.log.indexOf('end a');
    const b = world.log.indexOf('start b');
    expect(world.log.indexOf('start a') < a && a < b).toBe(true);
    expect(peak(world)).toBe(2);
  });

  it('lets the other items finish when one fails, then fails naming the item and its step; a resume runs that item only', async () => {
    const { dir, world, actions } = setUp(twoItems());
    world.failing.add('b');
    const first = await runParent(dir, actions, { yes: true });
    expect(first.error?.message).toBe('1 of 2 items of step "each" failed: item "b" failed at step "work": b is broken');
    expect(first.error?.hint).toMatch(/dingo-recover resume r1` continues those items only/);
    expect(stepsWith(first.events, 'step.finished')).toEqual(expect.arrayContaining(['each/a/work', 'each/a/destroy']));
    expect(stepsWith(first.events, 'step.failed')).toEqual(['each/b/work', 'each']);
    expect(first.screen).toMatch(/✖ \[b\] \[1\/2\] Work on it — failed: b is broken/);

    world.failing.clear();
    world.log.length = 0;
    const second = await runParent(dir, actions, { yes: true });
    expect(second.error).toBeUndefined();
    expect(world.log).toEqual(['start b', 'end b', 'destroy b']);
    expect(second.screen).toContain('[a] done earlier');
    const resumedAt = second.events.findIndex((e) => e.type === 'run.resumed');
    const after = second.events.slice(resumedAt);
    expect(stepsWith(after, 'step.started')).toEqual(['each', 'each/b/work', 'each/b/destroy']);
    expect(second.outputs.each?.finished).toBe(2);
  });

  it('probes an item step that was interrupted, and skips the item steps that finished', async () => {
    const { dir, world, actions } = setUp(twoItems(), parentRunbook({ concurrency: 1 }));
    expect((await runParent(dir, actions, { yes: true })).error).toBeUndefined();
    // The process died right after b's work began (its effect happened, its end was never journaled).
    const file = journalPath(dir);
    const lines = readFileSync(file, 'utf8').split('\n');
    const cut = lines.findIndex((l) => l.includes('"type":"step.started"') && l.includes('"step":"each/b/work"'));
    writeFileSync(file, lines.slice(0, cut + 1).join('\n') + '\n');
    world.log.length = 0;

    const r = await runParent(dir, actions, { yes: true });
    expect(r.error).toBeUndefined();
    const probed = ofType(r.events, 'step.probed');
    expect(probed).toEqual([expect.objectContaining({ step: 'each/b/work', result: 'done', why: 'b shows the work' })]);
    expect(world.log).toEqual(['destroy b']);
  });

  it('with confirmedBy, journals the item confirmations as covered by the plan and asks nothing', async () => {
    const { dir, actions } = setUp([{ name: 'a', cell: 'c1' }]);
    const r = await runParent(dir, actions, { confirm: { plan: 'go' } });
    expect(r.error).toBeUndefined();
    const confirms = ofType(r.events, 'confirm');
    expect(confirms.map((c) => [c.step, c.method, c.coveredBy])).toEqual([
      ['plan', 'answers', undefined],
      ['each/a/destroy', 'plan', 'plan'],
    ]);
    expect(confirms[1]!.evidence).toEqual({ target: 'a' });
    expect(r.screen).toMatch(/\[a\] \[2\/2\] Destroy it — gone=true \(\d+\.\d s, confirmed with the plan \(step plan\)\)/);
  });

  it('without confirmedBy, asks for each item in turn, the question named by the item', async () => {
    const { dir, actions } = setUp(twoItems(), parentRunbook({ confirmedBy: false }));
    const asked: string[] = [];
    let open = 0;
    const prompter: Prompter = {
      interactive: true,
      input: () => Promise.reject(new Error('no input expected')),
      async typed(q) {
        expect(open++).toBe(0);
        asked.push(`${q.key}: ${q.message}`);
        await new Promise((r) => setTimeout(r, 10));
        open--;
        return q.expected;
      },
      select: () => Promise.reject(new Error('no choice expected')),
    };
    const r = await runParent(dir, actions, { confirm: { plan: true }, prompter });
    expect(r.error).toBeUndefined();
    expect(asked.sort()).toEqual([
      'each/a/destroy: [a] Destroy a — type "a" to confirm',
      'each/b/destroy: [b] Destroy b — type "b" to confirm',
    ]);
  });

  it('takes an item confirmation from the answers file by its full id or by the sub-runbook step id', async () => {
    const { dir, actions } = setUp(twoItems(), parentRunbook({ confirmedBy: false }));
    const r = await runParent(dir, actions, { confirm: { plan: true, 'each/a/destroy': 'a', destroy: true } });
    expect(r.error).toBeUndefined();
    expect(ofType(r.events, 'confirm').map((c) => [c.step, c.method, c.typed])).toEqual(
      expect.arrayContaining([
        ['each/a/destroy', 'answers', 'a'],
        ['each/b/destroy', 'answers', undefined],
      ]),
    );
  });

  it('refuses an item whose input does not fit the sub-runbook, before any item runs', async () => {
    const { dir, world, actions } = setUp([
      { name: 'a', cell: 'c1' },
      { name: 'Bad Name', cell: 'c2' },
    ]);
    const r = await runParent(dir, actions, { yes: true });
    expect(r.error?.message).toBe(
      'step "each": item {"name":"Bad Name","cell":"c2"}: its key (field "name") must be text matching ^[A-Za-z0-9][A-Za-z0-9._-]*$',
    );
    expect(world.log).toEqual([]);
  });
});

describe('a for-each step over strings', () => {
  it('keys each item by the string itself, which ${item} gives', async () => {
    const parent = parentRunbook()
      .replace('instances}', 'names}')
      .replace('      key: name\n', '')
      .replace('${item.name}', '${item}')
      .replace('        cell: ${item.cell}\n', '');
    const { dir, actions } = setUp([{ name: 'x' }, { name: 'y' }], parent);
    const r = await runParent(dir, actions, { yes: true });
    expect(r.error).toBeUndefined();
    expect(stepsWith(r.events, 'step.finished')).toEqual(expect.arrayContaining(['each/x/destroy', 'each/y/destroy']));
    const started = ofType(r.events, 'step.started').find((e) => e.step === 'each')!;
    expect(started.params.inputs).toEqual({ x: { name: 'x', cell: 'c0' }, y: { name: 'y', cell: 'c0' } });
  });

  it("refuses an item whose input does not match the sub-runbook input's pattern", async () => {
    const { dir, world, actions } = setUp([{ name: 'x' }, { name: 'Y' }], parentRunbook().replace('        cell: ${item.cell}\n', ''));
    const r = await runParent(dir, actions, { yes: true });
    expect(r.error?.message).toBe('step "each": item "Y": input "name" of runbook item: "Y" does not match ^[a-z]+$');
    expect(stepsWith(r.events, 'step.failed')).toEqual(['each']);
    expect(world.log).toEqual([]);
  });
});

describe('the transcript and the incident report of a for-each run', () => {
  it('group the item steps under their item, with its status, confirmations, its declared outputs, what it kept aside and its summary', async () => {
    const { dir, world, actions } = setUp(twoItems());
    world.failing.add('b');
    await runParent(dir, actions, { confirm: { plan: 'go' } });
    const runbook = loadRunbook(join(dir, 'parent.yaml'), actions);
    const t = buildTranscript(loadRun(dir, 'r1'), runbook);
    expect(t.steps.map((s) => [s.id, s.status, s.item?.key ?? null])).toEqual([
      ['plan', 'finished', null],
      ['each', 'failed', null],
      ['each/a/work', 'finished', 'a'],
      ['each/a/destroy', 'finished', 'a'],
      ['each/b/work', 'failed', 'b'],
      ['each/b/destroy', 'pending', 'b'],
    ]);
    expect(t.steps[2]!.title).toBe('Work on it');
    const text = renderTranscript(t);
    expect(text).toContain('\n  item a of each: finished\n\n    ✔ each/a/work: Work on it — finished');
    expect(text).toContain('\n  item b of each: failed\n\n    ✖ each/b/work: Work on it — failed');
    expect(text).toMatch(/confirmed by \S+ at \S+ \(plan, covered by the confirmation of step plan\) for a\n/);

    // Each item's declared outputs (its sub-runbook's), and the step each is taken from, finished or not.
    const steps = (key: string) => ({ worked: `each/${key}/work`, gone: `each/${key}/destroy` });
    expect(t.items).toEqual({
      'each/a': { outputs: { worked: 'a', gone: true }, steps: steps('a') },
      'each/b': { outputs: {}, steps: steps('b') },
    });

    // A declared summary goes into the report verbatim, under the title of the step it comes from; what an item declares it kept aside is listed.
    t.items['each/a'] = {
      outputs: { summary: '| db | state |\n|---|---|\n| a | back |', quarantineUrl: 's3://bucket/aside/a' },
      steps: { summary: 'each/a/destroy', quarantineUrl: 'each/a/destroy' },
    };
    const report = renderIncidentReport(t);
    expect(report).not.toContain('Deleted instance (OLD)');
    expect(report).toContain('## Each instance: 2 items\n\n### a: finished\n\n- ✔ Work on it\n- ✔ Destroy it\n');
    expect(report).toContain('### b: failed\n\n- ✖ Work on it: b is broken\n- · Destroy it\n');
    expect(report).toContain('- Destroy it: with the plan (confirmed at step plan), for a\n');
    expect(report).toContain("- The new instance's original archive: s3://bucket/aside/a\n");
    expect(report).toContain('#### Destroy it\n\n| db | state |\n|---|---|\n| a | back |\n');
    expect(report).toMatch(/\| \[b\] Work on it \| failed: b is broken \| 1 \|/);
    expect(report).toContain('| plan | ');
    expect(report).not.toContain('| each/a/destroy |');
  });
});

describe('an abandoned run whose for-each items created instances', () => {
  it('offers every instance its items created for adoption', () => {
    const dir = tmp();
    const create = defineAction({
      name: 'cf.create-service',
      summary: 'creates',
      effect: 'write',
      params: {},
      outputs: { instanceGuid: { type: 'string', description: 'guid' } },
      safeToRepeat: 'test',
      run: () => Promise.resolve({ instanceGuid: 'x' }),
    });
    const actions = new Map([...worldActions(newWorld([])), [create.name, create]]);
    const item = ITEM_RUNBOOK.replace('steps:\n', 'steps:\n  - id: create\n    title: Create\n    why: w\n    action: cf.create-service\n');
    writeRunbooks(dir, parentRunbook(), item);
    const at = { v: 1, at: '2026-01-01T00:00:00.000Z', by: 'me@here', pid: 1 };
    const events = [
      {
        ...at,
        seq: 1,
        type: 'run.created',
        runId: 'r1',
        runbook: { file: join(dir, 'parent.yaml'), name: 'parent', sha256: 'x' },
        mode: 'live',
        options: {},
      },
      { ...at, seq: 2, type: 'step.finished', step: 'each/a/work', outputs: { instanceGuid: 'not-created-here' }, durationMs: 1 },
      { ...at, seq: 3, type: 'step.finished', step: 'each/b/create', outputs: { instanceGuid: 'guid-b' }, durationMs: 1 },
      { ...at, seq: 4, type: 'step.finished', step: 'each/c/create', outputs: { instanceGuid: 'guid-c' }, durationMs: 1 },
      { ...at, seq: 5, type: 'run.abandoned', reason: 'wrong space' },
    ] as JournalEvent[];
    expect(abandonedInstances('r1', events, actions)).toEqual([
      { runId: 'r1', instanceGuid: 'guid-b', reason: 'wrong space' },
      { runId: 'r1', instanceGuid: 'guid-c', reason: 'wrong space' },
    ]);
    // Not abandoned: nothing to adopt.
    expect(abandonedInstances('r1', events.slice(0, 4), actions)).toEqual([]);
  });
});
