/**
 * The machinery of a crash sweep: a rehearsal run uninterrupted once, then killed (SIGKILL of its
 * whole process group, through DINGO_RECOVER_FAILPOINTS) just after a journal event and resumed
 * with `--yes`, the simulated platform it leaves compared with the uninterrupted run's. The kill
 * points are derived from the uninterrupted run's journal (step boundaries, every moment inside a
 * step that changes the platform, seeded random moments elsewhere), so a sweep follows its runbook
 * as it changes. Used by test/e2e/crash-sweep.test.ts (the recovery of a deleted instance) and
 * test/restore-to-time/crash-sweep.test.ts (restore-to-time into a new service).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { BIN, ROOT } from './cli.js';
import { seededRandom } from './seeded-random.js';
import { World, type Scenario, type WorldState } from '../../src/rehearsal/world.js';
import { readJournal, type JournalEvent } from '../../src/engine/journal/index.js';
import { loadRunbook, type StepDef } from '../../src/engine/runbook/index.js';
import { drive } from '../../src/engine/run/index.js';
import { platforms } from '../../src/commands/platforms.js';
import { actionRegistry } from '../../src/actions/index.js';
import { processRuntime } from '../../src/core/runtime.js';

/** Rehearsals running at once. */
const PARALLEL = 2;
/** A rehearsal that has not ended by then is killed and the test fails. */
const WATCHDOG_MS = 45_000;
/**
 * One test: its killed run and its resume, after waiting for a slot (PARALLEL) behind the other
 * tests of its concurrent block, which counts against its time too.
 */
export const TEST_MS = 4 * WATCHDOG_MS;

export const ACTIONS = actionRegistry();

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

