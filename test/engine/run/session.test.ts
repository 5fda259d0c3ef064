/**
 * A run's session hears stop signals and ends the process only through the process control its
 * runtime hands it, journals how it ended, and tells its followers in the order they were added.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/cli.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { testRuntime } from '../../support/runtime.js';
import { actionRegistry } from '../../../src/actions/index.js';
import { StepFailed } from '../../../src/core/errors.js';
import { StopUndos } from '../../../src/core/stop-undo.js';
import type { ProcessControl } from '../../../src/core/runtime.js';
import { readJournal } from '../../../src/engine/journal/index.js';
import { loadRunbook } from '../../../src/engine/runbook/runbook.js';
import { createRunDir, LOCK_FILE } from '../../../src/engine/run/runs.js';
import { recordedSteps } from '../../../src/engine/run/runbook-change.js';
import { RunSession, type SessionEnd } from '../../../src/engine/run/session.js';
import { closingWords } from '../../../src/engine/run/session-followers.js';

const tmp = tempDirs('dr-session-');

class Ended extends Error {
  constructor(
    readonly code: number,
    readonly lastWords: string | undefined,
  ) {
    super(`ended ${String(code)}`);
  }
}

/**
 * A session on a fresh run folder, with a process control that keeps what it was asked: an exit throws
 * Ended, or, given `exits`, is kept there (an exit from a promise, which nothing would catch).
 */
function session(o: { undos?: StopUndos; exits?: number[] } = {}) {
  const stateDir = tmp();
  const runId = '20260101-000000-abcd';
  const runDir = createRunDir(stateDir, runId);
  let screen = '';
  const heard: { stop?: (s: NodeJS.Signals) => void; crash?: (err: unknown) => boolean; unheard: boolean; uncrashed: boolean } = {
    unheard: false,
    uncrashed: false,
  };
  const control: ProcessControl = {
    onStop(stop) {
      heard.stop = stop;
      return () => {
        heard.unheard = true;
      };
    },
    onCrash(crashed) {
      heard.crash = crashed;
      return () => {
        heard.uncrashed = true;
      };
    },
    exit(code, lastWords) {
      if (!o.exits) throw new Ended(code, lastWords);
      o.exits.push(code);
      // A real exit does not return; this one does, for the test to look after it.
      return undefined as never;
    },
  };
  const runbookFile = resolve(ROOT, 'runbooks/recover-deleted-service.yaml');
  const runbook = loadRunbook(runbookFile, actionRegistry());
  const s = new RunSession({
    stateDir,
    runId,
    runDir,
    runbook,
    mode: 'rehearsal',
    resuming: false,
    out: new Writable({
      write: (c: Buffer, _e, done) => {
        screen += c.toString();
        done();
      },
    }),
    runtime: testRuntime({ process: control }),
    undos: o.undos ?? new StopUndos(),
  });
  s.journal.append({
    type: 'run.created',
    runId,
    runbook: { file: runbookFile, name: runbook.name, sha256: runbook.sha256, steps: recordedSteps(runbook.steps) },
    mode: 'rehearsal',
    scenario: resolve(ROOT, 'fixtures/seed-003'),
    options: { settings: {}, stepCount: runbook.steps.length },
  });
  return { s, runDir, runId, heard, screen: () => screen };
}

