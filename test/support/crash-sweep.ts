/**
 * The machinery of a crash sweep: a rehearsal run uninterrupted once, then killed (SIGKILL of its
 * whole process group, through DINGO_RECOVER_FAILPOINTS) just after a journal event and resumed
 * with `--yes`, the simulated platform it leaves compared with the uninterrupted run's. The kill
 * points are derived from the uninterrupted run's journal (step boundaries, every moment inside a
 * step that changes the platform, seeded random moments elsewhere), so a sweep follows its runbook
 * as it changes. Used by test/commands/resume/crash-sweep.test.ts (the recovery of a deleted instance) and
 * test/commands/resume/restore-to-time-crash-sweep.test.ts (restore-to-time into a new service).
 *
 * A kill is forked from the uninterrupted run rather than run again up to its point: that run keeps
 * a copy of its state folder at every journal event (crash-fork/snapshot-hook.mjs, where each
 * journal failpoint would have killed it), which is what a process killed there leaves, lock and
 * world included; a kill just after the K-th change of the platform, before its command is
 * journaled, is the copy at that command's event less the event's line. A kill point where the run
 * had something in its temporary folder (a scratch copy, the scratch server running on it), which
 * a copy of the state cannot hold as it was, is killed for real, and resumed by a `dingo-recover
 * resume --yes` with the temporary folder the killed run had. A fork is resumed in this process,
 * with a scratch folder of its own (runs keep scratch folders named by run id, which forks share).
 */
import { cpSync, chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, expect } from 'vitest';
import { seededRandom } from './seeded-random.js';
import { killProcessesIn, rehearsal, WATCHDOG_MS, type Ended } from './crash-fork/rehearsal-process.js';
import { World, type Scenario, type WorldState } from '../../src/rehearsal/world.js';
import { readJournal, type JournalEvent } from '../../src/engine/journal/index.js';
import { loadRunbook, type StepDef } from '../../src/engine/runbook/index.js';
import { actionRegistry } from '../../src/actions/index.js';
import { drive } from '../../src/engine/run/index.js';
import { platforms } from '../../src/commands/run/platforms.js';
import { processRuntime } from '../../src/core/runtime.js';
import { EXIT } from '../../src/core/errors.js';

export type { Ended };

/**
 * Resumes running at once, in each sweep. Most of a restore-to-time resume waits on its scratch
 * server (its start, replay and stop), so more than the cores keeps them busy.
 */
const PARALLEL = Math.max(4, 2 * availableParallelism());
/**
 * One test: its resume (and its killed run, for a real kill), after waiting for a slot (PARALLEL)
 * behind the other tests of its concurrent block, which counts against its time too.
 */
export const TEST_MS = 6 * WATCHDOG_MS;

/** The journal events the uninterrupted run may write: each is armed as a failpoint, and copied there. */
const MAX_EVENTS = 2000;
const HOOK = pathToFileURL(join(import.meta.dirname, 'crash-fork', 'snapshot-hook.mjs')).href;

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

function onlyRun(state: string): string {
  const runs = readdirSync(join(state, 'runs'));
  if (runs.length !== 1) throw new Error(`expected one run in ${state}, found ${runs.join(', ') || 'none'}`);
  return runs[0]!;
}

function journalOf(state: string, runId: string): JournalEvent[] {
  return readJournal(join(state, 'runs', runId, 'journal.ndjson'));
}

/**
 * `dingo-recover resume RUN-ID --yes`, in this process: what the CLI's resume does (with the
 * answers file the run started with), without the half second a fresh process spends loading its
 * modules. Its scratch folder is TMP, the run's own, as a process's TMPDIR would be.
 */
async function resumeHere(state: string, runId: string, tmp: string): Promise<Ended> {
  let output = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      output += chunk.toString();
      done();
    },
  });
  const runtime = { ...processRuntime(), scratch: tmp };
  const r = await drive({ platforms, stateDir: state, out, resumeId: runId, yes: true, actions: ACTIONS, runtime });
  return { code: r.exitCode, signal: null, output, timedOut: false };
}

