/** How a step runs again after it failed: a read step with the inputs as they are now, a writing one probed first. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineAction, output, required } from '../../../src/engine/runbook/index.js';
import { StepFailed } from '../../../src/core/errors.js';
import { runParent } from '../foreach-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'executor-step-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const seen: string[] = [];
const find = defineAction({
  name: 't.find',
  summary: 'finds the space by the GUID given',
  effect: 'read',
  params: { spaceGuid: required('string', 'the space') },
  outputs: { found: output('string', 'what was found') },
  run(_ctx, p) {
    seen.push(p.spaceGuid);
    if (p.spaceGuid === 'find') throw new StepFailed('no deletion event is left', { hint: 'give inputs.spaceGuid, then resume' });
    return Promise.resolve({ found: p.spaceGuid });
  },
});

describe('a read step that failed', () => {
  it('runs again with an input corrected in the answers file, not with the parameters of its first attempt', async () => {
    writeFileSync(
      join(dir, 'parent.yaml'),
      `version: 1
name: parent
inputs:
  - name: spaceGuid
    prompt: GUID of the deleted space, or find
    type: string
    default: find
steps:
  - id: find
    title: Find the space
    why: w
    action: t.find
    with:
      spaceGuid: \${inputs.spaceGuid}
`,
    );
    const actions = new Map([[find.name, find]]);
    const first = await runParent(dir, actions, { yes: true });
    expect(first.error?.message).toBe('no deletion event is left');
    const second = await runParent(dir, actions, { yes: true, inputs: { spaceGuid: '6681471e-0000-4000-8000-000000000001' } });
    expect(second.error).toBeUndefined();
    expect(second.outputs.find).toEqual({ found: '6681471e-0000-4000-8000-000000000001' });
    expect(seen).toEqual(['find', '6681471e-0000-4000-8000-000000000001']);
  });
});
