/**
 * A run registers the secrets it meets (the AWS key in a container's environment) with its own
 * redactor, and every writer of that run uses it: what the run wrote (journal, screen, transcript)
 * never holds them. Two runs in one process share no registry, and the process-wide one learns nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { tempDirs } from '../support/temp-dirs.js';
import { testRuntime } from '../support/runtime.js';
import { drive, loadRun } from '../../src/engine/run/index.js';
import { defineAction } from '../../src/engine/runbook/index.js';
import { buildTranscript, renderTranscript } from '../../src/engine/report/index.js';
import { platforms } from '../../src/commands/run/platforms.js';
import { cellDocker } from '../../src/actions/support/cell.js';
import { StepFailed } from '../../src/core/errors.js';
import { secrets } from '../../src/core/invocation.js';
import { REDACTED } from '../../src/core/redact.js';
import type { Runtime } from '../../src/core/runtime.js';

const tmp = tempDirs('dr-run-secrets-');
const SCENARIO = resolve(ROOT, 'fixtures/seed-003');
const CELL = '10.58.111.150';
const CONTAINER = 'cf-e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b';
/** The AWS secret key in that container's environment, as the scenario gives it. */
const KEY = /AWS_SECRET_ACCESS_KEY=(\S+)/.exec(readFileSync(join(SCENARIO, 'scenario.yaml'), 'utf8'))![1]!;

/** Reads the container's environment on its cell when `inspect`, then quotes the key in a note and in its failure. */
function quoting(inspect: boolean) {
  return defineAction({
    name: 't.quote-key',
    summary: "quotes a container's AWS key",
    effect: 'read',
    params: {},
    outputs: {},
    async run(ctx) {
      if (inspect) await (await cellDocker(ctx, CELL)).inspect(CONTAINER);
      ctx.note(`the container's key is ${KEY}`);
      throw new StepFailed(`S3 refused the key ${KEY}`);
    },
  });
}

async function runQuoting(runtime: Runtime, inspect: boolean): Promise<{ journal: string; screen: string; transcript: string }> {
  const dir = tmp();
  const runbook = join(dir, 'quote.yaml');
  writeFileSync(
    runbook,
    'version: 1\nname: quote\ninputs: []\nsteps:\n  - id: quote\n    title: Quote the key\n    why: w\n    action: t.quote-key\n',
  );
  const answers = join(dir, 'answers.yaml');
  writeFileSync(answers, 'inputs: {}\n');
  const action = quoting(inspect);
  let screen = '';
  const r = await drive({
    runtime,
    platforms,
    stateDir: dir,
    out: new Writable({
      write: (chunk: Buffer, _e, done) => {
        screen += chunk.toString();
        done();
      },
    }),
    start: { mode: 'rehearsal', runbookFile: runbook, scenarioDir: SCENARIO, settings: {} },
    answersFile: answers,
    yes: true,
    verbose: true,
    actions: new Map([[action.name, action]]),
  });
  const run = loadRun(dir, r.runId);
  return {
    journal: readFileSync(join(run.dir, 'journal.ndjson'), 'utf8'),
    screen,
    transcript: renderTranscript(buildTranscript(run, null)),
  };
}

describe("a run's secrets", () => {
  it('registered as a container is inspected, never reach its journal, screen or transcript', async () => {
    const runtime = testRuntime();
    const { journal, screen, transcript } = await runQuoting(runtime, true);
    expect(runtime.redactor.redact(KEY)).toBe(REDACTED);
    for (const text of [journal, screen, transcript]) {
      expect(text).toContain(`the container's key is ${REDACTED}`);
      expect(text).not.toContain(KEY);
    }
    expect(journal).toContain(`S3 refused the key ${REDACTED}`);
  });

  it('stay with their run: another run in the process, and the process-wide registry, never learn them', async () => {
    const first = testRuntime();
    const second = testRuntime();
    await runQuoting(first, true);
    expect(first.redactor.redact(KEY)).toBe(REDACTED);
    expect(second.redactor.size).toBe(0);
    expect(secrets().redact(KEY)).toBe(KEY);
    // The second run never read the container: the key is no secret it knows, so its note shows it.
    const { journal } = await runQuoting(second, false);
    expect(journal).toContain(`the container's key is ${KEY}`);
    expect(second.redactor.redact(KEY)).toBe(KEY);
  });
});
