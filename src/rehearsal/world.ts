/**
 * The simulated platform of a rehearsal. A scenario folder describes its starting
 * state; the world keeps state across calls and across processes (it is saved in the
 * run folder after every change, so a rehearsal killed at any moment resumes against
 * the platform as it was left), and it behaves as the real one does: a created
 * service gets a container on a cell, archives and etcd keys; a container started
 * on an empty data directory restores from the archive its etcd keys allow.
 */
import { existsSync, readFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CellAccess,
  CellSession,
  CommandSpec,
  CommandResult,
  ContainerServer,
  ContainerServers,
  DatabaseCall,
  EtcdKeys,
  Platform,
} from '../core/seams.js';
import type { OpenLogSource } from '../core/log-source.js';
import { MemoryStore } from './memory-store.js';
import { simulateCf } from './cf/index.js';
import { simulateBosh } from './bosh-sim.js';
import { cellCommand, readCellSpec, simulateCell, type CellSpec, type SimContainer } from './cell-sim.js';
import { UsageError, StepFailed } from '../core/errors.js';
import { buildNewInstance } from './new-instance.js';
import { growCluster, requestedNodes } from './grow.js';
import { isWorldState } from './world-shape.js';
import { loadScenario, type Scenario } from './scenario.js';
import { scenarioSecrets, seal, unseal } from './world-secrets.js';
import type { SimWorld, WorldState } from './world-state.js';
import { afterKeysExpired, restoreOnStart, stopOnCell } from './restore.js';
import { expireKeys, worldEtcd } from './world-etcd.js';
import { promised } from './promised.js';
import { failpoint } from '../core/failpoints.js';
import { replaceFile } from './json-state.js';
import { envOf, findContainer, majorOfImage } from './cell-world.js';

export type { Scenario, WorldState };
export { loadScenario };

export const WORLD_FILE = 'world.json';
export const WORLD_SYSLOG = 'world-syslog.log';

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

  /** Saves the whole state atomically, not fsynced (json-state.ts `replaceFile`). */
  save(): void {
    // The simulated world must survive a killed process (crash tests resume it), not a power cut.
    replaceFile(join(this.dir, WORLD_FILE), seal(JSON.stringify(this.state), this.sealed));
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

  /**
   * The world behind the seams. Its logs are read as the live ones are (`openFiles`, given by the
   * command layer): the scenario's syslog and the world's own, besides what the run was given. `local`:
   * this machine's programs and Docker Engines, given by the command layer (the world simulates the
   * platform, not the operator's machine); `servers`: the real PostgreSQL a scenario's `postgres:`
   * container runs on this machine (without them, such a container is simulated as any other).
   */
  platform(
    scenario: Scenario,
    openFiles: OpenLogSource,
    local: Pick<Platform, 'processes' | 'dockerEngine'>,
    servers?: ContainerServers,
  ): Platform {
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
        onServiceUpdated: (instance, parameters) => {
          const nodes = requestedNodes(parameters);
          if (nodes === undefined) return undefined;
          const failure = growCluster(this, instance, nodes);
          if (failure !== undefined || !this.state.cf.cloneOutlastsBrokerWait) return failure;
          // Go's %d of the string ClusterID, as the broker formats it.
          return `Timed out waiting for cluster %!d(structs.ClusterID=${instance.guid}) members to achieve state 'running'`;
        },
      }),
    );
    const bosh = this.runner('local', (spec) => simulateBosh(this.state.bosh, spec));
    const cells: CellAccess = { open: (ip) => promised(() => this.cellSession(ip, servers)) };
    return {
      mode: 'rehearsal',
      scenario: scenario.dir,
      cf,
      bosh,
      cells,
      s3,
      openLogs: (spec) => openFiles({ ...spec, paths: [...(spec.paths ?? []), ...scenario.syslogPaths, join(this.dir, WORLD_SYSLOG)] }),
      processes: local.processes,
      dockerEngine: (host) => local.dockerEngine(host),
      close: async (end) => {
        this.save();
        // A finished run's world is not resumed: its databases go with their servers (world.json stays, for show).
        await servers?.close(end?.runDone);
      },
    };
  }

  /** Drops the etcd keys whose TTL ran out by now, and lets the nodes waiting on them act. */
  private expire(): void {
    const gone = expireKeys(this);
    if (gone.length) afterKeysExpired(this, gone);
  }

  /** A runner whose commands the simulation answers; the world is saved after each. */
  private runner<S extends Pick<CommandSpec, 'writes'> = CommandSpec>(
    where: string,
    fn: (spec: S) => CommandResult,
  ): { where: string; run: (spec: S) => Promise<CommandResult> } {
    return {
      where,
      run: (spec) =>
        promised(() => {
          // What etcd and the nodes did by themselves since the last command happens first.
          this.expire();
          const result = fn(spec);
          this.save();
          // A crash after the platform changed, before the run journaled the command that changed it.
          if (spec.writes) failpoint('rehearsal.write');
          return result;
        }),
    };
  }

  private cellSession(ip: string, servers: ContainerServers | undefined): CellSession {
    const cell = this.state.cells[ip];
    if (!cell) {
      throw new StepFailed(`ssh: connect to host ${ip} port 22: No route to host (simulated)`, {
        hint: 'the cell IP came from the logs or bosh; check it is a cell of the Dingo deployment',
      });
    }
    const session = this.runner(`cell ${ip}`, (spec: CellSpec) =>
      simulateCell(cell, spec, {
        now: () => this.tick(1000),
        elapse: (ms: number) => this.tick(ms),
        holdings: (sysid: string) => this.state.databases[sysid]?.holds,
        onStart: (c: SimContainer) => {
          restoreOnStart(this, ip, c);
        },
        onStop: (c: SimContainer) => {
          stopOnCell(this, ip, c);
        },
      }),
    );
    /** The real server of the running container a call to its database goes to, if any (the cell's sudo allowing it). */
    const realServerOf = (spec: Pick<CommandSpec, 'argv' | 'sudo'>, call: DatabaseCall): ContainerServer | undefined => {
      const c = findContainer(cell, call.container);
      if (!servers || !cellCommand(cell, spec) || !c?.postgres || !c.running) return undefined;
      const { seed, nextXid } = c.postgres;
      return { name: c.name, major: majorOfImage(c.image), env: envOf(c), seed, ...(nextXid && { nextXid }) };
    };
    return {
      where: session.where,
      // The simulation answers a command once it has read all of its input (cell-sim.ts readCellSpec);
      // a call to a container's database, its typed call and a restore's dump (never the command's shell text).
      run: async (spec) => {
        const read = await readCellSpec(spec);
        const real = read.database && realServerOf(read, read.database.call);
        return real ? servers!.run(real, read.database!.call, read.database!.dump) : session.run(read);
      },
      etcd: (hostPort) => promised(() => this.etcd(hostPort)),
      close: () => Promise.resolve(),
    };
  }

  etcd(hostPort: string): EtcdKeys {
    return worldEtcd(this, hostPort, {
      changed: () => {
        this.save();
      },
      afterExpiry: (keys) => {
        afterKeysExpired(this, keys);
      },
    });
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Mar 17 18:05:20` (the relay's clock is UTC in the scenarios). */
function rfc3164(d: Date): string {
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const t = d.toISOString().slice(11, 19);
  return `${MONTHS[d.getUTCMonth()]} ${day} ${t}`;
}
