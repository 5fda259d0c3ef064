import { describe, expect, it } from 'vitest';
import { parseRunbook, defineAction, loadRunbook } from '../../../src/engine/runbook/index.js';
import { UsageError } from '../../../src/core/errors.js';
import { actionRegistry } from '../../../src/actions/index.js';
import { ROOT } from '../../support/cli.js';
import { settled } from '../../support/started.js';

const actions = new Map(
  [
    defineAction({
      name: 'demo.make',
      summary: 'makes a thing',
      effect: 'write',
      params: { name: { type: 'string', required: true, description: 'name' }, count: { type: 'number', description: 'count' } },
      outputs: { guid: { type: 'string', description: 'guid' }, ok: { type: 'boolean', description: 'ok' } },
      run: () => settled(() => ({ guid: 'g', ok: true })),
      safeToRepeat: 'making the thing again is harmless',
    }),
    defineAction({
      name: 'demo.destroy',
      summary: 'destroys',
      effect: 'destructive',
      params: { guid: { type: 'string', required: true, description: 'guid' } },
      outputs: {},
      run: () => settled(() => ({})),
      probe: () => settled(() => ({ done: false, why: 'not yet' })),
    }),
    defineAction({
      name: 'demo.blind-write',
      summary: 'writes, and cannot tell whether it did',
      effect: 'write',
      params: {},
      outputs: {},
      run: () => settled(() => ({})),
    }),
    defineAction({
      name: 'demo.blind-destroy',
      summary: 'destroys, and cannot tell whether it did',
      effect: 'destructive',
      params: {},
      outputs: {},
      run: () => settled(() => ({})),
      safeToRepeat: '  ',
    }),
    defineAction({
      name: 'demo.look',
      summary: 'only looks',
      effect: 'read',
      params: {},
      outputs: {},
      run: () => settled(() => ({})),
    }),
  ].map((a) => [a.name, a]),
);

function errorsOf(text: string): string[] {
  try {
    parseRunbook('rb.yaml', text, actions);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    return (err as Error).message.split('\n');
  }
  throw new Error('expected the runbook to be rejected');
}

const head = `version: 1
name: t
inputs:
  - name: who
    prompt: Who?
    type: string
steps:
`;

