/**
 * A run reads the time from its runtime's clock alone: its id, every journal event, its lock and the
 * names of what it moves aside carry the clock it was given, whatever the machine's says.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, ROOT } from '../support/cli.js';
import { tempDirs } from '../support/temp-dirs.js';
import { testRuntime } from '../support/runtime.js';
import { drive, loadRun } from '../../src/engine/run/index.js';
import { readJournal } from '../../src/engine/journal/index.js';
import { platforms } from '../../src/commands/run/platforms.js';
import { actionRegistry } from '../../src/actions/index.js';

const tmp = tempDirs('dr-run-clock-');
const AT = new Date('2031-02-03T04:05:06.000Z');

describe("a run's clock", () => {
  it('stamps the run id, the journal and the quarantine names of a rehearsal', async () => {
    const stateDir = tmp();
    const r = await drive({
      runtime: testRuntime({ clock: { now: () => new Date(AT) } }),
      platforms,
      stateDir,
      out: new Writable({
        write: (_c, _e, done) => {
          done();
        },
      }),
      start: {
        mode: 'rehearsal',
        runbookFile: resolve(ROOT, 'runbooks/recover-deleted-service.yaml'),
        scenarioDir: resolve(ROOT, 'fixtures/seed-003'),
        settings: {},
      },
      yes: true,
      actions: actionRegistry(),
    });
    expect(r.exitCode).toBe(DONE_DRILLED_ON_CELL);
    expect(r.runId).toMatch(/^20310203-040506-/);
    const run = loadRun(stateDir, r.runId);
    const events = readJournal(join(run.dir, 'journal.ndjson'));
    expect(events.length).toBeGreaterThan(20);
    expect(new Set(events.map((e) => e.at))).toEqual(new Set([AT.toISOString()]));
    const report = readFileSync(join(run.dir, 'report.md'), 'utf8');
    expect(report).toContain('wal.quarantine-20310203T040506Z/');
    expect(report).toContain('data.moved-aside-20310203T040506Z');
  });
});
