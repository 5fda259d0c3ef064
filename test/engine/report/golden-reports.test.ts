/**
 * The incident report of each golden journal (every top-level runbook: done, waiting, killed
 * mid-step), rendered under the runbooks as they are today, is committed beside it
 * (test/engine/report/golden/NAME.md). A change to a runbook's steps, outputs or subject, or to the report,
 * that would change what an operator reads fails here: update the files (vitest -u) only when that
 * is meant, and read the difference.
 */
import { copyFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROOT } from '../../support/cli.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { actionRegistry } from '../../../src/actions/index.js';
import { readJournal, replay } from '../../../src/engine/journal/index.js';
import { JOURNAL_FILE, createRunDir, loadRun } from '../../../src/engine/run/index.js';
import { loadRunbook } from '../../../src/engine/runbook/index.js';
import { buildTranscript, renderIncidentReport } from '../../../src/engine/report/index.js';

const actions = actionRegistry();
const dir = resolve(ROOT, 'test/engine/journal/golden');
const journals = readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
const tmp = tempDirs('dr-golden-report-');

describe('the incident report of each golden journal', () => {
  // The commands the report prints name the program as an installed one, however the tests were started.
  beforeEach(() => {
    vi.stubEnv('npm_command', '');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it.each(journals)('%s: reads as committed', async (name) => {
    const events = readJournal(join(dir, name));
    const { created } = replay(events);
    const state = tmp();
    copyFileSync(join(dir, name), join(createRunDir(state, created.runId), JOURNAL_FILE));
    const runbook = loadRunbook(resolve(ROOT, 'runbooks', `${created.runbook.name}.yaml`), actions);
    const report = renderIncidentReport(buildTranscript(loadRun(state, created.runId), runbook));
    await expect(report).toMatchFileSnapshot(join(ROOT, 'test/engine/report/golden', name.replace(/\.ndjson$/, '.md')));
  });
});
