/**
 * A confirmation typed only (confirm.typedInput): --yes never accepts it, nor `true` in an answers file.
 * The operator types it at a terminal or gives it as the input it names; without them the step waits.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineAction, loadRunbook, output, required } from '../../src/engine/runbook/index.js';
import type { Prompter } from '../../src/engine/operator/index.js';
import { runParent } from './foreach-harness.js';

const root = mkdtempSync(join(tmpdir(), 'confirm-typed-only-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const CODE = '3f9a0c21be77';
const applied: string[] = [];
const actions = new Map(
  [
    defineAction({
      name: 't.plan-patch',
      summary: 'plans a patch',
      effect: 'read',
      params: {},
      outputs: { code: output('string', 'what is typed to apply it') },
      run: () => Promise.resolve({ code: CODE }),
    }),
    defineAction({
      name: 't.apply',
      summary: 'applies the patch',
      effect: 'destructive',
      params: { code: required('string', 'its code') },
      outputs: { applied: output('boolean', 'applied') },
      evidence: (_ctx, p) => Promise.resolve({ patch: `/runs/r1/merge/p.sql (sha256 ${p.code}…)` }),
      probe: () => Promise.resolve({ done: false, why: 'not applied' }),
      run(_ctx, p) {
        applied.push(p.code);
        return Promise.resolve({ applied: true });
      },
    }),
  ].map((a) => [a.name, a]),
);

const runbook = (typedInput: string) => `version: 1
name: parent
inputs:
  - name: checksum
    prompt: The patch's checksum
    type: string
    pattern: '^([0-9a-f]{12})?$'
    default: ''
steps:
  - id: plan
    title: Plan
    why: w
    action: t.plan-patch
  - id: apply
    title: Apply
    why: w
    action: t.apply
    with:
      code: \${steps.plan.outputs.code}
    confirm:
      typed: \${steps.plan.outputs.code}
      typedInput: ${typedInput}
      message: Write the patch
`;

function newRun(): string {
  const dir = mkdtempSync(join(root, 'run-'));
  writeFileSync(join(dir, 'parent.yaml'), runbook('${inputs.checksum}'));
  return dir;
}

const confirms = (events: { type: string }[]) => events.filter((e) => e.type === 'confirm');

describe('a confirmation typed only', () => {
  it('is not accepted by --yes: the step waits naming what it acts on and the resume line that gives the text, then applies once given', async () => {
    applied.length = 0;
    const dir = newRun();
    const waiting = await runParent(dir, actions, { yes: true });
    expect(waiting.error).toMatchObject({ name: 'NeedsOperator', exitCode: 3 });
    expect(waiting.error?.message).toBe(
      `step "apply" is confirmed only by the operator typing "${CODE}", never by --yes: Write the patch, and --yes was given (patch: /runs/r1/merge/p.sql (sha256 ${CODE}…))`,
    );
    expect(waiting.error?.hint).toContain(
      `dingo-recover resume r1 --set checksum=${CODE} (or resume at a terminal, without --yes, and type it)`,
    );
    expect(applied).toEqual([]);
    expect(confirms(waiting.events)).toEqual([]);

    // Another patch's checksum does not apply this one.
    const wrong = await runParent(dir, actions, { yes: true, inputs: { checksum: '000000000000' } });
    expect(wrong.error).toMatchObject({ name: 'NeedsOperator' });
    expect(wrong.error?.message).toContain('input checksum is "000000000000", which is not what it acts on now');
    expect(applied).toEqual([]);

    const given = await runParent(dir, actions, { yes: true, inputs: { checksum: CODE } });
    expect(given.error).toBeUndefined();
    expect(applied).toEqual([CODE]);
    expect(confirms(given.events)).toEqual([expect.objectContaining({ step: 'apply', method: 'answers', typed: CODE, expected: CODE })]);
    expect(given.screen).toContain('confirmed by inputs.checksum');
  });

  it('waits without a terminal too, and refuses `true` in an answers file, while the text itself there confirms it', async () => {
    applied.length = 0;
    const dir = newRun();
    const unattended = await runParent(dir, actions);
    expect(unattended.error?.message).toContain('Write the patch, and no terminal asks');
    const yesInFile = await runParent(dir, actions, { confirm: { apply: true } });
    expect(yesInFile.error).toMatchObject({ name: 'UsageError' });
    expect(yesInFile.error?.message).toBe(`answers file: confirm.apply is true, but step "apply" is confirmed only by typing "${CODE}"`);
    expect(applied).toEqual([]);
    const typedInFile = await runParent(dir, actions, { confirm: { apply: CODE } });
    expect(typedInFile.error).toBeUndefined();
    expect(applied).toEqual([CODE]);
  });

  it('is asked at a terminal without --yes, as any typed confirmation, and its input is not asked before the run', async () => {
    applied.length = 0;
    const asked: string[] = [];
    const prompter: Prompter = {
      interactive: true,
      // The input the text is given as where no terminal asks is not asked before the run: the step asks.
      input: (q) => Promise.reject(new Error(`no input expected, asked ${q.key}`)),
      select: () => Promise.reject(new Error('no choice expected')),
      typed: (q) => {
        asked.push(q.message);
        return Promise.resolve(q.expected);
      },
    };
    const r = await runParent(newRun(), actions, { prompter });
    expect(r.error).toBeUndefined();
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'input', name: 'checksum', value: '', source: 'default' }));
    expect(asked).toEqual([`Write the patch — type "${CODE}" to confirm`]);
    expect(confirms(r.events)).toEqual([expect.objectContaining({ method: 'typed', typed: CODE })]);
  });

  it('is refused when the runbook loads unless typedInput is one reference to an input', () => {
    const dir = mkdtempSync(join(root, 'bad-'));
    writeFileSync(join(dir, 'parent.yaml'), runbook('${steps.plan.outputs.code}'));
    expect(() => loadRunbook(join(dir, 'parent.yaml'), actions)).toThrow(
      'confirm.typedInput must be a single reference to an input (${inputs.NAME})',
    );
  });
});
