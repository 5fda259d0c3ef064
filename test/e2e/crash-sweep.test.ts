/**
 * A crash anywhere resumes by itself. A rehearsal of the bundled incident is killed (SIGKILL, its
 * whole process group) at every step boundary, at every moment inside a step that changes the
 * platform, and at seeded random moments elsewhere, each moment being the instant a journal event
 * was written; `resume --yes` must then finish with exit 0 and leave the simulated platform as an
 * uninterrupted run leaves it, no destructive action done twice. Every moment is derived from an
 * uninterrupted run, so the sweep follows the runbook as it changes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../support/cli.js';
import { World, loadScenario, type WorldState } from '../../src/rehearsal/world.js';
import { readJournal, type JournalEvent } from '../../src/engine/journal/index.js';
import { loadRunbook } from '../../src/engine/runbook/index.js';
import { drive } from '../../src/engine/run/index.js';
import { platforms } from '../../src/commands/platforms.js';
import { actionRegistry } from '../../src/actions/index.js';
import { seededRandom } from '../support/seeded-random.js';
import { processRuntime } from '../../src/core/runtime.js';

const SCENARIO = loadScenario(resolve(import.meta.dirname, '../../fixtures/seed-003'));
/** Random moments: how many, and the seed that picks them (CRASH_SWEEP_SEED explores others). */
const RANDOM_MOMENTS = 50;
const SEED = Number(process.env.CRASH_SWEEP_SEED ?? 0x5eed003);
/** Rehearsals running at once. */
const PARALLEL = 2;
/** A rehearsal that has not ended by then is killed and the test fails. */
const WATCHDOG_MS = 45_000;
/**
 * One test: its killed run and its resume, after waiting for a slot (PARALLEL) behind the other
 * tests of its concurrent block, which counts against its time too.
 */
const TEST_MS = 4 * WATCHDOG_MS;

const dirs: string[] = [];
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dr-sweep-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  dirs.splice(0).forEach((d) => {
    rmSync(d, { recursive: true, force: true });
  });
});

/** At most PARALLEL jobs at a time, in the order they asked. */
const waiting: (() => void)[] = [];
let running = 0;
async function slot<T>(job: () => Promise<T>): Promise<T> {
  if (running >= PARALLEL) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await job();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/**
 * Runs the CLI as the leader of its own process group. When it dies by SIGKILL (a failpoint), the
 * rest of its group is killed too, as a crash of the machine or of the session would.
 */
function cli(args: string[], failpoints = ''): Promise<Ended> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, CI: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', DINGO_RECOVER_FAILPOINTS: failpoints },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const killGroup = (): void => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    };
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const watchdog = setTimeout(() => {
      output += `\n[killed by the test after ${WATCHDOG_MS} ms]\n`;
      killGroup();
    }, WATCHDOG_MS);
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') killGroup();
    });
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      resolvePromise({ code, signal, output });
    });
  });
}

const ACTIONS = actionRegistry();

/**
 * `dingo-recover resume RUN-ID --yes`, in this process: what the CLI's resume does, without the
 * half second a fresh process spends loading its modules. Only the killed runs need a process.
 */
async function resume(state: string, runId: string): Promise<Ended> {
  let output = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      output += chunk.toString();
      done();
    },
  });
  const r = await drive({ platforms, stateDir: state, out, resumeId: runId, yes: true, actions: ACTIONS, runtime: processRuntime() });
  return { code: r.exitCode, signal: null, output };
}

function onlyRun(state: string): string {
  const runs = readdirSync(join(state, 'runs'));
  if (runs.length !== 1) throw new Error(`expected one run in ${state}, found ${runs.join(', ') || 'none'}`);
  return runs[0]!;
}

function journalOf(state: string, runId: string): JournalEvent[] {
  return readJournal(join(state, 'runs', runId, 'journal.ndjson'));
}

/** Run-time stamps (quarantine and moved-aside folders) differ from run to run; nothing else may. */
const stamped = (text: string): string => text.replace(/\d{8}T\d{6}Z/g, '<stamp>');