/** Drops the last line of a run's journal: the event of a command that changed the platform, unwritten yet. */
function dropLastEvent(state: string, runId: string): void {
  const file = join(state, 'runs', runId, 'journal.ndjson');
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  writeFileSync(
    file,
    lines
      .slice(0, -1)
      .map((l) => `${l}\n`)
      .join(''),
  );
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
    private readonly folder: (prefix: string) => string,
    /** `exitCode`: done (0), or done with warnings (8) when a step could not do all its work (a 9.5 archive restored to a target, which no server here runs). */
    readonly baseline: SweptRun & { platform: PlatformState; exitCode: number },
    /** The steps of the runbook, by id: a for-each's item steps as `STEP/ITEM/SUB-STEP`. */
    private readonly steps: (id: string) => StepDef | undefined,
    /** The uninterrupted run's state folder as it was at each journal event: SNAPSHOTS/SEQ. */
    private readonly snapshots: string,
  ) {}

  /**
   * Runs the subject uninterrupted, keeping its state at every journal event; its folders (and
   * every later run's) go after the file's tests, and whatever a killed run left running in them.
   */
  static async start(subject: SweepSubject): Promise<CrashSweep> {
    const dirs: string[] = [];
    afterAll(() => {
      dirs.splice(0).forEach((d) => {
        killProcessesIn(d);
        rmSync(d, { recursive: true, force: true, maxRetries: 5 });
      });
    });
    const folder = (prefix: string): string => {
      const d = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    };
    const state = folder('dr-sweep-');
    const snapshots = folder('dr-sweep-snapshots-');
    const r = await rehearsal([...subject.args, '--state-dir', state], {
      tmp: sweepTmp(folder),
      failpoints: Array.from({ length: MAX_EVENTS }, (_, i) => `journal:${i + 1}`).join(','),
      node: ['--import', HOOK],
      env: { DINGO_TEST_FORK_STATE: state, DINGO_TEST_FORK_SNAPSHOTS: snapshots },
    });
    if (r.code !== EXIT.done && r.code !== EXIT.doneWithWarnings)
      throw new Error(`the uninterrupted rehearsal exited ${r.code ?? r.signal}:\n${r.output}`);
    if (existsSync(join(snapshots, 'errors')))
      throw new Error(`the uninterrupted rehearsal's state could not be kept:\n${readFileSync(join(snapshots, 'errors'), 'utf8')}`);
    const runId = onlyRun(state);
    const events = journalOf(state, runId);
    if (events.length >= MAX_EVENTS) throw new Error(`the uninterrupted run wrote ${events.length} events: raise MAX_EVENTS`);
    const created = events.find((e) => e.type === 'run.created');
    if (created?.type !== 'run.created') throw new Error('the uninterrupted run has no run.created event');
    const missing = events.filter((e) => !existsSync(join(snapshots, String(e.seq)))).map((e) => e.seq);
    if (missing.length) throw new Error(`no copy of the state at journal events ${missing.join(', ')}`);
    const steps = loadRunbook(created.runbook.file, ACTIONS).steps;
    const world = World.load(join(state, 'runs', runId), subject.scenario);
    return new CrashSweep(
      subject,
      folder,
      { state, runId, events, world, platform: platformState(world), exitCode: r.code },
      stepFinder(steps),
      snapshots,
    );
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
   * What the run had in its temporary folder at journal event SEQ (a scratch copy, a scratch
   * cluster), which a copy of its state does not hold; empty when there was nothing.
   */
  outsideAt(seq: number): string[] {
    const file = join(this.snapshots, `${seq}.outside`);
    return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n') : [];
  }

  /**
   * How a kill at POINT is had: `fork`, from the uninterrupted run's state there, or `kill`, a run
   * killed there for real, where the run had something in its temporary folder.
   */
  howKilled(point: number | string): 'fork' | 'kill' {
    return this.outsideAt(this.forkSeq(point)).length ? 'kill' : 'fork';
  }

  /** The journal event whose copy of the state a kill at POINT is forked from. */
  private forkSeq(point: number | string): number {
    if (typeof point === 'number') return point;
    const k = Number(/^rehearsal\.write:(\d+)$/.exec(point)?.[1]);
    const write = this.writes()[k - 1];
    if (!write) throw new Error(`${point} is not a kill point of this sweep (${this.writes().length} changes)`);
    return write.command.seq;
  }

  /**
   * A rehearsal killed at a failpoint, then resumed with --yes. A number is a journal event: the
   * run dies just after it journaled event SEQ. `rehearsal.write:K` dies just after its K-th change
   * of the platform, whose command is then not in the journal. `how` forces a fork or a real kill.
   */
  async killAndResume(point: number | string, how = this.howKilled(point)): Promise<SweptRun & { resumed: Ended }> {
    return slot(async () => {
      const { state, tmp, runId } = await this.interrupted(point, how);
      const resumed =
        how === 'fork' ? await resumeHere(state, runId, tmp) : await rehearsal(['resume', runId, '--yes', '--state-dir', state], { tmp });
      // What the resume (or the killed run, and nothing after it) left running and kept there.
      killProcessesIn(tmp);
      rmSync(tmp, { recursive: true, force: true, maxRetries: 5 });
      const world = World.load(join(state, 'runs', runId), this.subject.scenario);
      return { state, runId, resumed, events: journalOf(state, runId), world };
    });
  }

  /**
   * The state folder a kill at POINT leaves (see killAndResume), forked or killed for real, with
   * the run's temporary folder, checked to end where the point says.
   */
  async interrupted(point: number | string, how: 'fork' | 'kill'): Promise<{ state: string; tmp: string; runId: string }> {
    const state = this.folder('dr-sweep-');
    const tmp = sweepTmp(this.folder);
    const failpoint = typeof point === 'number' ? `journal:${point}` : point;
    if (how === 'fork') {
      cpSync(join(this.snapshots, String(this.forkSeq(point))), state, { recursive: true });
      if (typeof point === 'string') dropLastEvent(state, this.baseline.runId);
    } else {
      const killed = await rehearsal([...this.subject.args, '--state-dir', state], { tmp, failpoints: failpoint });
      expect(killed.timedOut, `the rehearsal ran out its time before ${failpoint}\n${killed.output}`).toBe(false);
      expect(killed.signal, `the rehearsal was to die at ${failpoint}\n${killed.output}`).toBe('SIGKILL');
    }
    const runId = onlyRun(state);
    const journal = journalOf(state, runId);
    if (typeof point === 'number') expect(journal.at(-1)?.seq, 'the kill came just after the event it was aimed at').toBe(point);
    else {
      const k = Number(/:(\d+)$/.exec(point)?.[1]);
      const journaled = journal.filter((e) => e.type === 'command' && e.writes).length;
      expect(journaled, 'the kill came after the change, before the journal recorded it').toBe(k - 1);
    }
    return { state, tmp, runId };
  }

  /**
   * Kills at a failpoint (see killAndResume) and resumes: the resume exits as the uninterrupted run did, the run finishes and
   * leaves the platform as the uninterrupted run did. The run is returned for the sweep's own checks.
   */
  async expectSameEnd(point: number | string): Promise<SweptRun & { resumed: Ended }> {
    const run = await this.killAndResume(point);
    const where = typeof point === 'number' ? this.describeSeq(point) : point;
    expect(run.resumed.code, `resume after SIGKILL at ${where}:\n${run.resumed.output}`).toBe(this.baseline.exitCode);
    expect(platformState(run.world)).toEqual(this.baseline.platform);
    expect(run.events.at(-1)?.type).toBe('run.finished');
    return run;
  }
}

/**
 * A run's own temporary folder: its scratch copies (named by run id, which a fork shares with the
 * uninterrupted run) and clusters kept apart from every other run's. PostgreSQL's account must
 * reach the copies in it. Its name is short: a restore's drill makes its Unix socket four folders
 * down in it, and a socket's path has 107 bytes.
 */
function sweepTmp(folder: (prefix: string) => string): string {
  const tmp = folder('t-');
  chmodSync(tmp, 0o755);
  return tmp;
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
