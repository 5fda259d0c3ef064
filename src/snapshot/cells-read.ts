/**
 * The candidates' containers as the rehearsal's cells hold them (`docker inspect` on their cell,
 * over the same SSH a recovery uses), and the etcd keys of the instances concerned, read through
 * the cell's forward to the ETCD_HOST_PORT its containers name. Only inspect and GETs run.
 */
import type { Redactor } from '../core/redact.js';
import type { CellAccess, CellSession } from '../core/seams.js';
import { CellDocker, type ContainerInfo } from '../adapters/docker.js';
import type { CellWorld, SimContainer } from '../rehearsal/cell-world.js';

export interface DockerSettings {
  binary?: string;
  host?: string;
  redactor: Redactor;
}

/** The container of one node of a candidate, on the cell the logs name. */
export interface NodeAt {
  container: string;
  cellIp: string;
}

function simContainer(info: ContainerInfo): SimContainer {
  return {
    id: info.id,
    name: info.name,
    image: info.image,
    env: info.envList,
    mounts: info.mounts.map((m) => ({ Source: m.source, Destination: m.destination, Mode: m.mode, RW: m.rw })),
    running: info.state.running,
    exitCode: info.state.exitCode,
    startedAt: info.state.startedAt,
    finishedAt: info.state.finishedAt,
    logs: [],
    pg: { ready: info.state.running, inRecovery: false, pollsUntilPromoted: 0, roles: {} },
  };
}

export interface CellsRead {
  cells: Record<string, CellWorld>;
  etcd: Record<string, string>;
  /** The ETCD_HOST_PORT a container named, if any did. */
  etcdHostPort: string | null;
  /**
   * The cell the rehearsal's broker places the new instance on: the one wanted when it was read
   * with its registrator, else another cell that was (a recovery checks registrator runs where the
   * new container runs); the one wanted when no cell could be read.
   */
  placementCell: string | undefined;
}

/**
 * The cells with the nodes' containers, and the instances' etcd keys read through the first cell
 * reached; `wanted`, the cell the new instance should land on (the deleted instance's). Every SSH
 * session is closed, whatever fails.
 */
export async function readCellsAndEtcd(
  access: CellAccess,
  cellIps: string[],
  nodes: NodeAt[],
  docker: DockerSettings,
  guids: string[],
  gaps: string[],
  wanted?: string,
): Promise<CellsRead> {
  const sessions: CellSession[] = [];
  try {
    const read = new CellReader(access, docker, sessions, gaps, cellIps);
    const etcdHostPort = await read.nodes(nodes);
    const placementCell = await read.placement(wanted ?? cellIps[0]);
    const first = sessions[0];
    const etcd = first && etcdHostPort ? await readEtcd(first, etcdHostPort, guids, gaps) : {};
    return { cells: read.cells, etcd, etcdHostPort, placementCell };
  } finally {
    await Promise.allSettled(sessions.map((s) => s.close()));
  }
}

/** Every Dingo cell, empty, then filled with what could be read of it. */
class CellReader {
  readonly cells: Record<string, CellWorld> = {};
  /** The cells read whose registrator was there. */
  private readonly captured = new Set<string>();
  private readonly tried = new Set<string>();

  constructor(
    private readonly access: CellAccess,
    private readonly docker: DockerSettings,
    private readonly sessions: CellSession[],
    private readonly gaps: string[],
    private readonly cellIps: string[],
  ) {
    for (const ip of cellIps) this.cells[ip] = { ip, dockerVersion: '1.11.0', containers: {}, files: {} };
  }

  /** The nodes' containers that still exist, and registrator, on each of their cells; the first ETCD_HOST_PORT named. */
  async nodes(nodes: NodeAt[]): Promise<string | null> {
    let etcdHostPort: string | null = null;
    const byCell = new Map<string, NodeAt[]>();
    for (const n of nodes.filter((x) => this.cells[x.cellIp])) byCell.set(n.cellIp, [...(byCell.get(n.cellIp) ?? []), n]);
    for (const [ip, onCell] of byCell) {
      for (const info of await this.read(
        ip,
        onCell.map((n) => n.container),
      ))
        etcdHostPort ??= info.env.ETCD_HOST_PORT ?? null;
    }
    return etcdHostPort;
  }

  /**
   * Where the new instance goes: `wanted` when it was read with its registrator, else the first cell
   * that is, reading the cells not tried yet (registrator only) until one is; else `wanted`, said in the gaps.
   */
  async placement(wanted: string | undefined): Promise<string | undefined> {
    if (wanted && this.captured.has(wanted)) return wanted;
    for (const ip of [...(wanted ? [wanted] : []), ...this.cellIps]) {
      if (!this.tried.has(ip)) await this.read(ip, []);
      if (this.captured.has(ip)) {
        if (wanted && ip !== wanted)
          this.gaps.push(`the new instance is placed on cell ${ip}, read with its registrator, not on ${wanted}`);
        return ip;
      }
    }
    if (wanted)
      this.gaps.push(
        `no cell could be read with its registrator: the new instance is placed on ${wanted}, where a rehearsal stops at the registrator check`,
      );
    return wanted;
  }

  /** The containers named and registrator (a recovery checks it runs before it stops a container) on one cell. */
  private async read(ip: string, containers: string[]): Promise<ContainerInfo[]> {
    this.tried.add(ip);
    const found: ContainerInfo[] = [];
    try {
      const session = await this.access.open(ip);
      this.sessions.push(session);
      const d = this.docker;
      const cellDocker = new CellDocker(session, { binary: d.binary, host: d.host, sudo: true, redactor: d.redactor });
      for (const container of [...containers, 'registrator']) {
        const info = await cellDocker.inspect(container);
        if (!info) continue;
        this.cells[ip]!.containers[info.name] = simContainer(info);
        if (info.name === 'registrator') this.captured.add(ip);
        found.push(info);
      }
    } catch (err) {
      this.gaps.push(`cell ${ip}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return found;
  }
}

/** The etcd keys a recovery reads or resets for these instances, as they are now (absent keys left out). */
async function readEtcd(session: CellSession, hostPort: string, guids: string[], gaps: string[]): Promise<Record<string, string>> {
  const keys: Record<string, string> = {};
  try {
    const etcd = await session.etcd(hostPort);
    for (const guid of guids) {
      for (const key of [`/service/${guid}/initialize`, `/service/${guid}/leader`, `/routing/allocation/${guid}`]) {
        const value = await etcd.get(key);
        if (value !== null) keys[key] = value;
      }
    }
  } catch (err) {
    gaps.push(`etcd at ${hostPort}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return keys;
}
