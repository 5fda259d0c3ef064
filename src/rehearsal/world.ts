/**
 * The simulated platform of a rehearsal. A scenario folder describes its starting
 * state; the world keeps state across calls and across processes (it is saved in the
 * run folder after every change, so a rehearsal killed at any moment resumes against
 * the platform as it was left), and it behaves as the real one does: a created
 * service gets a container on a cell, archives and etcd keys; a container started
 * on an empty data directory restores from the archive its etcd keys allow.
 */
import { existsSync, readFileSync, writeFileSync, renameSync, openSync, fsyncSync, closeSync, appendFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { CellAccess, CellSession, CommandRunner, CommandSpec, CommandResult, EtcdKeys, Platform } from '../core/seams.js';
import { MemoryStore } from './memory-store.js';
import { simulateCf } from './cf-sim.js';
import { simulateBosh } from './bosh-sim.js';
import { simulateCell, type SimContainer } from './cell-sim.js';
import { UsageError, StepFailed } from '../core/errors.js';
import { buildNewInstance } from './new-instance.js';
import { isRecord, isScenarioWorld, isWorldState, scalarText, type ScenarioWorld } from './world-shape.js';
import type { SimDatabase, SimWorld, WorldState } from './world-state.js';
import { restoreOnStart, stopOnCell } from './restore.js';
import { promised } from './promised.js';
import { withoutKeys } from './json-state.js';

export type { SimDatabase, WorldState };

export const WORLD_FILE = 'world.json';
export const WORLD_SYSLOG = 'world-syslog.log';

export interface Scenario {
  dir: string;
  title: string;
  description: string;
  /** Answers the bundled scenario ships with (the user's questions). */
  answersFile?: string;
  syslogPaths: string[];
  initial: WorldState;
}

export function loadScenario(dir: string): Scenario {
  const abs = resolve(dir);
  const file = join(abs, 'scenario.yaml');
  if (!existsSync(file)) {
    throw new UsageError(`no scenario at ${abs} (expected ${file})`, { hint: 'pass --scenario with a folder like fixtures/seed-003' });
  }
  const doc = readScenarioFile(file);
  const world = doc.world;
  if (!isScenarioWorld(world)) {
    throw new UsageError(`${file}: needs world.cf, world.bosh, world.cells and world.s3`);
  }
  const syslogDir = join(abs, 'syslog');
  const syslogPaths = existsSync(syslogDir)
    ? readdirSync(syslogDir)
        .sort()
        .map((f) => join(syslogDir, f))
    : [];
  const answers = join(abs, 'answers.yaml');
  return {
    dir: abs,
    title: scalarText(doc.title, abs),
    description: scalarText(doc.description, ''),
    answersFile: existsSync(answers) ? answers : undefined,
    syslogPaths,
    initial: initialState(world),
  };
}

function readScenarioFile(file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return isRecord(doc) ? doc : {};
}

function initialState(world: ScenarioWorld): WorldState {
  return {
    version: 1,
    clock: world.clock ?? '2016-03-17T18:00:00.000Z',
    cf: world.cf,
    bosh: world.bosh,
    cells: world.cells,
    cellHosts: world.cellHosts ?? {},
    etcd: world.etcd ?? {},
    s3: world.s3,
    databases: world.databases ?? {},
    placements: world.placements ?? [],
    serving: world.serving ?? {},
    syslogAppended: 0,
    history: [],
  };
}

export class World implements SimWorld {
  private constructor(
    readonly dir: string,
    readonly state: WorldState,
    /** The scenario's secret values: the world file holds references to them, never the values. */
    private readonly sealed: string[] = [],
  ) {}

  /** The world of a rehearsal run: loaded from the run folder, or started from the scenario. */
  static open(runDir: string, scenario: Scenario): World {
    const file = join(runDir, WORLD_FILE);
    if (existsSync(file)) return new World(runDir, World.load(runDir, scenario), scenarioSecrets(scenario.initial));
    const world = new World(runDir, structuredClone(scenario.initial), scenarioSecrets(scenario.initial));
    appendFileSync(join(runDir, WORLD_SYSLOG), '');
    world.save();
    return world;
  }

  /** The saved state of a rehearsal run, its secret references resolved from the scenario. */
  static load(runDir: string, scenario: Scenario): WorldState {
    const file = join(runDir, WORLD_FILE);
    const state: unknown = JSON.parse(unseal(readFileSync(file, 'utf8'), scenarioSecrets(scenario.initial)));
    if (!isWorldState(state)) {
      throw new UsageError(`${file} is not the saved world of a rehearsal (version 1 with cf, bosh, cells and s3)`, {
        hint: 'start a new rehearsal run; this run folder was not written by this version of dingo-recover',
      });
    }
    return state;
  }

  /** Saves the whole state atomically (temp file, fsync, rename). */
  save(): void {
    const file = join(this.dir, WORLD_FILE);
    const tmp = `${file}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    writeFileSync(fd, seal(JSON.stringify(this.state), this.sealed));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
  }

  /** Advances the simulated clock by at least a millisecond and returns it. */
  tick(ms = 1000): Date {
    const next = Math.max(Date.parse(this.state.clock) + ms, Date.parse(this.state.clock) + 1);
    this.state.clock = new Date(next).toISOString();
    return new Date(next);
  }

  record(system: string, what: string): void {
    this.state.history.push({ at: this.state.clock, system, what });
  }

  /** Appends lines to the simulated platform's syslog, in RFC 3164 form like the real relay. */
  syslog(host: string, tag: string, payloads: string[]): void {
    const lines = payloads.map((p) => `${rfc3164(this.tick(1000))} ${host} ${tag}:  ${p}`);
    appendFileSync(join(this.dir, WORLD_SYSLOG), lines.map((l) => l + '\n').join(''));
    this.state.syslogAppended += lines.length;
  }

  platform(scenario: Scenario): Platform {
    const changed = (): void => {
      this.save();
    };
    const s3 = new MemoryStore(this.state.s3, changed, () => this.tick(1000));
    const cf = this.runner('local', (spec) =>
      simulateCf(this.state.cf, spec, {
        now: () => this.tick(1000),
        onServiceCreated: (instance) => {
          buildNewInstance(this, instance);
        },
        onAppRestarted: (app) => {
          this.record('cf', `restarted app ${app.name}`);
        },
      }),
    );
    const bosh = this.runner('local', (spec) => simulateBosh(this.state.bosh, spec));
    const cells: CellAccess = { open: (ip) => promised(() => this.cellSession(ip)) };
    return {
      mode: 'rehearsal',
      cf,
      bosh,
      cells,
      s3,
      logPaths: [...scenario.syslogPaths, join(this.dir, WORLD_SYSLOG)],
      close: () =>
        promised(() => {
          this.save();
        }),
    };
  }

  /** A runner whose commands the simulation answers; the world is saved after each. */
  private runner(where: string, fn: (spec: CommandSpec) => CommandResult): CommandRunner {
    return {
      where,
      run: (spec) =>
        promised(() => {
          const result = fn(spec);
          this.save();
          return result;
        }),
    };
  }

  private cellSession(ip: string): CellSession {
    const cell = this.state.cells[ip];
    if (!cell) {
      throw new StepFailed(`ssh: connect to host ${ip} port 22: No route to host (simulated)`, {
        hint: 'the cell IP came from the logs or bosh; check it is a cell of the Dingo deployment',
      });
    }
    const session = this.runner(`cell ${ip}`, (spec) =>
      simulateCell(cell, spec, {
        now: () => this.tick(1000),
        onStart: (c: SimContainer) => {
          restoreOnStart(this, ip, c);
        },
        onStop: (c: SimContainer) => {
          stopOnCell(this, ip, c);
        },
      }),
    );
    return {
      ...session,
      etcd: (hostPort) => promised(() => this.etcd(hostPort)),
      close: () => Promise.resolve(),
    };
  }

  etcd(hostPort: string): EtcdKeys {
    return {
      where: `etcd ${hostPort} (simulated)`,
      get: (key) => promised(() => this.state.etcd[key] ?? null),
      delete: (key) =>
        promised(() => {
          if (!(key in this.state.etcd)) return 'absent';
          this.state.etcd = withoutKeys(this.state.etcd, [key]);
          this.record('etcd', `deleted ${key}`);
          this.save();
          return 'deleted';
        }),
    };
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Mar 17 18:05:20` (the relay's clock is UTC in the scenarios). */
export function rfc3164(d: Date): string {
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const t = d.toISOString().slice(11, 19);
  return `${MONTHS[d.getUTCMonth()]} ${day} ${t}`;
}

/** Keys whose values are credentials, in container environments and elsewhere in a scenario. */
const SECRET_KEY = /PASSWORD|SECRET|ACCESS_KEY|TOKEN/i;

/**
 * Every credential a scenario holds (container environment secrets, role passwords), longest
 * first so that no value is replaced inside a longer one. The order is stable for one scenario.
 */
export function scenarioSecrets(initial: WorldState): string[] {
  const found = new Set<string>();
  const walk = (v: unknown, key: string, underRoles: boolean): void => {
    if (typeof v === 'string') {
      const eq = v.indexOf('=');
      if (underRoles || SECRET_KEY.test(key)) found.add(v);
      else if (eq > 0 && SECRET_KEY.test(v.slice(0, eq))) found.add(v.slice(eq + 1));
    } else if (Array.isArray(v)) {
      for (const item of v) walk(item, key, underRoles);
    } else if (v && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) walk(item, k, key === 'roles');
    }
  };
  walk(initial, '', false);
  return [...found].filter((x) => x.length >= 4).sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
}

const ref = (i: number): string => `\u00absecret:${i}\u00bb`;
const escaped = (secret: string): string => JSON.stringify(secret).slice(1, -1);

function seal(json: string, secrets: string[]): string {
  return secrets.reduce((text, secret, i) => text.split(escaped(secret)).join(ref(i)), json);
}

function unseal(json: string, secrets: string[]): string {
  return secrets.reduce((text, secret, i) => text.split(ref(i)).join(escaped(secret)), json);
}
