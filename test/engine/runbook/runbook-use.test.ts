/** The loader's `use` steps: another runbook's steps inlined with its inputs bound, each refusal as FILE:LINE. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { loadRunbook } from '../../../src/engine/runbook/index.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { nameAndCellRunbook, newWorld, runParent, WORK_OUTPUTS, workThenDestroy, worldActions } from '../foreach-harness.js';

const tmp = tempDirs('dr-use-rb-');
const actions = worldActions(newWorld([]));

const PART_STEPS = workThenDestroy({ destroyName: '${steps.work.outputs.worked}', message: 'Destroy ${inputs.name} on ${inputs.cell}' });

const PART = `${nameAndCellRunbook('part', PART_STEPS)}${WORK_OUTPUTS}`;

/** A last step reading what `part` produced: through the use's id, or (written in place) from its steps. */
const after = (gone: string, worked: string): string => `  - id: after
    title: After
    why: w
    action: t.work
    with:
      name: \${steps.${gone}.outputs.gone}-\${steps.${worked}.outputs.worked}
`;
const AFTER = after('done', 'done');

/** A parent with an input `who`, a first step `plan`, then `use` (its lines given), then `after`. */
function parent(use: string, o: { first?: string; after?: string } = {}): string {
  return `version: 1
name: parent
inputs:
  - name: who
    prompt: Who
    type: string
steps:
  - id: ${o.first ?? 'plan'}
    title: Plan
    why: w
    action: t.plan
${use}${o.after ?? AFTER}`;
}

const USE = `  - use: part
    id: done
    with:
      name: \${inputs.who}
`;

