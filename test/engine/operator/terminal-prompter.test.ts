import { beforeEach, describe, expect, it, vi } from 'vitest';

/** The answer the operator types, and what inquirer was asked, as @inquirer/prompts' input would see them. */
const typedByOperator = { text: '' };
const asked: { message: string; validate?: (v: string) => string | true }[] = [];
vi.mock('@inquirer/prompts', () => ({
  input: (q: { message: string; validate?: (v: string) => string | true }) => {
    asked.push(q);
    return Promise.resolve(typedByOperator.text);
  },
}));

const { TerminalPrompter } = await import('../../../src/engine/operator/prompts.js');
const { Declined, EXIT } = await import('../../../src/core/errors.js');

const question = { key: 'stop-container', message: 'Stop the container — type "important-db" to confirm', expected: 'important-db' };

describe('a typed confirmation at a terminal', () => {
  beforeEach(() => {
    asked.length = 0;
  });

  it('goes on when the expected text is typed', async () => {
    typedByOperator.text = 'important-db';
    await expect(new TerminalPrompter().typed(question)).resolves.toBe('important-db');
    expect(asked[0]!.message).toContain('(or "no" to stop here)');
  });

  it('can be declined with "no": the run stops before the step, resumable, exit 130', async () => {
    typedByOperator.text = ' No ';
    const err: unknown = await new TerminalPrompter().typed(question).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Declined);
    expect((err as InstanceType<typeof Declined>).exitCode).toBe(EXIT.interrupted);
    expect((err as Error).message).toBe('declined at the confirmation: this step has done nothing');
  });

  it('takes "no" as the expected text where that is what is expected, and refuses anything else with how to go on or stop', async () => {
    typedByOperator.text = 'no';
    await expect(new TerminalPrompter().typed({ ...question, expected: 'no' })).resolves.toBe('no');
    const validate = asked[0]!.validate!;
    expect(validate('important')).toBe('type "no" to go on, or "no" to stop here');
    typedByOperator.text = 'important-db';
    await new TerminalPrompter().typed(question);
    expect(asked[1]!.validate!('yes')).toBe('type "important-db" to go on, or "no" to stop here');
    expect(asked[1]!.validate!('n')).toBe(true);
  });
});
