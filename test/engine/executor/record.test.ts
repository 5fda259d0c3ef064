/**
 * When a run hands its platform to `--record`'s recorder: once, just before the first step that
 * changes the platform, with what the run knows by then; a recorder that fails is a warning the
 * run goes past; the journal and the closing lines say what became of the scenario.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, ROOT } from '../../support/cli.js';
import { drive } from '../../../src/engine/run/index.js';
import { type RecordRequest, type ScenarioRecorder } from '../../../src/engine/executor/index.js';
import { platforms } from '../../../src/commands/run/platforms.js';
import { actionRegistry } from '../../../src/actions/index.js';
import { processRuntime } from '../../../src/core/runtime.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const SCENARIO = resolve(ROOT, 'fixtures/seed-003');

interface Rehearsed {
  exitCode: number;
  screen: string;
  events: { type: string; step?: string; dir?: string; before?: string | null; reason?: string }[];
}

async function rehearse(record: ScenarioRecorder, plan = false, yes = true): Promise<Rehearsed> {
  const state = mkdtempSync(join(tmpdir(), 'dr-record-'));
  dirs.push(state);
  let screen = '';
  const r = await drive({
    platforms,
    runtime: processRuntime(),
    stateDir: state,
    out: new Writable({
      write: (chunk: Buffer, _e, done) => {
        screen += chunk.toString();
        done();
      },
    }),
    start: { mode: 'rehearsal', runbookFile: resolve(ROOT, 'runbooks/recover-deleted-service.yaml'), scenarioDir: SCENARIO, settings: {} },
    yes,
    plan,
    record,
    actions: actionRegistry(),
  });
  const events = readFileSync(join(state, 'runs', r.runId, 'journal.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Rehearsed['events'][number]);
  return { exitCode: r.exitCode, screen, events };
}

/** A recorder that keeps what it was handed, and the journal's step events up to then. */
function keeping(): { recorder: ScenarioRecorder; calls: RecordRequest[] } {
  const calls: RecordRequest[] = [];
  return { calls, recorder: { dir: '/tmp/incident-scenario', write: (r) => (calls.push(r), Promise.resolve(['wrote it'])) } };
}

describe('--record', () => {
  it('writes once, before the first step that changes the platform, with the inputs and what was found', async () => {
    const { recorder, calls } = keeping();
    const r = await rehearse(recorder);
    expect(r.exitCode, r.screen).toBe(DONE_DRILLED_ON_CELL);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.inputs).toMatchObject({ org: 'acme', serviceName: 'important-db' });
    // The instance the runbook declares its subject, found before the first change.
    expect(calls[0]!.subject).toMatchObject({ instanceGuid: expect.stringMatching(/^[0-9a-f-]{36}$/), live: false });
    expect(calls[0]!.subject!.archiveUrl).toContain(`/backups/${calls[0]!.subject!.instanceGuid}/wal/`);
    const at = r.events.findIndex((e) => e.type === 'scenario.recorded');
    expect(r.events[at]).toMatchObject({ dir: '/tmp/incident-scenario', before: 'create-service' });
    expect(r.events.slice(0, at).some((e) => e.type === 'step.started' && e.step === 'create-service')).toBe(false);
    expect(r.events.slice(at).some((e) => e.type === 'step.started' && e.step === 'create-service')).toBe(true);
    expect(r.screen).toContain('  wrote it');
    expect(r.screen.slice(r.screen.indexOf('is done'))).toContain('scenario of the platform as the run found it: /tmp/incident-scenario');
  });

  it('writes before --plan stops, at the same point', async () => {
    const { recorder, calls } = keeping();
    const r = await rehearse(recorder, true);
    expect(r.exitCode, r.screen).toBe(0);
    expect(calls).toHaveLength(1);
    // The plan stops at its first confirmation, and the scenario is written as the run ends there.
    expect(r.events.map((e) => e.type).slice(-3)).toEqual(['run.planned', 'scenario.recorded', 'run.stopped']);
  });

  it('writes when the run stops to wait for the operator having changed nothing', async () => {
    const { recorder, calls } = keeping();
    const r = await rehearse(recorder, false, false);
    expect(r.exitCode, r.screen).toBe(3);
    expect(calls).toHaveLength(1);
    expect(r.events.filter((e) => e.type.startsWith('scenario.'))).toEqual([
      expect.objectContaining({ type: 'scenario.recorded', before: null }),
    ]);
    expect(r.screen.slice(r.screen.indexOf('stopped:'))).toContain('scenario of the platform as the run found it: /tmp/incident-scenario');
  });

  it('goes on when the recorder fails, warning and journaling why', async () => {
    const failing: ScenarioRecorder = {
      dir: '/tmp/incident-scenario',
      write: () => Promise.reject(new Error('cell 10.0.0.1 unreachable')),
    };
    const r = await rehearse(failing);
    expect(r.exitCode, r.screen).toBe(DONE_DRILLED_ON_CELL);
    expect(r.screen).toContain(
      'warning: --record: no scenario written to /tmp/incident-scenario: cell 10.0.0.1 unreachable; the run goes on',
    );
    expect(r.events.filter((e) => e.type.startsWith('scenario.'))).toEqual([
      expect.objectContaining({ type: 'scenario.not-recorded', reason: 'cell 10.0.0.1 unreachable' }),
    ]);
    expect(r.screen).toContain('scenario: none written to /tmp/incident-scenario: cell 10.0.0.1 unreachable');
  });
});
