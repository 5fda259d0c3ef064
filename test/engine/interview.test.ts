/**
 * The interview asks only what applies: an input whose answer cannot matter given the earlier answers
 * (`askedWhen`, `askedUnless`) takes its default without a question, and is not shown among the
 * user's answers; no `${…}` of the runbook reaches the screen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/engine/runbook/index.js';
import type { Prompter } from '../../src/engine/operator/index.js';
import { answerValue, packAnswers } from '../../src/engine/operator/answers-shown.js';
import { refInWords } from '../../src/engine/operator/screen-text.js';
import { newWorld, runParent, worldActions, writeRunbooks } from './foreach-harness.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const RUNBOOK = `version: 1
name: parent
inputs:
  - name: when
    prompt: The moment (empty for a transaction)
    default: ''
  - name: xid
    prompt: The transaction
    default: ''
    askedWhen: { when: '' }
  - name: exclusive
    prompt: Leave it out
    type: boolean
    default: false
    askedUnless: { when: '', xid: '' }
  - name: into
    prompt: dumps or service
    default: dumps
  - name: plan
    prompt: The plan
    default: cluster
    askedWhen: { into: service }
steps:
  - id: work
    title: Work
    why: because
    action: t.work
    with:
      name: \${inputs.into}
`;

/** A terminal that answers each question from `answers` by its key, recording the keys asked. */
function terminal(answers: Record<string, string>, asked: string[]): Prompter {
  return {
    interactive: true,
    input: (q) => {
      asked.push(q.key);
      return Promise.resolve(answers[q.key] ?? q.default ?? '');
    },
    typed: () => Promise.reject(new Error('no confirmation expected')),
    select: () => Promise.reject(new Error('no choice expected')),
  };
}

async function interview(answers: Record<string, string>): Promise<{ asked: string[]; screen: string; inputs: Record<string, unknown> }> {
  const dir = mkdtempSync(join(tmpdir(), 'dr-interview-'));
  dirs.push(dir);
  writeRunbooks(dir, RUNBOOK);
  const asked: string[] = [];
  const r = await runParent(dir, worldActions(newWorld([])), { prompter: terminal(answers, asked) });
  const inputs = Object.fromEntries(r.events.flatMap((e) => (e.type === 'input' ? [[e.name, e.value]] : [])));
  return { asked, screen: r.screen, inputs };
}

describe('the interview', () => {
  it('asks no transaction after a moment, no plan for dumps, and journals their defaults', async () => {
    const r = await interview({ when: '2016-11-21T14:01:30Z' });
    expect(r.asked).toEqual(['when', 'exclusive', 'into']);
    expect(r.inputs).toEqual({ when: '2016-11-21T14:01:30Z', xid: '', exclusive: false, into: 'dumps', plan: 'cluster' });
    expect(r.screen).not.toMatch(/\bxid\b|\bplan\b/);
  });

  it('asks what the earlier answers make matter', async () => {
    expect((await interview({ xid: '1843', into: 'service' })).asked).toEqual(['when', 'xid', 'exclusive', 'into', 'plan']);
    // No target at all: leaving it out means nothing.
    expect((await interview({})).asked).toEqual(['when', 'xid', 'into']);
  });
});

describe('a runbook input asked only sometimes', () => {
  const rb = (extra: string): string =>
    `version: 1\nname: rb\ninputs:\n  - name: into\n    prompt: into\n    default: dumps\n  - name: plan\n    prompt: plan\n${extra}steps:\n  - id: work\n    title: Work\n    why: because\n    action: t.work\n    with:\n      name: x\n`;
  const actions = worldActions(newWorld([]));

  it('needs a default, and names only earlier inputs, with values of their types', () => {
    expect(() => parseRunbook('rb.yaml', rb('    askedWhen: { into: service }\n'), actions)).toThrow(
      'input "plan": askedWhen: an input not always asked needs a default',
    );
    expect(() => parseRunbook('rb.yaml', rb("    default: ''\n    askedWhen: { later: x }\n"), actions)).toThrow(
      'input "plan": askedWhen: "later" is no earlier input',
    );
    expect(() => parseRunbook('rb.yaml', rb("    default: ''\n    askedUnless: { into: [] }\n"), actions)).toThrow(
      'input "plan": askedUnless: into is a string, not []',
    );
    expect(() => parseRunbook('rb.yaml', rb("    default: ''\n    askedwhen: { into: service }\n"), actions)).toThrow(
      'input "plan": unknown key "askedwhen"',
    );
  });
});

describe('what the screen shows of the runbook', () => {
  it('says a joined condition in words, never as ${…}', () => {
    expect(refInWords('${steps.copy-into.outputs.asService && steps.size-for-plan.outputs.grow}')).toBe(
      "copy-into's asService and size-for-plan's grow",
    );
  });

  it('shows an empty answer as none, never as nothing', () => {
    expect(answerValue('')).toBe('(none)');
    expect(packAnswers([{ name: 'mergeChecksum', prompt: 'p', value: '', source: 'default' }], 200)).toEqual([
      "The user's answers: mergeChecksum (none) (default)",
    ]);
  });
});
