/**
 * The incident report of a rehearsal interrupted by a Ctrl-C at a question, then resumed: its
 * timeline shows the interruption and the resume, and it has a section for the drill (with why it
 * did not drill), copying the archive, rebinding and restarting, the tool's version, times in ISO 8601 UTC, and the
 * deletion evidence quoting each log line with its file and offset.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/cli.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { drive } from '../../../src/engine/run/index.js';
import type { Prompter } from '../../../src/engine/operator/index.js';
import { platforms } from '../../../src/commands/run/platforms.js';
import { actionRegistry } from '../../../src/actions/index.js';
import { EXIT, Interrupted } from '../../../src/core/errors.js';
import { readJournal } from '../../../src/engine/journal/index.js';
import { processRuntime } from '../../../src/core/runtime.js';

const tmp = tempDirs('dr-report-');
const sink = (): Writable =>
  new Writable({
    write(_chunk, _enc, done) {
      done();
    },
  });

/** Answers every question as the answers file would, and is Ctrl-C'd at the confirmation of `stopAt`. */
function prompter(stopAt: string): Prompter {
  return {
    interactive: true,
    input: (q) => Promise.resolve(q.default ?? ''),
    typed: (q) => (q.key === stopAt ? Promise.reject(new Interrupted('interrupted at a question')) : Promise.resolve(q.expected)),
    select: () => Promise.reject(new Error('no choice expected')),
  };
}

describe('the incident report of an interrupted and resumed run', () => {
  it('shows the Ctrl-C at a question and the resume in its timeline, and the sections of what each step did', async () => {
    const state = tmp();
    const common = {
      platforms,
      stateDir: state,
      out: sink(),
      actions: actionRegistry(),
      tool: 'dingo-recover 9.9.9',
      runtime: processRuntime(),
    };
    const first = await drive({
      ...common,
      start: {
        mode: 'rehearsal',
        runbookFile: resolve(ROOT, 'runbooks/recover-deleted-service.yaml'),
        scenarioDir: resolve(ROOT, 'fixtures/seed-003'),
        settings: {},
      },
      answersFile: resolve(ROOT, 'fixtures/seed-003/answers.yaml'),
      yes: false,
      prompter: prompter('stop-container'),
    });
    expect(first.exitCode).toBe(EXIT.interrupted);
    const journal = join(state, 'runs', first.runId, 'journal.ndjson');
    expect(readJournal(journal).at(-1)).toMatchObject({ type: 'run.interrupted', signal: 'SIGINT', atQuestion: true });

    const again = await drive({ ...common, resumeId: first.runId, yes: true, prompter: prompter('') });
    // The bundled 9.5 archive is drilled on the simulated cell: done.
    expect(again.exitCode).toBe(EXIT.done);
    const report = readFileSync(join(state, 'runs', first.runId, 'report.md'), 'utf8');
    const timeline = report.slice(report.indexOf('## Timeline (UTC)'), report.indexOf('## What is left'));
    const rows = timeline.split('\n');
    const interrupted = rows.findIndex((r) => /^\| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \| interrupted \(Ctrl-C at a question\) by /.test(r));
    const resumed = rows.findIndex((r) => / \| resumed by \S+ with dingo-recover 9\.9\.9 /.test(r));
    const stopped = rows.findIndex((r) => r.includes('| Stop the new container | finished'));
    expect(interrupted).toBeGreaterThan(0);
    expect(resumed).toBeGreaterThan(interrupted);
    expect(stopped).toBeGreaterThan(resumed);

    for (const part of [
      '## Drill of the old archive\n\n- not drilled: the archive was written by PostgreSQL 9.5',
      '## Drill of the old archive on the cell\n\n- restored and replayed in cfcommunity/postgresql-patroni:9.5 on 10.58.111.150: databases postgres; recovery ended at 0/6000028 (',
      '## Copying the old archive\n\n- copied 10 object(s), 0 already in place (',
      '## Rebinding the apps\n\n- bound to their-app (',
      '## Restarting the apps\n\n- restarted their-app (',
      '- Data-loss window: writes between 2016-03-17T06:01:30Z (newest archived WAL) and 2016-03-17T06:10:17Z (deletion)',
    ])
      expect(report).toContain(part);
    expect(report).toContain(`- Run: ${first.runId} (recover-deleted-service), rehearsal, done, started with dingo-recover 9.9.9`);
    expect(report).toMatch(/- Started \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, ended \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    expect(report).not.toMatch(/\d\d:\d\d:\d\d UTC/);
    expect(report).toMatch(/- the broker removed a node .*\n {2}- ` \S+\/fixtures\/seed-003\/syslog\/syslog @ byte \d+: Mar 16 23:10:17 /);
  });
});