describe("a run's session", () => {
  it('stops on a signal through its process control: on the record, followers told, the lock let go, exit 130', () => {
    const { s, runDir, runId, heard, screen } = session();
    const told: string[] = [];
    s.follow({ interrupted: (signal) => told.push(`first ${signal}`) }, { interrupted: (signal) => told.push(`second ${signal}`) });
    expect(existsSync(join(runDir, LOCK_FILE))).toBe(true);
    let ended: unknown;
    try {
      heard.stop!('SIGHUP');
    } catch (err) {
      ended = err;
    }
    expect(ended).toBeInstanceOf(Ended);
    expect((ended as Ended).code).toBe(130);
    expect(told).toEqual(['first SIGHUP', 'second SIGHUP']);
    expect(screen()).toContain(
      `interrupted (SIGHUP (hang-up: the terminal or SSH session closed)); resume with: dingo-recover resume ${runId}`,
    );
    expect(existsSync(join(runDir, LOCK_FILE))).toBe(false);
    const last = readJournal(join(runDir, 'journal.ndjson')).at(-1);
    expect(last).toMatchObject({ type: 'run.interrupted', signal: 'SIGHUP' });
    s.close();
    expect(heard.unheard).toBe(true);
  });

  it('stopped while a drill runs on a cell, removes its container there first, and a step that ends meanwhile does not end the run', async () => {
    const undos = new StopUndos();
    const exits: number[] = [];
    const { s, runDir, heard, screen } = session({ undos, exits });
    let removed: () => void = () => undefined;
    undos.register(
      "the drill's container d1 and folder /var/vcap/store/d1 on cell 10.0.0.1",
      () => new Promise<void>((r) => (removed = r)),
    );
    heard.stop!('SIGINT');
    expect(screen()).toContain("removing the drill's container d1 and folder /var/vcap/store/d1 on cell 10.0.0.1");
    // The drill fails, its container gone: neither its failure nor a next step goes on the record.
    let ended = false;
    void s.stopped(new StepFailed('the drill lost its container')).then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(ended).toBe(false);
    expect(exits).toEqual([]);
    expect(existsSync(join(runDir, LOCK_FILE))).toBe(true);
    removed();
    await expect.poll(() => exits).toEqual([130]);
    expect(screen()).toContain("removed the drill's container d1");
    expect(existsSync(join(runDir, LOCK_FILE))).toBe(false);
    expect(readJournal(join(runDir, 'journal.ndjson')).at(-1)).toMatchObject({ type: 'run.interrupted', signal: 'SIGINT' });
    expect(ended).toBe(false);
    s.close();
  });

  it('stopped a second time while it removes what it made, exits at once', () => {
    const undos = new StopUndos();
    const exits: number[] = [];
    const { s, heard } = session({ undos, exits });
    undos.register("the drill's container d1 on cell 10.0.0.1", () => new Promise<void>(() => undefined));
    // A process hears a signal once (process.once): the first listener is gone once it was called.
    const first = heard.stop!;
    heard.stop = undefined;
    first('SIGINT');
    expect(exits).toEqual([]);
    // The session listens again, for the second, which exits as an exit does (not by the signal's default).
    expect(heard.stop).toBeDefined();
    heard.stop!('SIGINT');
    expect(exits).toEqual([130]);
    s.close();
  });

  it('records an error nothing caught before the process ends: on the record and on the screen redacted, the lock let go', () => {
    const { s, runDir, runId, heard, screen } = session();
    s.of.runtime.redactor.register('s3cr3t-of-the-run');
    const err = new Error('socket hung up talking to https://user:s3cr3t-of-the-run@s3.example');
    expect(heard.crash!(err)).toBe(true);
    expect(screen()).toContain(
      "stopped on an error dingo-recover did not handle (a fault of the tool's, to report with what follows): Error: socket hung up",
    );
    expect(screen()).toContain(`the run is saved; continue with: dingo-recover resume ${runId}`);
    expect(screen()).not.toContain('s3cr3t-of-the-run');
    expect(existsSync(join(runDir, LOCK_FILE))).toBe(false);
    const last = readJournal(join(runDir, 'journal.ndjson')).at(-1);
    expect(last).toMatchObject({ type: 'run.stopped', exitCode: 1, error: expect.stringContaining('socket hung up') });
    expect(JSON.stringify(last)).not.toContain('s3cr3t-of-the-run');
    s.close();
    expect(heard.uncrashed).toBe(true);
  });

  it('journals a stop by a step and tells each follower in order, the closing words naming the resume', async () => {
    const { s, runDir, runId, screen } = session();
    const order: string[] = [];
    const ends: SessionEnd[] = [];
    s.follow({ ended: (e) => (order.push('first'), ends.push(e), Promise.resolve()) }, closingWords(s), {
      ended: () => (order.push('last'), Promise.resolve()),
    });
    const code = await s.stopped(new StepFailed('the cell did not answer', { hint: 'check the gateway' }));
    s.close();
    expect(code).toBe(ends[0]?.exitCode);
    expect(order).toEqual(['first', 'last']);
    expect(ends[0]).toMatchObject({ how: 'stopped' });
    expect(screen()).toContain('stopped: the cell did not answer');
    expect(screen()).toContain('what to do: check the gateway');
    expect(screen()).toContain(`the run is saved; continue with: dingo-recover resume ${runId}`);
    expect(readJournal(join(runDir, 'journal.ndjson')).at(-1)).toMatchObject({
      type: 'run.stopped',
      exitCode: code,
      error: 'the cell did not answer',
    });
    expect(existsSync(join(runDir, LOCK_FILE))).toBe(false);
  });
});