export interface Ended {
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

/**
 * `dingo-recover resume RUN-ID --yes`, in this process: what the CLI's resume does (with the
 * answers file the run started with), without the half second a fresh process spends loading its
 * modules. Only the killed runs need a process.
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
export const stamped = (text: string): string => text.replace(/\d{8}T\d{6}Z/g, '<stamp>');

/** The only change a runbook makes again after a crash in its step: restarting an app (safe to repeat). */
const REPEATABLE = /^restarted app /;

/** What a run leaves on the simulated platform, without clocks, stamps and logs. */
export function platformState(w: WorldState) {
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
              {
                running: c.running,
                env: c.env,
                mounts: c.mounts,
                ready: c.pg.ready,
                inRecovery: c.pg.inRecovery,
                roles: c.pg.roles,
                // Each load's count, not its bytes: pg_dump writes the moment it ran into its file.
                databases: c.pg.databases
                  ? Object.fromEntries(
                      Object.entries(c.pg.databases).map(([name, d]) => [
                        name,
                        { owner: d.owner, tables: d.tables, loads: d.loads.length },
                      ]),
                    )
                  : undefined,
              },
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
export type PlatformState = ReturnType<typeof platformState>;

/** What a rehearsal is swept over: its command line (without --state-dir) and its scenario. */
export interface SweepSubject {
  args: string[];
  scenario: Scenario;
}

/** A run of the subject (uninterrupted, or killed and resumed): its journal and the world it left. */
export interface SweptRun {
  state: string;
  runId: string;
  events: JournalEvent[];
  world: WorldState;
}

/**
 * A crash sweep of one rehearsal: the uninterrupted run it is measured against, the kill points
 * derived from its journal, and a kill-and-resume at any of them.
 */
export class CrashSweep {
  private constructor(
    private readonly subject: SweepSubject,
    private readonly stateDir: () => string,
    readonly baseline: SweptRun & { platform: PlatformState },
    /** The steps of the runbook, by id: a for-each's item steps as `STEP/ITEM/SUB-STEP`. */
    private readonly steps: (id: string) => StepDef | undefined,
  ) {}

  /** Runs the subject uninterrupted; its state folders (and every later run's) go after the file's tests. */
  static async start(subject: SweepSubject): Promise<CrashSweep> {
    const dirs: string[] = [];
    afterAll(() => {
      dirs.splice(0).forEach((d) => {
        rmSync(d, { recursive: true, force: true });
      });
    });
    const stateDir = (): string => {
      const d = mkdtempSync(join(tmpdir(), 'dr-sweep-'));
      dirs.push(d);
      return d;
    };
    const state = stateDir();
    const r = await cli([...subject.args, '--state-dir', state]);
    if (r.code !== 0) throw new Error(`the uninterrupted rehearsal exited ${r.code ?? r.signal}:\n${r.output}`);
    const runId = onlyRun(state);
    const events = journalOf(state, runId);
    const created = events.find((e) => e.type === 'run.created');
    if (created?.type !== 'run.created') throw new Error('the uninterrupted run has no run.created event');
    const steps = loadRunbook(created.runbook.file, ACTIONS).steps;
    const world = World.load(join(state, 'runs', runId), subject.scenario);
    return new CrashSweep(subject, stateDir, { state, runId, events, world, platform: platformState(world) }, stepFinder(steps));
  }

  private get events(): JournalEvent[] {
    return this.baseline.events;
  }

  /** The step of a journaled step id (a for-each item's steps included). */
  step(id: string): StepDef | undefined {
    return this.steps(id);
  }

  /** What the uninterrupted run had just written at journal event SEQ. */
  describeSeq(seq: number): string {
    const e = this.events.find((x) => x.seq === seq)!;
    const step = 'step' in e && e.step ? ` ${e.step}` : '';
    const what = e.type === 'command' ? ` ${e.argv.slice(0, 2).join(' ')}${e.writes ? ' (writes)' : ''}` : '';
    return `journal:${seq} (${e.type}${step}${what})`;
  }

  /** Each step boundary: the last event before a step's first one, and the end of the last step. */
  boundaries(): number[] {
    const seqs = new Set<number>();
    let previous: string | undefined;
    for (const e of this.events) {
      const step = 'step' in e ? e.step : undefined;
      if (step && step !== previous) {
        seqs.add(e.seq - 1);
        previous = step;
      }
    }
    const last = this.events.filter((e) => e.type === 'step.finished' || e.type === 'step.skipped').at(-1);
    if (last) seqs.add(last.seq);
    return [...seqs].sort((a, b) => a - b);
  }

  /**
   * Every moment inside a step that changes the platform: from its first event (the evidence and
   * confirmation of a destructive step come before its step.started) to the last one before its
   * step.finished, when part or all of its effect may have happened unrecorded. A for-each step
   * is judged by its item steps.
   */
  insideWritingSteps(): number[] {
    const writing = (id: string): boolean => {
      const action = ACTIONS.get(this.steps(id)?.action ?? '');
      return action !== undefined && action.effect !== 'read';
    };
    return this.events
      .filter((e) => 'step' in e && e.step !== undefined && writing(e.step) && e.type !== 'step.finished')
      .map((e) => e.seq);
  }

  /** COUNT distinct moments (seeded), uniformly over the rest of the journal of the uninterrupted run. */
  randomMoments(count: number, seed: number): number[] {
    const next = seededRandom(seed);
    const covered = new Set([...this.boundaries(), ...this.insideWritingSteps()]);
    const pool = Array.from({ length: this.events.at(-1)!.seq }, (_, i) => i + 1).filter((seq) => !covered.has(seq));
    const picked: number[] = [];
    while (picked.length < count && pool.length) picked.push(pool.splice(Math.floor(next() * pool.length), 1)[0]!);
    return picked;
  }

  /** The journal events of STEP in the uninterrupted run. */
  eventsOf(step: string): JournalEvent[] {
    return this.events.filter((e) => 'step' in e && e.step === step);
  }

  /**
   * The k-th command of the uninterrupted run that changed the platform, for k = 1, 2, ...: killed
   * at `rehearsal.write:k`, the run dies once that change took effect, before it was journaled.
   */
  writes(): { point: string; what: string; command: JournalEvent }[] {
    return this.events
      .filter((e) => e.type === 'command' && e.writes)
      .map((e, i) => ({ point: `rehearsal.write:${i + 1}`, what: `${this.describeSeq(e.seq)} took effect, unjournaled`, command: e }));
  }

  /**
   * Kills a rehearsal at a failpoint, then resumes it with --yes. A number is a journal event: the
   * run dies just after it journaled event SEQ. `rehearsal.write:K` dies just after its K-th change
   * of the platform, whose command is then not in the journal.
   */
  async killAndResume(point: number | string): Promise<SweptRun & { resumed: Ended }> {
    return slot(async () => {
      const state = this.stateDir();
      const failpoint = typeof point === 'number' ? `journal:${point}` : point;
      const killed = await cli([...this.subject.args, '--state-dir', state], failpoint);
      expect(killed.signal, `the rehearsal was to die at ${failpoint}\n${killed.output}`).toBe('SIGKILL');
      const runId = onlyRun(state);
      const journal = journalOf(state, runId);
      if (typeof point === 'number') expect(journal.at(-1)?.seq, 'the kill came just after the event it was aimed at').toBe(point);
      else {
        const k = Number(/:(\d+)$/.exec(point)?.[1]);
        const journaled = journal.filter((e) => e.type === 'command' && e.writes).length;
        expect(journaled, 'the kill came after the change, before the journal recorded it').toBe(k - 1);
      }
      const resumed = await resume(state, runId);
      const world = World.load(join(state, 'runs', runId), this.subject.scenario);
      return { state, runId, resumed, events: journalOf(state, runId), world };
    });
  }

  /**
   * Kills at a failpoint (see killAndResume) and resumes: the resume exits 0, the run finishes and
   * leaves the platform as the uninterrupted run did. The run is returned for the sweep's own checks.
   */
  async expectSameEnd(point: number | string): Promise<SweptRun & { resumed: Ended }> {
    const run = await this.killAndResume(point);
    const where = typeof point === 'number' ? this.describeSeq(point) : point;
    expect(run.resumed.code, `resume after SIGKILL at ${where}:\n${run.resumed.output}`).toBe(0);
    expect(platformState(run.world)).toEqual(this.baseline.platform);
    expect(run.events.at(-1)?.type).toBe('run.finished');
    return run;
  }
}

/** The step of each journaled id: `ID`, or `FOR-EACH/ITEM/SUB-STEP` for a for-each's item steps. */
function stepFinder(steps: StepDef[]): (id: string) => StepDef | undefined {
  const find = (list: StepDef[], path: string[]): StepDef | undefined => {
    const [head, item, ...rest] = path;
    const step = list.find((s) => s.id === head);
    if (!step || item === undefined) return step;
    return step.forEach && rest.length ? find(step.forEach.runbook.steps, rest) : undefined;
  };
  return (id) => find(steps, id.split('/'));
}