/** The only change the runbook makes again after a crash in its step: restarting an app (safe to repeat). */
const REPEATABLE = /^restarted app /;

/** What a recovery leaves on the simulated platform, without clocks, stamps and logs. */
function platformState(w: WorldState) {
  return {
    s3: Object.fromEntries(
      Object.entries(w.s3).map(([bucket, objects]) => [
        bucket,
        Object.entries(objects)
          .map(([k, o]) => `${stamped(k)} ${o.size} ${o.etag}`)
          .sort(),
      ]),
    ),
    cells: Object.fromEntries(
      Object.entries(w.cells).map(([ip, cell]) => [
        ip,
        {
          containers: Object.fromEntries(
            Object.entries(cell.containers).map(([name, c]) => [
              name,
              { running: c.running, env: c.env, mounts: c.mounts, ready: c.pg.ready, inRecovery: c.pg.inRecovery, roles: c.pg.roles },
            ]),
          ),
          // A list, not a map: two moved-aside folders must not fold into one entry.
          files: Object.entries(cell.files)
            .map(([dir, entries]) => `${stamped(dir)}: ${entries.map(stamped).sort().join(', ')}`)
            .sort(),
        },
      ]),
    ),
    etcd: w.etcd,
    serving: w.serving,
    cfTarget: w.cf.target,
    instances: w.cf.instances.map((i) => ({
      guid: i.guid,
      name: i.name,
      space: i.spaceGuid,
      offering: i.offering,
      plan: i.plan,
      last: `${i.lastOperation.type} ${i.lastOperation.state}`,
    })),
    apps: w.cf.orgs.flatMap((o) =>
      o.spaces.flatMap((s) =>
        s.apps.map((a) => ({ where: `${o.name}/${s.name}`, name: a.name, state: a.state, bound: a.boundServiceGuids })),
      ),
    ),
    // Every change in order (created, stopped, etcd keys deleted, started, restored), each exactly once.
    changes: w.history.map((h) => stamped(h.what)).filter((what) => !REPEATABLE.test(what)),
    restartedApps: [...new Set(w.history.map((h) => h.what).filter((what) => REPEATABLE.test(what)))].sort(),
  };
}

/**
 * The commands each destructive step ran that change the cell, by command line, counted. Creating
 * the folder the data moves to (`mkdir -p`) is left out: a rerun makes the existing folder again.
 */
