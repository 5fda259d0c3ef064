/** Records handed between steps are typed by a declared shape, and checked as they enter and leave an action. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { defineAction, output, required, shape, type OutputsOf, type ParamsOf } from '../../../src/engine/runbook/index.js';
import { isShaped, listProblems, shapeProblems } from '../../../src/engine/runbook/shape.js';
import { StepFailed } from '../../../src/core/errors.js';
import { journalPath, runParent } from '../foreach-harness.js';

const INSTANCE = shape('instance', { name: 'string', apps: 'string[]', nodes: 'number?', recoverable: 'boolean' });

describe('a shape', () => {
  it('accepts its records, with optional fields absent or null and fields it does not name', () => {
    expect(shapeProblems(INSTANCE, { name: 'a', apps: [], recoverable: true })).toEqual([]);
    expect(shapeProblems(INSTANCE, { name: 'a', apps: ['x'], nodes: null, recoverable: false, extra: { any: 1 } })).toEqual([]);
    expect(isShaped(INSTANCE, { name: 'a', apps: ['x'], nodes: 3, recoverable: false })).toBe(true);
  });

  it('names each field that is missing or of another type', () => {
    expect(shapeProblems(INSTANCE, { name: 7, apps: ['x', 2], nodes: '3' })).toEqual([
      'name: expected a string, found 7',
      'apps: expected a string[], found ["x",2]',
      'nodes: expected a number or nothing, found "3"',
      'recoverable: expected a boolean, found nothing',
    ]);
    expect(shapeProblems(INSTANCE, ['a'])).toEqual(['expected a record (instance), found ["a"]']);
    expect(
      listProblems(INSTANCE, [
        { name: 'a', apps: [], recoverable: true },
        { name: 'b', apps: [] },
      ]),
    ).toEqual(['item 2: recoverable: expected a boolean, found nothing']);
    expect(listProblems(INSTANCE, 'a')).toEqual(['expected a list of records (instance), found "a"']);
  });
});

const dir = mkdtempSync(join(tmpdir(), 'shape-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const runbook = `version: 1
name: parent
inputs:
  - name: broken
    prompt: whether t.list returns a record of another shape
    type: string
    default: 'no'
steps:
  - id: list
    title: List
    why: w
    action: t.list
    with:
      broken: \${inputs.broken}
  - id: take
    title: Take
    why: w
    action: t.take
    with:
      instances: \${steps.list.outputs.instances}
`;

const taken: { name: string; apps: string[]; nodes?: number | null }[][] = [];
let takeFails = false;
const list = defineAction({
  name: 't.list',
  summary: 'lists instances',
  effect: 'read',
  params: { broken: required('string', 'yes to return a record of another shape') },
  outputs: { instances: output('object[]', 'the instances', INSTANCE) },
  run(_ctx, p) {
    const instances = [{ name: 'orders-db', apps: ['shop'], nodes: null, recoverable: true }];
    // What a slip in an action's code would return, past the compiler.
    if (p.broken === 'yes') return { instances: JSON.parse('[{"name":"orders-db","apps":"shop","recoverable":true}]') as typeof instances };
    return { instances };
  },
});
const take = defineAction({
  name: 't.take',
  summary: 'takes them',
  effect: 'read',
  params: { instances: required('object[]', 'the instances', INSTANCE) },
  outputs: { names: output('string[]', 'their names') },
  run(_ctx, p) {
    if (takeFails) throw new StepFailed('the platform did not answer', { hint: 'resume' });
    taken.push(p.instances.map((i) => ({ name: i.name, apps: i.apps, nodes: i.nodes })));
    return { names: p.instances.map((i) => i.name) };
  },
});
const actions = new Map([
  [list.name, list],
  [take.name, take],
]);

describe('records between steps', () => {
  it('reach the next step typed, as they were made', async () => {
    const d = mkdtempSync(join(dir, 'run-'));
    writeFileSync(join(d, 'parent.yaml'), runbook);
    const r = await runParent(d, actions, { yes: true });
    expect(r.error).toBeUndefined();
    expect(r.outputs.take).toEqual({ names: ['orders-db'] });
    expect(taken.at(-1)).toEqual([{ name: 'orders-db', apps: ['shop'], nodes: null }]);
  });

  it('of another shape than the action declares are refused before they are journaled', async () => {
    const d = mkdtempSync(join(dir, 'run-'));
    writeFileSync(join(d, 'parent.yaml'), runbook);
    const r = await runParent(d, actions, { yes: true, inputs: { broken: 'yes' } });
    expect(r.error?.message).toBe(
      't.list: its outputs are not the records it declares (instances: item 1: apps: expected a string[], found "shop")',
    );
    expect(r.error?.hint).toMatch(/were not journaled/);
    expect(r.events.filter((e) => e.type === 'step.finished')).toEqual([]);
  });

  it('edited into the journal by hand are refused on resume, naming the field, and the journal is kept as it was', async () => {
    const d = mkdtempSync(join(dir, 'run-'));
    writeFileSync(join(d, 'parent.yaml'), runbook);
    takeFails = true;
    const first = await runParent(d, actions, { yes: true });
    takeFails = false;
    expect(first.error?.message).toBe('the platform did not answer');
    const file = journalPath(d);
    const edited = readFileSync(file, 'utf8').replace('"name":"orders-db"', '"name":7');
    expect(edited).not.toBe(readFileSync(file, 'utf8'));
    writeFileSync(file, edited);
    const before = taken.length;
    const second = await runParent(d, actions, { yes: true });
    expect(second.error?.message).toBe(
      't.take: its parameters are not the records it declares (instances: item 1: name: expected a string, found 7)',
    );
    expect(second.error?.hint).toMatch(/journal edited by hand/);
    expect(taken.length).toBe(before);
    expect(readFileSync(file, 'utf8').startsWith(edited)).toBe(true);
  });
});

describe('the types of shaped values', () => {
  it('are the records of their shape (checked by tsc)', () => {
    const _specs = { instances: required('object[]', 'the instances', INSTANCE), one: required('object', 'one', INSTANCE) };
    expectTypeOf<ParamsOf<typeof _specs>['instances'][number]['apps']>().toEqualTypeOf<string[]>();
    expectTypeOf<ParamsOf<typeof _specs>['one']['nodes']>().toEqualTypeOf<number | null | undefined>();
    expectTypeOf<
      OutputsOf<{ out: ReturnType<typeof output<'object[]', typeof INSTANCE>> }>['out'][number]['name']
    >().toEqualTypeOf<string>();
  });
});
