/** The loader's checks of for-each steps, each problem as FILE:LINE. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { loadRunbook } from '../../../src/engine/runbook/index.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { ITEM_RUNBOOK, newWorld, parentRunbook, worldActions } from '../foreach-harness.js';

const tmp = tempDirs('dr-foreach-rb-');
const actions = worldActions(newWorld([]));

/** Loads `parent` (with item.yaml beside it); its problems, or [] when it loads. */
function problemsOf(parent: string, item = ITEM_RUNBOOK): string[] {
  const dir = tmp();
  writeFileSync(join(dir, 'item.yaml'), item);
  writeFileSync(join(dir, 'parent.yaml'), parent);
  try {
    loadRunbook(join(dir, 'parent.yaml'), actions);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message.split('\n').map((l) => l.replace(dir + '/', ''));
  }
}

/** The parent runbook with its for-each block's lines (after `forEach:`) replaced. */
function withForEach(lines: string, extraStep = ''): string {
  return parentRunbook().replace(/ {4}forEach:\n[\s\S]*$/, `    forEach:\n${lines}`) + extraStep;
}

const FULL = `      items: \${steps.plan.outputs.instances}
      key: name
      runbook: item
      inputs:
        name: \${item.name}
`;

describe('a for-each step, loaded', () => {
  it('loads the sub-runbook and declares results, finished and failed for later steps', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'item.yaml'), ITEM_RUNBOOK);
    writeFileSync(
      join(dir, 'parent.yaml'),
      parentRunbook() +
        `  - id: after
    title: After
    why: w
    action: t.work
    when: \${steps.each.outputs.failed}
    with:
      name: \${steps.each.outputs.results}
`,
    );
    expect(problemsOf(readFileSync(join(dir, 'parent.yaml'), 'utf8'))).toEqual([
      'parent.yaml:29: step "after": parameter "name": ${steps.each.outputs.results} is a object[], but this parameter takes a string',
      'parent.yaml:27: step "after": when: ${steps.each.outputs.failed} is a number, but this parameter takes a boolean',
    ]);
    writeFileSync(join(dir, 'parent.yaml'), parentRunbook());
    const rb = loadRunbook(join(dir, 'parent.yaml'), actions);
    const fe = rb.steps[1]!.forEach!;
    expect(fe.runbook.steps.map((s) => s.id)).toEqual(['work', 'destroy']);
    expect(fe).toMatchObject({ key: 'name', concurrency: 2, confirmedBy: 'plan', inputs: { name: '${item.name}', cell: '${item.cell}' } });
    expect(rb.steps[1]!.forEach!.runbook.steps[0]!.exclusive).toBe('cell-${inputs.cell}');
  });

  it('changes its sha256 when the sub-runbook changes', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'parent.yaml'), parentRunbook());
    writeFileSync(join(dir, 'item.yaml'), ITEM_RUNBOOK);
    const before = loadRunbook(join(dir, 'parent.yaml'), actions).sha256;
    writeFileSync(join(dir, 'item.yaml'), ITEM_RUNBOOK.replace('title: Work on it', 'title: Work on it now'));
    expect(loadRunbook(join(dir, 'parent.yaml'), actions).sha256).not.toBe(before);
  });

  it('needs items to be a whole reference to an object[] or string[]', () => {
    expect(problemsOf(withForEach(FULL.replace('${steps.plan.outputs.instances}', 'x-${steps.plan.outputs.instances}')))).toEqual([
      'parent.yaml:15: step "each": forEach.items must be a single reference to an object[] or string[] (e.g. ${steps.ID.outputs.KEY})',
    ]);
    expect(problemsOf(withForEach(FULL.replace('${steps.plan.outputs.instances}', '${inputs.nope}')))).toEqual([
      'parent.yaml:15: step "each": forEach.items ${inputs.nope}: no input named "nope"',
    ]);
  });

  it('needs key for object items, and refuses it for string items', () => {
    expect(problemsOf(withForEach(FULL.replace('      key: name\n', '')))).toEqual([
      'parent.yaml:15: step "each": forEach.key must name the field of each item that names it',
    ]);
    const strings = FULL.replace('instances}', 'names}').replace('${item.name}', '${item}');
    expect(problemsOf(withForEach(strings))).toEqual([
      'parent.yaml:16: step "each": forEach.key is for object items; a string item is its own key',
    ]);
    expect(problemsOf(withForEach(strings.replace('      key: name\n', '')))).toEqual([]);
  });

  it('checks the sub-runbook with the same actions, and refuses a for-each inside it', () => {
    const broken = ITEM_RUNBOOK.replace('action: t.destroy', 'action: t.destroi');
    const problems = problemsOf(withForEach(FULL), broken);
    expect(problems[0]).toBe('parent.yaml:17: step "each": forEach.runbook "item" cannot be used:');
    expect(problems[1]).toBe(
      '  item.yaml:23: step "destroy": unknown action "t.destroi" (did you mean one of: t.plan, t.work, t.destroy?)',
    );
    const nested = ITEM_RUNBOOK.replace(
      'outputs:\n',
      `  - id: again\n    title: Again\n    why: w\n    forEach:\n      items: \${steps.work.outputs.worked}\n      runbook: item\noutputs:\n`,
    );
    expect(problemsOf(withForEach(FULL), nested)).toContainEqual(
      expect.stringMatching(/item\.yaml:33: step "again": a for-each inside a sub-runbook: nesting deeper than one level is refused$/),
    );
    expect(problemsOf(withForEach(FULL.replace('runbook: item', 'runbook: parent')))).toContainEqual(
      expect.stringMatching(/parent\.yaml: the runbook runs itself \(a cycle\)$/),
    );
    expect(problemsOf(withForEach(FULL.replace('runbook: item', 'runbook: missing')))[1]).toMatch(/missing\.yaml/);
  });

  it('needs inputs the sub-runbook has, every input without a default, and values of the right type', () => {
    expect(problemsOf(withForEach(FULL.replace('name: ${item.name}', 'colour: ${item.colour}')))).toEqual([
      'parent.yaml:19: step "each": forEach.inputs: runbook item has no input "colour" (it has: name, cell)',
      'parent.yaml:19: step "each": forEach.inputs must give "name" (Name): runbook item has no default for it',
    ]);
    expect(problemsOf(withForEach(FULL.replace('name: ${item.name}', 'name: ${steps.plan.outputs.names}')))).toEqual([
      'parent.yaml:19: step "each": forEach.inputs.name: ${steps.plan.outputs.names} is a string[], but this parameter takes a string',
    ]);
  });

  it('allows ${item.X} only in forEach.inputs', () => {
    const step = `  - id: after\n    title: After\n    why: w\n    action: t.work\n    with:\n      name: \${item.name}\n`;
    expect(problemsOf(withForEach(FULL, step))).toEqual([
      'parent.yaml:25: step "after": parameter "name": ${item.name}: ${item…} may only be used in a for-each step\'s inputs',
    ]);
  });

  it('needs confirmedBy to name an earlier step with a confirm block', () => {
    expect(problemsOf(withForEach(FULL + '      confirmedBy: later\n'))).toEqual([
      'parent.yaml:20: step "each": forEach.confirmedBy must name an earlier step with a confirm block (found "later")',
    ]);
    const unconfirmed = withForEach(FULL + '      confirmedBy: plan\n').replace(
      '    confirm:\n      typed: go\n      message: Go ahead\n',
      '',
    );
    expect(problemsOf(unconfirmed)).toEqual([
      'parent.yaml:17: step "each": forEach.confirmedBy: step "plan" has no confirm block, so it confirms nothing',
    ]);
  });

  it('needs concurrency to be a whole number from 1 to 32, and no action beside forEach', () => {
    expect(problemsOf(withForEach(FULL + '      concurrency: 33\n'))).toEqual([
      'parent.yaml:20: step "each": forEach.concurrency must be a whole number from 1 to 32 (found 33)',
    ]);
    expect(problemsOf(withForEach(FULL + '      concurrency: 1.5\n'))).toEqual([
      'parent.yaml:20: step "each": forEach.concurrency must be a whole number from 1 to 32 (found 1.5)',
    ]);
    expect(problemsOf(withForEach(FULL).replace('    forEach:', '    action: t.plan\n    forEach:'))).toEqual([
      'parent.yaml:11: step "each": a step has either forEach or action (with its "with"), not both',
    ]);
  });
});
