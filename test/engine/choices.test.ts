/**
 * Choices declared in the runbook (`choose:` beside `confirm:`): checked when the runbook and the
 * answers file load, and decided by the engine (given, else asked at a terminal, else the run waits
 * for the operator with the runbook's hint), never by the action itself.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { actionRegistry } from '../../src/actions/index.js';
import { NeedsOperator, UsageError } from '../../src/core/errors.js';
import { choiceAsker } from '../../src/engine/executor/choices.js';
import type { Journal } from '../../src/engine/journal/journal.js';
import { checkAnswers, loadAnswers, UnattendedPrompter, type Answers, type Prompter } from '../../src/engine/operator/index.js';
import { defineAction, loadRunbook, parseRunbook } from '../../src/engine/runbook/index.js';
import { Redactor } from '../../src/core/redact.js';
import { ROOT } from '../support/cli.js';
import { settled } from '../support/started.js';

const picker = defineAction({
  name: 'demo.pick',
  summary: 'picks one',
  effect: 'read',
  params: {},
  outputs: {},
  chooses: { which: { description: 'which one' }, mode: { description: 'how', values: ['fast', 'slow'] } },
  run: () => settled(() => ({})),
});
const demo = new Map([[picker.name, picker]]);

function runbook(choose: string): string {
  return `version: 1
name: rb
steps:
  - id: pick
    title: Pick
    why: because
    action: demo.pick
${choose}`;
}

const BOTH = `    choose:
      which:
        candidates: the things found
        hint: ask the user
      mode:
        candidates: fast or slow
        hint: fast unless told
`;

describe('a runbook’s choose: block', () => {
  it('declares each choice its action asks, with candidates and a hint, and the values the action knows', () => {
    const rb = parseRunbook('rb.yaml', runbook(BOTH), demo);
    expect(rb.steps[0]!.choose).toEqual([
      { key: 'which', candidates: 'the things found', hint: 'ask the user', line: 10 },
      { key: 'mode', candidates: 'fast or slow', hint: 'fast unless told', values: ['fast', 'slow'], line: 13 },
    ]);
  });

  it('refuses a key the action does not ask (with the nearest), a choice left undeclared, and one without its hint', () => {
    const typo = BOTH.replace('      which:', '      whcih:');
    expect(() => parseRunbook('rb.yaml', runbook(typo), demo)).toThrow(
      /rb\.yaml:\d+: step "pick": choose\.whcih: action demo\.pick asks no choice "whcih" \(did you mean "which"\?\)[\s\S]*rb\.yaml:\d+: step "pick": action demo\.pick asks the operator to choose "which" \(which one\): declare it under choose:/,
    );
    expect(() => parseRunbook('rb.yaml', runbook(''), demo)).toThrow(/asks the operator to choose "which"[\s\S]*choose "mode"/);
    expect(() => parseRunbook('rb.yaml', runbook(BOTH.replace('        hint: ask the user\n', '')), demo)).toThrow(
      /choose\.which needs "hint": what the operator does to decide it/,
    );
  });

  it('is given in every bundled runbook whose actions ask a choice', () => {
    const actions = actionRegistry();
    const rb = loadRunbook(resolve(ROOT, 'runbooks/restore-to-time.yaml'), actions);
    const keys = rb.steps.flatMap((s) => (s.choose ?? []).map((c) => c.key));
    expect(keys.sort()).toEqual(['adoptInstance', 'deletedInstance', 'loadIntoPostgres', 'mergeUpdates', 'moment']);
  });
});

describe('an answers file’s choose: section', () => {
  const actions = actionRegistry();
  const rb = loadRunbook(resolve(ROOT, 'runbooks/restore-to-time.yaml'), actions);
  const answers = (choose: Record<string, string>): Answers => ({ inputs: {}, confirm: {}, choose, secrets: {} });
  const dir = mkdtempSync(join(tmpdir(), 'choices-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a key no step declares, naming the nearest and every one the runbook asks', () => {
    expect(() => {
      checkAnswers('a.yaml', answers({ deletedInstanec: 'x' }), rb, actions);
    }).toThrow(
      expect.objectContaining({
        message:
          'answers file a.yaml: choose.deletedInstanec is not a choice runbook restore-to-time asks (did you mean "deletedInstance"?)',
        hint: 'correct the key under choose; the choices it asks are: deletedInstance, moment, mergeUpdates, adoptInstance, loadIntoPostgres',
      }),
    );
  });

  it('names the file and the line of the misspelled key, in YAML and in JSON', () => {
    const [yaml, json] = [join(dir, 'answers.yaml'), join(dir, 'answers.json')];
    const lines = ['# the user asked for orders-db', 'inputs:', '  instance: orders-db', '', 'choose:', '  moment: 2016-03-17T05:00:00Z'];
    writeFileSync(yaml, [...lines, '  mergeUpdate: all', ''].join('\n'));
    writeFileSync(json, JSON.stringify({ choose: { mergeUpdate: 'all' } }, null, 2));
    for (const [file, line] of [
      [yaml, 7],
      [json, 3],
    ] as const) {
      expect(() => {
        checkAnswers(file, loadAnswers(file, new Redactor()), rb, actions);
      }).toThrow(
        `answers file ${file}:${line}: choose.mergeUpdate is not a choice runbook restore-to-time asks (did you mean "mergeUpdates"?)`,
      );
    }
    writeFileSync(yaml, 'choose:\n  deletedInstance: 6f1b2c3d\n  mergeUpdates: alll\n');
    expect(() => {
      checkAnswers(yaml, loadAnswers(yaml, new Redactor()), rb, actions);
    }).toThrow(`answers file ${yaml}:3: choose.mergeUpdates is "alll", but it must be one of safe, all, inserts-only`);
    writeFileSync(yaml, 'choose:\n  deletedInstance: 6f1b2c3d\n  moment: [a]\n');
    expect(() => loadAnswers(yaml, new Redactor())).toThrow(
      `answers file ${yaml}:3: choose.moment must be the value chosen, as text (found a list)`,
    );
  });

  it('refuses a value the choice cannot take, when its values are known before the run', () => {
    expect(() => {
      checkAnswers('a.yaml', answers({ mergeUpdates: 'alll' }), rb, actions);
    }).toThrow('answers file a.yaml: choose.mergeUpdates is "alll", but it must be one of safe, all, inserts-only');
    expect(() => {
      checkAnswers('a.yaml', answers({ mergeUpdates: 'all', loadIntoPostgres: 'yes' }), rb, actions);
    }).not.toThrow();
  });
});

describe('deciding a choice', () => {
  const declared = [{ key: 'which', candidates: 'the things found', hint: 'ask the user', line: 1 }];
  const options = [
    { value: 'a', name: 'thing a' },
    { value: 'b', name: 'thing b' },
  ];
  function asker(given: Record<string, string>, prompts: Prompter, answersFile?: string) {
    const journaled: unknown[] = [];
    const journal = { append: (e: unknown) => journaled.push(e) } as unknown as Journal;
    const sources = {
      given: Object.fromEntries(Object.entries(given).map(([k, v]) => [k, { value: v, by: `choose.${k} in the answers file` }])),
      answersFile,
    };
    return { journaled, asker: choiceAsker({ runId: 'r1', stepId: 's1', declared, sources, prompts, journal }) };
  }
  const terminal = (answer: string, asked: string[]): Prompter =>
    ({
      interactive: true,
      select: (q: { message: string }) => {
        asked.push(q.message);
        return Promise.resolve(answer);
      },
    }) as unknown as Prompter;

  it('takes a given value without asking, journaled with where it was given', async () => {
    const asked: string[] = [];
    const { asker: a, journaled } = asker({ which: 'b' }, terminal('a', asked));
    await expect(a.choose({ key: 'which', message: 'Which?', options })).resolves.toEqual({
      value: 'b',
      by: 'choose.which in the answers file',
      given: true,
    });
    expect(asked).toEqual([]);
    expect(journaled).toEqual([{ type: 'choice', step: 's1', key: 'which', value: 'b', by: 'choose.which in the answers file' }]);
  });

  it('refuses a given value that is not a candidate, with the runbook’s hint and where to correct it', async () => {
    const { asker: a } = asker({ which: 'c' }, new UnattendedPrompter(undefined));
    const err = await a.choose({ key: 'which', message: 'Which?', options }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err).toMatchObject({
      message: 'choose.which in the answers file chooses "c" for which, but it is not one of a, b',
      hint: 'ask the user; correct it where it was given (choose.which in the answers file), then resume',
    });
  });

  it('asks at a terminal; without one it waits for the operator, saying where to give it', async () => {
    const asked: string[] = [];
    await expect(asker({}, terminal('a', asked)).asker.choose({ key: 'which', message: 'Which?', options })).resolves.toMatchObject({
      value: 'a',
      by: 'the operator (at the prompt)',
    });
    expect(asked).toEqual(['Which?']);
    const own = await asker({}, new UnattendedPrompter('/home/op/a.yaml'), '/home/op/a.yaml')
      .asker.choose({ key: 'which', message: 'Which?', options })
      .catch((e: unknown) => e);
    expect(own).toBeInstanceOf(NeedsOperator);
    expect(own).toMatchObject({
      message: 'Which?: nothing chose it, and no terminal to ask on',
      hint: 'choose one of a, b (the things found): ask the user; add choose.which: VALUE to /home/op/a.yaml, then continue with `dingo-recover resume r1`; --yes never chooses',
    });
    const none = await asker({}, new UnattendedPrompter(undefined))
      .asker.choose({ key: 'which', message: 'Which?', options })
      .catch((e: unknown) => e);
    expect((none as NeedsOperator).hint).toBe(
      'choose one of a, b (the things found): ask the user; give it in an answers file of your own (choose: {which: VALUE}) and continue with `dingo-recover resume r1 --answers FILE`; --yes never chooses',
    );
  });

  it('refuses a value the step’s own input gives when the answers file gives another', async () => {
    const { asker: a } = asker({ which: 'a' }, new UnattendedPrompter(undefined));
    await expect(a.choose({ key: 'which', message: 'Which?', options, param: { value: 'b', by: 'inputs.which' } })).rejects.toThrow(
      'inputs.which is "b", but choose.which in the answers file is "a": one value, given twice, disagrees',
    );
  });
});