function write(files: Record<string, string>): string {
  const dir = tmp();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Loads parent.yaml (part.yaml beside it unless given); its problems with the folder left out, or [] when it loads. */
function problemsOf(parentText: string, files: Record<string, string> = { 'part.yaml': PART }): string[] {
  const dir = write({ ...files, 'parent.yaml': parentText });
  try {
    loadRunbook(join(dir, 'parent.yaml'), actions);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message.split('\n').map((l) => l.replaceAll(dir + '/', ''));
  }
}

describe('a use step, loaded', () => {
  it("inlines the used runbook's steps with their ids, its inputs bound, and later steps may use their outputs", () => {
    const dir = write({ 'part.yaml': PART, 'parent.yaml': parent(USE) });
    const rb = loadRunbook(join(dir, 'parent.yaml'), actions);
    expect(rb.steps.map((s) => s.id)).toEqual(['plan', 'work', 'destroy', 'after']);
    const [, work, destroy] = rb.steps;
    expect(work).toMatchObject({ action: 't.work', with: { name: '${inputs.who}' }, exclusive: 'cell-c0', line: 13 });
    expect(work!.from).toEqual({ name: 'part', file: join(dir, 'part.yaml') });
    expect(destroy!.with).toEqual({ name: '${steps.work.outputs.worked}' });
    expect(destroy!.confirm).toEqual({ typed: '${inputs.who}', message: 'Destroy ${inputs.who} on c0', alsoAccept: undefined });
    expect(rb.steps[0]!.from).toBeUndefined();
  });

  it('binds plain values too: a whole reference takes the value, text takes the text', () => {
    const dir = write({
      'part.yaml': PART,
      'parent.yaml': parent(`  - use: part\n    id: done\n    with:\n      name: abc\n      cell: \${steps.plan.outputs.names}\n`).replace(
        'cell: ${steps.plan.outputs.names}',
        'cell: c9',
      ),
    });
    const rb = loadRunbook(join(dir, 'parent.yaml'), actions);
    expect(rb.steps[1]).toMatchObject({ with: { name: 'abc' }, exclusive: 'cell-c9' });
    expect(rb.steps[2]!.confirm).toMatchObject({ typed: 'abc', message: 'Destroy abc on c9' });
  });

  it('changes its sha256 when the used runbook changes', () => {
    const dir = write({ 'part.yaml': PART, 'parent.yaml': parent(USE) });
    const before = loadRunbook(join(dir, 'parent.yaml'), actions).sha256;
    writeFileSync(join(dir, 'part.yaml'), PART.replace('title: Work on it', 'title: Work on it now'));
    expect(loadRunbook(join(dir, 'parent.yaml'), actions).sha256).not.toBe(before);
  });

  it('refuses a step id defined twice, naming both files', () => {
    expect(problemsOf(parent(USE, { first: 'work' }))).toEqual([
      'parent.yaml:12: use "part": step "work" (line 13 of part.yaml) is defined twice: first at line 8',
    ]);
    expect(problemsOf(parent(USE, { after: AFTER.replace('id: after', 'id: destroy') }))).toEqual([
      'parent.yaml:16: duplicate step id "destroy" (first at line 20 of part.yaml)',
    ]);
  });

  it('refuses an input left unbound, one the used runbook lacks, and a value of the wrong type or pattern', () => {
    expect(problemsOf(parent('  - use: part\n')).slice(0, 1)).toEqual([
      'parent.yaml:12: use "part": with must give "name" (Name): runbook part.yaml has no default for it',
    ]);
    expect(problemsOf(parent(`${USE}      nme: x\n`))).toEqual([
      'parent.yaml:16: use "part": runbook part.yaml has no input "nme" (it has: name, cell)',
    ]);
    expect(problemsOf(parent(USE.replace('${inputs.who}', '${steps.plan.outputs.names}')))).toEqual([
      'parent.yaml:15: use "part": with.name: ${steps.plan.outputs.names} is a string[], but this parameter takes a string',
    ]);
    expect(problemsOf(parent(USE.replace('${inputs.who}', 'Not-A-Name')))).toEqual([
      'parent.yaml:15: use "part": with.name: "Not-A-Name" does not match the input\'s pattern ^[a-z]+$',
    ]);
    expect(problemsOf(parent(`${USE}      cell: [a, b]\n`))).toEqual([
      'parent.yaml:16: use "part": with.cell: expected a string, found ["a","b"]',
      'parent.yaml:12: use "part": step "work" of part.yaml: ${inputs.cell} is used inside text, but it is bound to ["a","b"]: bind it to text or a reference',
      'parent.yaml:12: use "part": step "destroy" of part.yaml: ${inputs.cell} is used inside text, but it is bound to ["a","b"]: bind it to text or a reference',
    ]);
  });

  it('refuses a missing runbook, a runbook with problems, a cycle, and keys a use step does not take', () => {
    const missing = problemsOf(parent(USE.replace('use: part', 'use: nope')));
    expect(missing[0]).toBe('parent.yaml:12: use "nope": the runbook cannot be used:');
    expect(missing[1]).toMatch(/^parent\.yaml:12: use "nope": cannot read runbook nope\.yaml: .*no such file/);
    expect(problemsOf(parent(USE), { 'part.yaml': PART.replace('action: t.work', 'action: t.wrk') }).slice(0, 2)).toEqual([
      'parent.yaml:12: use "part": the runbook cannot be used:',
      'part.yaml:16: step "work": unknown action "t.wrk" (did you mean one of: t.plan, t.work, t.destroy?)',
    ]);
    const selfUse = `${nameAndCellRunbook('part', `${PART_STEPS}  - use: part\n    with:\n      name: \${inputs.name}\n`)}${WORK_OUTPUTS}`;
    expect(problemsOf(parent(USE), { 'part.yaml': selfUse }).slice(0, 3)).toEqual([
      'parent.yaml:12: use "part": the runbook cannot be used:',
      'part.yaml:29: use "part": the runbook cannot be used:',
      'part.yaml:29: use "part": parent.yaml → part.yaml → part.yaml: the runbook runs itself (a cycle)',
    ]);
    expect(problemsOf(parent(`  - title: here\n${USE.replace('  - use', '    use')}`))).toEqual([
      'parent.yaml:12: use "part": unknown key "title" (a use step has only use, id, when and with: the used runbook\'s steps bring their titles and whys)',
    ]);
  });
});

describe('a use step, run', () => {
  it('journals and runs exactly as the same steps written in place', async () => {
    const inline = parent(
      PART_STEPS.replace('${inputs.name}', '${inputs.who}')
        .replace('typed: ${inputs.name}', 'typed: ${inputs.who}')
        .replace('Destroy ${inputs.name} on ${inputs.cell}', 'Destroy ${inputs.who} on c0')
        .replace('cell-${inputs.cell}', 'cell-c0'),
      { after: after('destroy', 'work') },
    );
    const used = await runParent(write({ 'part.yaml': PART, 'parent.yaml': parent(USE) }), actions, { yes: true, inputs: { who: 'abc' } });
    const written = await runParent(write({ 'parent.yaml': inline }), actions, { yes: true, inputs: { who: 'abc' } });
    const shape = (events: typeof used.events): unknown[] =>
      events.filter((e) => e.type !== 'run.created').map((e) => ({ ...e, at: '', seq: 0, pid: 0, durationMs: 0 }));
    expect(used.error).toBeUndefined();
    expect(shape(used.events)).toEqual(shape(written.events));
    expect(used.outputs.after).toEqual({ worked: 'true-abc' });
  });
});

describe("a runbook's declared outputs and subject", () => {
  it("are read through the use's id: each reference becomes the step output it is declared from", () => {
    const dir = write({ 'part.yaml': PART, 'parent.yaml': parent(USE) });
    const rb = loadRunbook(join(dir, 'parent.yaml'), actions);
    expect(rb.steps.find((s) => s.id === 'after')!.with).toEqual({ name: '${steps.destroy.outputs.gone}-${steps.work.outputs.worked}' });
    const part = loadRunbook(join(dir, 'part.yaml'), actions);
    expect(part.outputs.map((o) => [o.name, o.type, o.from])).toEqual([
      ['worked', 'string', '${steps.work.outputs.worked}'],
      ['gone', 'boolean', '${steps.destroy.outputs.gone}'],
    ]);
  });

  it("refuses a caller reading a used runbook's inner steps, naming the use", () => {
    expect(problemsOf(parent(USE, { after: after('destroy', 'done') }))).toEqual([
      'parent.yaml:21: step "after": parameter "name": ${steps.destroy.outputs.gone}: step "destroy" is a step of runbook part, used at line 12: read the use\'s declared outputs instead (give the use an id: ${steps.USE_ID.outputs.NAME})',
    ]);
    expect(problemsOf(parent(USE, { after: after('done', 'done').replace('outputs.worked', 'outputs.work') }))).toEqual([
      'parent.yaml:21: step "after": parameter "name": ${steps.done.outputs.work}: step "done" has no output "work" (it has: worked, gone)',
    ]);
  });

  it('refuses at load an output from an unknown step or output, of the wrong type, or not a step output, naming the file and line', () => {
    const outputs = (text: string) => ({ 'part.yaml': `${nameAndCellRunbook('part', PART_STEPS)}outputs:\n${text}` });
    const one = (from: string, type = 'string') => `  - name: worked\n    type: ${type}\n    from: ${from}\n`;
    expect(problemsOf(parent(USE), outputs(one('${steps.wrk.outputs.worked}'))).slice(0, 2)).toEqual([
      'parent.yaml:12: use "part": the runbook cannot be used:',
      'part.yaml:32: output "worked": ${steps.wrk.outputs.worked}: no earlier step "wrk" (a step can only use outputs of steps before it)',
    ]);
    expect(problemsOf(parent(USE), outputs(one('${steps.work.outputs.done}')))[1]).toBe(
      'part.yaml:32: output "worked": ${steps.work.outputs.done}: step "work" has no output "done" (it has: worked)',
    );
    expect(problemsOf(parent(USE), outputs(one('${steps.work.outputs.worked}', 'number')))[1]).toBe(
      'part.yaml:32: output "worked": declared number, but ${steps.work.outputs.worked} is a string',
    );
    expect(problemsOf(parent(USE), outputs(one('${inputs.name}')))[1]).toBe(
      'part.yaml:32: output "worked": from must be a single reference to a step output (${steps.STEP_ID.outputs.KEY}), found ${inputs.name}',
    );
    expect(problemsOf(parent(USE), outputs(`${one('${steps.work.outputs.worked}')}${one('${steps.work.outputs.worked}')}`))[1]).toBe(
      'part.yaml:33: output "worked" is declared twice',
    );
  });

  it('declares its subject: references to step outputs, checked when it loads', () => {
    const subject = (text: string) => parent(USE).replace('inputs:\n', `subject:\n${text}inputs:\n`);
    const dir = write({ 'part.yaml': PART, 'parent.yaml': subject('  instanceGuid: ${steps.done.outputs.worked}\n  live: true\n') });
    expect(loadRunbook(join(dir, 'parent.yaml'), actions).subject).toEqual({
      instanceGuid: '${steps.work.outputs.worked}',
      live: true,
    });
    expect(problemsOf(subject('  instanceGuid: ${steps.done.outputs.gone}\n'))).toEqual([
      'parent.yaml:4: subject.instanceGuid: ${steps.done.outputs.gone} is a boolean, but this parameter takes a string',
    ]);
    expect(problemsOf(subject('  archiveUrl: s3://b/p/\n'))).toEqual([
      'parent.yaml:4: subject must name the instance (instanceGuid) or the space (spaceGuid) a run is about',
    ]);
  });

  it("runs a use's steps only when its condition holds, joined to each step's own", async () => {
    const gated = (go: boolean) => {
      const part = `${nameAndCellRunbook(
        'part',
        PART_STEPS.replace('    action: t.destroy', '    when: ${inputs.destroy}\n    action: t.destroy'),
      ).replace('steps:', '  - name: destroy\n    prompt: Destroy\n    type: boolean\nsteps:')}${WORK_OUTPUTS}`;
      const use = `  - use: part\n    id: done\n    when: \${inputs.go}\n    with:\n      name: \${inputs.who}\n      destroy: \${inputs.go}\n`;
      const text = parent(use, { after: '' }).replace('inputs:\n', `inputs:\n  - name: go\n    prompt: Go\n    type: boolean\n`);
      return runParent(write({ 'part.yaml': part, 'parent.yaml': text }), actions, { yes: true, inputs: { who: 'abc', go } });
    };
    const dir = write({ 'part.yaml': PART, 'parent.yaml': parent(USE) });
    expect(loadRunbook(join(dir, 'parent.yaml'), actions).steps.map((s) => s.when)).toEqual([undefined, undefined, undefined, undefined]);
    const skipped = await gated(false);
    expect(skipped.error).toBeUndefined();
    const skips = skipped.events.filter((e) => e.type === 'step.skipped').map((e) => (e as { step: string }).step);
    expect(skips).toEqual(['work', 'destroy']);
    const ran = await gated(true);
    expect(ran.error).toBeUndefined();
    expect(ran.events.filter((e) => e.type === 'step.finished').map((e) => (e as { step: string }).step)).toEqual([
      'plan',
      'work',
      'destroy',
    ]);
    expect(problemsOf(parent(USE.replace('    id: done\n', '    id: done\n    when: ${steps.plan.outputs.names}\n')))).toEqual([
      'parent.yaml:14: use "part": when: ${steps.plan.outputs.names} is a string[], but this parameter takes a boolean',
    ]);
  });
});