function destructiveWrites(events: JournalEvent[], destructive: Set<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of events) {
    if (e.type !== 'command' || !e.writes || !e.step || !destructive.has(e.step)) continue;
    const line = stamped(e.argv.join(' '));
    if (/(^|\s)mkdir -p\s/.test(line)) continue;
    const key = `${e.step}: ${line}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

interface Baseline {
  events: JournalEvent[];
  /** The action of each step, by step id. */
  actions: Map<string, string>;
  platform: ReturnType<typeof platformState>;
  destructive: Set<string>;
  writes: Record<string, number>;
}

async function uninterrupted(): Promise<Baseline> {
  const state = stateDir();
  const r = await cli(['rehearse', '--yes', '--state-dir', state]);
  if (r.code !== 0) throw new Error(`the uninterrupted rehearsal exited ${r.code ?? r.signal}:\n${r.output}`);
  const runId = onlyRun(state);
  const events = journalOf(state, runId);
  const created = events.find((e) => e.type === 'run.created');
  if (created?.type !== 'run.created') throw new Error('the uninterrupted run has no run.created event');
  const steps = loadRunbook(created.runbook.file, ACTIONS).steps;
  const destructive = new Set(steps.filter((s) => ACTIONS.get(s.action)?.effect === 'destructive').map((s) => s.id));
  return {
    events,
    actions: new Map(steps.map((s) => [s.id, s.action])),
    platform: platformState(World.load(join(state, 'runs', runId), SCENARIO)),
    destructive,
    writes: destructiveWrites(events, destructive),
  };
}

const baseline = await uninterrupted();
const lastSeq = baseline.events.at(-1)!.seq;

/** What the uninterrupted run had just written at journal event SEQ. */
function describeSeq(seq: number): string {
  const e = baseline.events.find((x) => x.seq === seq)!;
  const step = 'step' in e && e.step ? ` ${e.step}` : '';
  const what = e.type === 'command' ? ` ${e.argv.slice(0, 2).join(' ')}${e.writes ? ' (writes)' : ''}` : '';
  return `journal:${seq} (${e.type}${step}${what})`;
}

/** Each step boundary: the last event before a step's first one, and the end of the last step. */
function boundaries(): number[] {
  const seqs = new Set<number>();
  let previous: string | undefined;
  for (const e of baseline.events) {
    const step = 'step' in e ? e.step : undefined;
    if (step && step !== previous) {
      seqs.add(e.seq - 1);
      previous = step;
    }
  }
  const last = baseline.events.filter((e) => e.type === 'step.finished' || e.type === 'step.skipped').at(-1);
  if (last) seqs.add(last.seq);
  return [...seqs].sort((a, b) => a - b);
}

/**
 * Every moment inside a step that changes the platform: from its first event (the evidence and
 * confirmation of a destructive step come before its step.started) to the last one before its
 * step.finished, when part or all of its effect may have happened unrecorded.
 */
function insideWritingSteps(): number[] {
  const writing = (step: string): boolean => ACTIONS.get(baseline.actions.get(step) ?? '')?.effect !== 'read';
  return baseline.events
    .filter((e) => 'step' in e && e.step !== undefined && writing(e.step) && e.type !== 'step.finished')
    .map((e) => e.seq);
}

/** Distinct moments, uniformly over the rest of the journal of the uninterrupted run. */
function randomMoments(): number[] {
  const next = seededRandom(SEED);
  const covered = new Set([...BOUNDARIES, ...INSIDE_WRITING_STEPS]);
  const pool = Array.from({ length: lastSeq }, (_, i) => i + 1).filter((seq) => !covered.has(seq));
  const picked: number[] = [];
  while (picked.length < RANDOM_MOMENTS && pool.length) picked.push(pool.splice(Math.floor(next() * pool.length), 1)[0]!);
  return picked;
}

const BOUNDARIES = boundaries();
const INSIDE_WRITING_STEPS = insideWritingSteps();

/** Kills a rehearsal just after it journaled event SEQ, then resumes it with --yes. */
async function killAndResume(seq: number): Promise<{ state: string; runId: string; resumed: Ended; events: JournalEvent[] }> {
  return slot(async () => {
    const state = stateDir();
    const killed = await cli(['rehearse', '--yes', '--state-dir', state], `journal:${seq}`);
    expect(killed.signal, `the rehearsal was to die at journal:${seq}\n${killed.output}`).toBe('SIGKILL');
    const runId = onlyRun(state);
    expect(journalOf(state, runId).at(-1)?.seq, 'the kill came just after the event it was aimed at').toBe(seq);
    const resumed = await resume(state, runId);
    return { state, runId, resumed, events: journalOf(state, runId) };
  });
}

async function expectSameRecovery(seq: number): Promise<void> {
  const { state, runId, resumed, events } = await killAndResume(seq);
  expect(resumed.code, `resume after SIGKILL at ${describeSeq(seq)}:\n${resumed.output}`).toBe(0);
  expect(platformState(World.load(join(state, 'runs', runId), SCENARIO))).toEqual(baseline.platform);
  expect(destructiveWrites(events, baseline.destructive)).toEqual(baseline.writes);
  expect(events.at(-1)?.type).toBe('run.finished');
}

describe('the uninterrupted run the sweep is measured against', () => {
  it('recovers, and destructive steps changed the cell', () => {
    expect(baseline.events.at(-1)?.type).toBe('run.finished');
    expect(baseline.platform.cells['10.58.111.150']!.containers['cf-52167ceb-bd3d-4bff-8699-a239d21c5379']!.roles).toEqual({
      'dingo-admin': 'new-admin-password-Rp55',
      pgsuper: 'new-superuser-password-Vb17',
      appuser: 'new-app-password-Kd29',
    });
    expect(baseline.destructive.size).toBeGreaterThan(0);
    expect(Object.keys(baseline.writes).length).toBeGreaterThan(0);
  });
});

describe.concurrent('SIGKILL of the process group at every step boundary, then resume --yes', () => {
  it.each(BOUNDARIES.map((seq) => [describeSeq(seq), seq] as const))(
    '%s',
    async (_name, seq) => {
      await expectSameRecovery(seq);
    },
    TEST_MS,
  );
});

describe.concurrent('SIGKILL of the process group at every moment inside a step that changes the platform, then resume --yes', () => {
  it.each(INSIDE_WRITING_STEPS.map((seq) => [describeSeq(seq), seq] as const))(
    '%s',
    async (_name, seq) => {
      await expectSameRecovery(seq);
    },
    TEST_MS,
  );
});

describe.concurrent(`SIGKILL of the process group at ${RANDOM_MOMENTS} random moments (seed ${SEED}), then resume --yes`, () => {
  it.each(randomMoments().map((seq, i) => [i + 1, describeSeq(seq), seq] as const))(
    '#%i at %s',
    async (_i, _name, seq) => {
      await expectSameRecovery(seq);
    },
    TEST_MS,
  );
});

/** The journal events of STEP in the uninterrupted run. */
function eventsOf(step: string): JournalEvent[] {
  return baseline.events.filter((e) => 'step' in e && e.step === step);
}

function probed(events: JournalEvent[], step: string) {
  return events.filter((e): e is Extract<JournalEvent, { type: 'step.probed' }> => e.type === 'step.probed' && e.step === step);
}

describe.concurrent('a step interrupted half-way tells on resume whether it already acted', () => {
  it(
    'reconcile-credentials killed after the passwords were set: the new ones log in, so it is done and nothing is set again',
    async () => {
      const writes = eventsOf('reconcile-credentials').filter((e) => e.type === 'command' && e.writes && e.exitCode === 0);
      expect(writes.length).toBeGreaterThan(0);
      const seq = writes.at(-1)!.seq;
      const { resumed, events } = await killAndResume(seq);
      expect(resumed.code, resumed.output).toBe(0);
      expect(probed(events, 'reconcile-credentials')).toEqual([
        expect.objectContaining({ result: 'done', why: expect.stringMatching(/log in with the new instance's password/) }),
      ]);
      expect(events.filter((e) => e.seq > seq && e.type === 'command' && e.step === 'reconcile-credentials' && e.writes)).toEqual([]);
      expect(resumed.output).not.toContain('new-superuser-password-Vb17');
    },
    TEST_MS,
  );

  it(
    'reconcile-credentials killed before the passwords were set: the new ones are refused, so it runs again',
    async () => {
      const started = eventsOf('reconcile-credentials').find((e) => e.type === 'step.started')!;
      const { state, runId, resumed, events } = await killAndResume(started.seq);
      expect(resumed.code, resumed.output).toBe(0);
      expect(probed(events, 'reconcile-credentials')).toEqual([
        expect.objectContaining({ result: 'not-done', why: expect.stringMatching(/password authentication failed/) }),
      ]);
      expect(platformState(World.load(join(state, 'runs', runId), SCENARIO)).cells).toEqual(baseline.platform.cells);
    },
    TEST_MS,
  );

  it.each(['rebind-apps', 'restart-apps'])(
    '%s killed after its cf command: safe to repeat, so it simply runs again',
    async (step) => {
      const write = eventsOf(step).find((e) => e.type === 'command' && e.writes);
      expect(write).toBeDefined();
      const { resumed, events } = await killAndResume(write!.seq);
      expect(resumed.code, resumed.output).toBe(0);
      expect(probed(events, step)).toEqual([
        expect.objectContaining({ result: 'not-done', why: expect.stringMatching(/^safe to run again: /) }),
      ]);
    },
    TEST_MS,
  );
});
