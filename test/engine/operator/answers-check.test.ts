/** An answers file is checked against its runbook: confirm ids, input names and the kind of each value. */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/cli.js';
import { actionRegistry } from '../../../src/actions/index.js';
import { checkAnswers, confirmIds, type Answers } from '../../../src/engine/operator/index.js';
import { checkInput, normaliseInput } from '../../../src/engine/executor/index.js';
import { loadRunbook } from '../../../src/engine/runbook/index.js';

const actions = actionRegistry();
const single = loadRunbook(resolve(ROOT, 'runbooks/recover-deleted-service.yaml'), actions);
const space = loadRunbook(resolve(ROOT, 'runbooks/recover-space.yaml'), actions);
const answers = (a: Partial<Answers>): Answers => ({ inputs: {}, confirm: {}, choose: {}, secrets: {}, ...a });

describe('confirm ids', () => {
  it('are the steps with a confirm block or a destructive action, and the item steps of a for-each', () => {
    expect(confirmIds(single, actions).exact).toEqual(expect.arrayContaining(['confirm-deleted-instance', 'stop-container']));
    expect(confirmIds(single, actions).exact).not.toContain('find-deleted-instance');
    const { exact, items } = confirmIds(space, actions);
    expect(exact).toContain('confirm-space-plan');
    const [forEach, inner] = [...items.entries()][0]!;
    expect(inner).toContain('stop-container');
    expect(() => {
      checkAnswers('a.yaml', answers({ confirm: { [`${forEach}/orders-db/stop-container`]: true } }), space, actions);
    }).not.toThrow();
    expect(() => {
      checkAnswers('a.yaml', answers({ confirm: { [`${forEach}/orders-db/stop-contaner`]: true } }), space, actions);
    }).toThrow(/confirm\.\S+stop-contaner is not a step/);
  });

  it('refuses one the runbook never asks, naming the nearest and every valid one', () => {
    expect(() => {
      checkAnswers('a.yaml', answers({ confirm: { 'stop-contaner': true } }), single, actions);
    }).toThrow(
      expect.objectContaining({
        message: expect.stringContaining('(did you mean "stop-container"?)'),
        hint: expect.stringContaining('confirm-deleted-instance'),
      }),
    );
    expect(() => {
      checkAnswers('a.yaml', answers({ confirm: { zzzzzzzzzzzzzzzz: true } }), single, actions);
    }).toThrow(expect.objectContaining({ message: expect.not.stringContaining('did you mean') }));
  });
});

describe('yes/no answers', () => {
  it.each([
    ['yes', true],
    ['Y', true],
    ['true', true],
    [' no ', false],
    ['n', false],
    ['FALSE', false],
    [true, true],
  ])('%j is %j', (typed, value) => {
    expect(normaliseInput('boolean', typed)).toBe(value);
    expect(checkInput({ type: 'boolean' }, normaliseInput('boolean', typed))).toBe(true);
  });

  it.each(['maybe', '1', 'yess', ''])('%j is refused, so a prompt asks again', (typed) => {
    expect(checkInput({ type: 'boolean' }, normaliseInput('boolean', typed))).toMatch(/is not yes or no/);
  });

  it('a number is no yes/no either', () => {
    expect(checkAnswers.bind(null, 'a.yaml', answers({ inputs: { recreateSpace: 1 } }), space, actions)).toThrow(
      'inputs.recreateSpace is number 1, but it must be yes or no',
    );
  });
});

describe('a list of records (an input a use step binds to a step output)', () => {
  it('takes records and refuses anything else, saying what it needs', () => {
    expect(checkInput({ type: 'object[]' }, [{ database: 'app', file: '/x' }])).toBe(true);
    for (const bad of ['dumps', ['a'], [null], { database: 'app' }])
      expect(checkInput({ type: 'object[]' }, bad)).toMatch(/a list of records is needed/);
  });

  it('is what verify-dumps takes, which both dump-writing runbooks use', () => {
    const verify = loadRunbook(resolve(ROOT, 'runbooks/verify-dumps.yaml'), actions);
    expect(verify.inputs).toEqual([expect.objectContaining({ name: 'dumps', type: 'object[]' })]);
    for (const name of ['recover-docker-volume', 'restore-to-time'])
      expect(loadRunbook(resolve(ROOT, `runbooks/${name}.yaml`), actions).steps.map((s) => s.id)).toContain('verify-dumps');
  });
});

describe('a text input whose default is empty (none)', () => {
  it('may be left empty; one with another default, or none, needs an answer', () => {
    expect(checkInput({ type: 'string', default: '' }, normaliseInput('string', ''))).toBe(true);
    expect(checkInput({ type: 'string', default: '', pattern: '^[0-9]+$' }, '')).toBe(true);
    expect(checkInput({ type: 'string', default: '', pattern: '^[0-9]+$' }, 'x')).toBe('"x" does not match ^[0-9]+$');
    expect(checkInput({ type: 'string', default: 'cluster' }, '')).toBe('an answer is needed');
    expect(checkInput({ type: 'string' }, '')).toBe('an answer is needed');
  });

  it('takes a number as its text, as an answers file gives a transaction id (targetXid: 1843)', () => {
    const rtt = loadRunbook(resolve(ROOT, 'runbooks/restore-to-time.yaml'), actions);
    expect(() => {
      checkAnswers('a.yaml', answers({ inputs: { targetXid: 1843, targetExclusive: 'yes' } }), rtt, actions);
    }).not.toThrow();
    expect(normaliseInput('string', 1843)).toBe('1843');
  });
});