describe('runbook loader', () => {
  it('accepts a well-formed runbook and keeps line numbers', () => {
    const rb = parseRunbook(
      'rb.yaml',
      head +
        `  - id: make
    title: Make
    why: because
    action: demo.make
    with:
      name: \${inputs.who}
  - id: destroy
    title: Destroy
    why: because
    action: demo.destroy
    with:
      guid: \${steps.make.outputs.guid}
    confirm:
      typed: \${steps.make.outputs.guid}
      message: really
`,
      actions,
    );
    expect(rb.steps.map((s) => [s.id, s.line])).toEqual([
      ['make', 8],
      ['destroy', 14],
    ]);
    expect(rb.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports an unknown action with FILE:LINE', () => {
    const errs = errorsOf(head + `  - id: a\n    title: A\n    why: w\n    action: demo.mak\n`);
    expect(errs).toEqual([
      expect.stringMatching(
        /^rb\.yaml:11: step "a": unknown action "demo\.mak" \(did you mean one of: demo\.make, demo\.destroy, demo\.blind-write, demo\.blind-destroy, demo\.look\?\)/,
      ),
    ]);
  });

  it('reports a parameter of the wrong type and an unknown parameter', () => {
    const errs = errorsOf(
      head + `  - id: a\n    title: A\n    why: w\n    action: demo.make\n    with:\n      name: x\n      count: lots\n      colour: red\n`,
    );
    expect(errs).toContain('rb.yaml:14: step "a": parameter "count": expected a number, found "lots"');
    expect(errs.some((e) => e.startsWith('rb.yaml:15: step "a": action demo.make has no parameter "colour"'))).toBe(true);
  });

  it('reports references to outputs no earlier step produces', () => {
    const errs = errorsOf(
      head +
        `  - id: a\n    title: A\n    why: w\n    action: demo.make\n    with:\n      name: \${steps.b.outputs.guid}\n` +
        `  - id: b\n    title: B\n    why: w\n    action: demo.make\n    with:\n      name: \${steps.a.outputs.nope}\n`,
    );
    expect(errs[0]).toMatch(/^rb\.yaml:13: .*no earlier step "b"/);
    expect(errs[1]).toMatch(/^rb\.yaml:19: .*step "a" has no output "nope" \(it has: guid, ok\)/);
  });

  it('reports a reference of the wrong type', () => {
    const errs = errorsOf(
      head +
        `  - id: a\n    title: A\n    why: w\n    action: demo.make\n    with:\n      name: x\n` +
        `  - id: b\n    title: B\n    why: w\n    action: demo.make\n    with:\n      name: \${steps.a.outputs.ok}\n`,
    );
    expect(errs).toEqual(['rb.yaml:19: step "b": parameter "name": ${steps.a.outputs.ok} is a boolean, but this parameter takes a string']);
  });

  it('reports duplicate step ids, missing parameters and a destructive step without confirm', () => {
    const errs = errorsOf(
      head +
        `  - id: a\n    title: A\n    why: w\n    action: demo.make\n    with: { name: x }\n` +
        `  - id: a\n    title: A\n    why: w\n    action: demo.destroy\n`,
    );
    expect(errs.some((e) => /^rb\.yaml:13: duplicate step id "a" \(first at line 8\)/.test(e))).toBe(true);
    expect(errs.some((e) => /^rb\.yaml:13: .*needs parameter "guid"/.test(e))).toBe(true);
    expect(errs.some((e) => /^rb\.yaml:13: .*destructive and needs a "confirm" block/.test(e))).toBe(true);
  });

  it('refuses, at the step line, an action that changes the platform with neither a probe nor safeToRepeat', () => {
    const errs = errorsOf(
      head +
        `  - id: look\n    title: L\n    why: w\n    action: demo.look\n` +
        `  - id: write\n    title: W\n    why: w\n    action: demo.blind-write\n` +
        `  - id: destroy\n    title: D\n    why: w\n    action: demo.blind-destroy\n    confirm:\n      typed: x\n      message: really\n`,
    );
    expect(errs).toEqual([
      'rb.yaml:12: step "write": action demo.blind-write changes the platform (effect write) but declares neither a probe nor safeToRepeat, so a resume could not tell whether an interrupted attempt already acted',
      'rb.yaml:16: step "destroy": action demo.blind-destroy changes the platform (effect destructive) but declares neither a probe nor safeToRepeat, so a resume could not tell whether an interrupted attempt already acted',
    ]);
  });

  it('every action that changes the platform can be resumed, and the bundled runbook loads', () => {
    const registry = actionRegistry();
    const blind = [...registry.values()].filter((a) => a.effect !== 'read' && !a.probe && !a.safeToRepeat?.trim()).map((a) => a.name);
    expect(blind).toEqual([]);
    expect(loadRunbook(`${ROOT}runbooks/recover-deleted-service.yaml`, registry).steps.length).toBeGreaterThan(0);
  });

  it('reports YAML syntax errors with their line', () => {
    const errs = errorsOf('version: 1\nsteps:\n  - id: [unclosed\n');
    expect(errs[0]).toMatch(/^rb\.yaml:\d+: YAML: /);
  });

  it('reports unknown inputs and malformed references', () => {
    const errs = errorsOf(
      head + `  - id: a\n    title: A\n    why: w\n    action: demo.make\n    with:\n      name: \${inputs.whom} \${nope}\n`,
    );
    expect(errs.some((e) => e.includes('no input named "whom"'))).toBe(true);
    expect(errs.some((e) => e.includes('bad reference ${nope}'))).toBe(true);
  });
});
