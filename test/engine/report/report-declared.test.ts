/**
 * The incident report reads what the runbooks declare (their subject and outputs, and each for-each
 * item's sub-runbook's outputs), never which action a step runs or what it is called: the bundled
 * runbooks with every action renamed and the steps the report reads from renamed too, and the golden
 * journals with those step ids, give the committed report (test/engine/report/golden/), the renamed ids
 * aside where the report names a step by its id.
 */
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROOT } from '../../support/cli.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { actionRegistry } from '../../../src/actions/index.js';
import { loadRunbook, type ActionRegistry } from '../../../src/engine/runbook/index.js';
import { JOURNAL_FILE, createRunDir, loadRun } from '../../../src/engine/run/index.js';
import { buildTranscript, renderIncidentReport } from '../../../src/engine/report/index.js';

const tmp = tempDirs('dr-report-renamed-');

/** Every action under another name: `archive.drill` becomes `renamed.archive-drill`. */
const renamedAction = (name: string): string => `renamed.${name.replace('.', '-')}`;

/** The steps whose outputs the report reads, each under a new id. */
const RENAMED: Record<string, string> = {
  'find-deleted-instance': 'search-the-logs',
  'inspect-old-archive': 'prove-it',
  'drill-old-archive': 'restore-trial',
  'copy-old-archive': 'copy-in',
  'verify-copy': 'compare-copy',
  'quarantine-new-archive': 'archive-aside',
  'flush-data': 'data-aside',
  'find-new-container': 'which-container',
  'locate-cell': 'which-vm',
  'wait-restored': 'until-served',
  'rebind-apps': 'bind',
  'restart-apps': 'restart',
  'verify-replicas': 'check-nodes',
  'load-dumps': 'load',
  'find-instance': 'look-up',
  report: 'write-up',
};

/** A journal id (`STEP`, or `FOR_EACH/KEY/STEP`) under the new step ids. */
const renamedId = (id: string): string =>
  id
    .split('/')
    .map((part) => RENAMED[part] ?? part)
    .join('/');

/** The bundled runbooks copied into `dir`, their steps' actions and the ids above renamed. */
function renamedRunbooks(dir: string): void {
  cpSync(resolve(ROOT, 'runbooks'), dir, { recursive: true });
  for (const file of readdirSync(dir)) {
    let text = readFileSync(join(dir, file), 'utf8').replace(
      /^( {4}action: )(\S+)$/gm,
      (_, key: string, a: string) => key + renamedAction(a),
    );
    for (const [from, to] of Object.entries(RENAMED))
      text = text.replaceAll(`  - id: ${from}\n`, `  - id: ${to}\n`).replaceAll(`steps.${from}.`, `steps.${to}.`);
    writeFileSync(join(dir, file), text);
  }
}

/** The actions under their new names. */
function renamedActions(): ActionRegistry {
  return new Map([...actionRegistry()].map(([name, def]) => [renamedAction(name), { ...def, name: renamedAction(name) }]));
}

/** The golden journal `name` with its step ids renamed, as a run of `runbooks`, and its report. */
function reportOf(name: string, runbooks: string, actions: ActionRegistry): string {
  const lines = readFileSync(resolve(ROOT, 'test/engine/journal/golden', `${name}.ndjson`), 'utf8')
    .trim()
    .split('\n');
  const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const e of events) if (typeof e.step === 'string') e.step = renamedId(e.step);
  const created = events[0] as { runId: string; runbook: { name: string } };
  const state = tmp();
  writeFileSync(join(createRunDir(state, created.runId), JOURNAL_FILE), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const runbook = loadRunbook(join(runbooks, `${created.runbook.name}.yaml`), actions);
  return renderIncidentReport(buildTranscript(loadRun(state, created.runId), runbook));
}

describe('the incident report of runbooks whose steps and actions are renamed', () => {
  beforeEach(() => {
    vi.stubEnv('npm_command', '');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it.each(['done', 'space-done', 'recover-to-target', 'restore-to-time', 'docker-volume', 'midcopy'])(
    '%s: reads as the committed report',
    (name) => {
      const runbooks = tmp();
      renamedRunbooks(runbooks);
      // The renamed runbooks hold no step id or action the report could have looked for.
      const text = readdirSync(runbooks)
        .map((f) => readFileSync(join(runbooks, f), 'utf8'))
        .join('\n');
      for (const id of Object.keys(RENAMED)) expect(text).not.toMatch(new RegExp(`^ {2}- id: ${id}$`, 'm'));
      expect(text).not.toMatch(/^ {4}action: (?!renamed\.)/m);

      const report = reportOf(name, runbooks, renamedActions());
      // The report names a step by its id in the confirmations table only.
      let expected = readFileSync(resolve(ROOT, 'test/engine/report/golden', `${name}.md`), 'utf8');
      for (const [from, to] of Object.entries(RENAMED)) expected = expected.replaceAll(`\n| ${from} |`, `\n| ${to} |`);
      expect(report).toBe(expected);
    },
  );
});
