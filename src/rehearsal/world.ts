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
import { growCluster, requestedNodes } from './grow.js';
import type { SimDatabase, SimWorld, WorldState } from './world-state.js';

export type { SimDatabase, WorldState };
import { restoreOnStart, stopOnCell } from './restore.js';

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
  let doc: Record<string, unknown>;
  try {
    doc = parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`${file}: ${(err as Error).message}`);
  }
  const world = doc.world as Partial<WorldState> | undefined;
  if (!world || !world.cf || !world.bosh || !world.cells || !world.s3) {
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
    title: String(doc.title ?? abs),
    description: String(doc.description ?? ''),
    answersFile: existsSync(answers) ? answers : undefined,
    syslogPaths,
    initial: {
      version: 1,
      clock: String(world.clock ?? '2016-03-17T18:00:00.000Z'),
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
    },
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
    return JSON.parse(unseal(readFileSync(join(runDir, WORLD_FILE), 'utf8'), scenarioSecrets(scenario.initial))) as WorldState;
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
    const world = this;
    const changed = (): void => world.save();
    const s3 = new MemoryStore(world.state.s3, changed, () => world.tick(1000));
    const runner = (where: string, fn: (spec: CommandSpec) => CommandResult): CommandRunner => ({
      where,
      async run(spec: CommandSpec): Promise<CommandResult> {
        const result = fn(spec);
        world.save();
        return result;
      },
    });
    const cf = runner('local', (spec) =>
      simulateCf(world.state.cf, spec, {
        now: () => world.tick(1000),
        onServiceCreated: (instance) => buildNewInstance(world, instance),
        onAppRestarted: (app) => world.record('cf', `restarted app ${app.name}`),
        onServiceUpdated: (instance, parameters) => {
          const nodes = requestedNodes(parameters);
          return nodes === undefined ? undefined : growCluster(world, instance, nodes);
        },
      }),
    );
    const bosh = runner('local', (spec) => simulateBosh(world.state.bosh, spec));
    const cells: CellAccess = {
      async open(ip: string): Promise<CellSession> {
        const cell = world.state.cells[ip];
        if (!cell) {
          throw new StepFailed(`ssh: connect to host ${ip} port 22: No route to host (simulated)`, {
            hint: 'the cell IP came from the logs or bosh; check it is a cell of the Dingo deployment',
          });
        }
        const session = runner(`cell ${ip}`, (spec) =>
          simulateCell(cell, spec, {
            now: () => world.tick(1000),
            onStart: (c: SimContainer) => restoreOnStart(world, ip, c),
            onStop: (c: SimContainer) => stopOnCell(world, ip, c),
          }),
        );
        return {
          ...session,
          async etcd(hostPort: string): Promise<EtcdKeys> {
            return world.etcd(hostPort);
          },
          async close(): Promise<void> {},
        };
      },
    };
    return {
      mode: 'rehearsal',
      cf,
      bosh,
      cells,
      s3,
      logPaths: [...scenario.syslogPaths, join(world.dir, WORLD_SYSLOG)],
      async close(): Promise<void> {
        world.save();
      },
    };
  }

  etcd(hostPort: string): EtcdKeys {
    const world = this;
    return {
      where: `etcd ${hostPort} (simulated)`,
      async get(key: string): Promise<string | null> {
        return world.state.etcd[key] ?? null;
      },
      async delete(key: string): Promise<'deleted' | 'absent'> {
        if (!(key in world.state.etcd)) return 'absent';
        delete world.state.etcd[key];
        world.record('etcd', `deleted ${key}`);
        world.save();
        return 'deleted';
      },
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
