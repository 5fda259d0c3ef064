/**
 * A runbook answered from another's answers (recover --target-time): the mapping renames the file's
 * inputs and confirmations, the command's inputs stand over the file's, and an input that takes
 * another's answer is not asked.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { drive } from '../../src/engine/run/index.js';
import type { AnswersMapping } from '../../src/engine/operator/index.js';
import { mapAnswers } from '../../src/engine/operator/answers-mapping.js';
import { platforms } from '../../src/commands/platforms.js';
import { actionRegistry } from '../../src/actions/index.js';
import { processRuntime } from '../../src/core/runtime.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const MAPPING: AnswersMapping = {
  inputs: { targetTime: '2016-03-17T05:00:00Z', into: 'service' },
  renamedInputs: { serviceName: 'instance' },
  sameAs: { copyName: 'instance' },
  renamedConfirms: { 'confirm-deleted-instance': 'confirm-instance', 'stop-container': null },
  note: 'restored to a moment',
};

describe('mapAnswers', () => {
  it("renames the file's inputs and confirmations, drops those of steps the runbook lacks, and keeps the command's inputs", () => {
    const mapped = mapAnswers(
      {
        inputs: { serviceName: 'orders', targetTime: '2001-01-01T00:00:00Z', plan: 'cluster' },
        confirm: { 'confirm-deleted-instance': 'abc', 'stop-container': true, 'grow-service': true },
        choose: { deletedInstance: 'abc' },
        secrets: {},
      },
      MAPPING,
    );
    expect(mapped).toEqual({
      inputs: { instance: 'orders', targetTime: '2016-03-17T05:00:00Z', into: 'service', plan: 'cluster' },
      confirm: { 'confirm-instance': 'abc', 'grow-service': true },
      choose: { deletedInstance: 'abc' },
      secrets: {},
    });
  });
});

describe('a run with a mapping, at a terminal', () => {
  it('does not ask the input that takes another answer, and journals the mapping with the run', async () => {
    const state = mkdtempSync(join(tmpdir(), 'dr-mapping-'));
    dirs.push(state);
    const asked: string[] = [];
    const given: Record<string, string> = { org: 'acme', space: 'important-space-and-all-databases', instance: 'important-db' };
    const seen: string[] = [];
    await drive({
      runtime: processRuntime(),
      platforms,
      stateDir: state,
      out: new Writable({
        write: (c: Buffer, _e, done) => {
          seen.push(c.toString());
          done();
        },
      }),
      start: {
        mode: 'rehearsal',
        runbookFile: resolve(ROOT, 'runbooks/restore-to-time.yaml'),
        scenarioDir: resolve(ROOT, 'fixtures/seed-003'),
        settings: {},
        answersMapping: MAPPING,
      },
      yes: false,
      actions: actionRegistry(),
      prompter: {
        interactive: true,
        input: (q) => {
          asked.push(q.key);
          return Promise.resolve(given[q.key] ?? q.default ?? '');
        },
        // The run is stopped at the first choice or confirmation: only its inputs matter here.
        typed: () => Promise.reject(new Error('stopped by the test')),
        select: () => Promise.reject(new Error('stopped by the test')),
      },
    });
    // Without a terminal (the test's), the rehearsal reads the scenario's answers: the recovery's, serviceName
    // answering instance. The inputs they leave out are asked; not copyName, which takes the instance's answer.
    expect(asked).toContain('databases');
    for (const key of ['instance', 'copyName', 'targetTime', 'into']) expect(asked).not.toContain(key);
    expect(seen.join('')).toContain('restored to a moment');
    const [run] = readdirSync(join(state, 'runs'));
    const events = readFileSync(join(state, 'runs', run!, 'journal.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; name?: string; value?: unknown; options?: Record<string, unknown> });
    expect(events[0]!.options!.answersMapping).toEqual(MAPPING);
    expect(events.find((e) => e.type === 'input' && e.name === 'copyName')?.value).toEqual(['important-db']);
  });
});
