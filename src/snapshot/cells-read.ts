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
}

/**
 * The cells with the nodes' containers, and the instances' etcd keys read through the first cell
 * reached; every SSH session is closed, whatever fails.
 */
export async function readCellsAndEtcd(
  access: CellAccess,
  cellIps: string[],
  nodes: NodeAt[],
  docker: DockerSettings,
  guids: string[],
  gaps: string[],
): Promise<CellsRead> {
  const sessions: CellSession[] = [];
  try {
    const { cells, etcdHostPort } = await readCells(access, cellIps, nodes, docker, sessions, gaps);
    const first = sessions[0];
    const etcd = first && etcdHostPort ? await readEtcd(first, etcdHostPort, guids, gaps) : {};
    return { cells, etcd, etcdHostPort };
  } finally {
    await Promise.allSettled(sessions.map((s) => s.close()));
  }
}

/** Every Dingo cell, empty, then filled with the nodes' containers that still exist. */
async function readCells(
  access: CellAccess,
  cellIps: string[],
  nodes: NodeAt[],
  docker: DockerSettings,
  sessions: CellSession[],
  gaps: string[],
): Promise<{ cells: Record<string, CellWorld>; etcdHostPort: string | null }> {
  const cells: Record<string, CellWorld> = {};
  for (const ip of cellIps) cells[ip] = { ip, dockerVersion: '1.11.0', containers: {}, files: {} };
  let etcdHostPort: string | null = null;
  const byCell = new Map<string, NodeAt[]>();
  for (const n of nodes.filter((x) => cells[x.cellIp])) byCell.set(n.cellIp, [...(byCell.get(n.cellIp) ?? []), n]);
  for (const [ip, onCell] of byCell) {
    try {
      const session = await access.open(ip);
      sessions.push(session);
      const cellDocker = new CellDocker(session, { binary: docker.binary, host: docker.host, sudo: true, redactor: docker.redactor });
      // registrator too: a recovery checks it runs on the cell before it stops a container.
      for (const container of [...onCell.map((n) => n.container), 'registrator']) {
        const info = await cellDocker.inspect(container);
        if (!info) continue;
        cells[ip]!.containers[info.name] = simContainer(info);
        etcdHostPort ??= info.env.ETCD_HOST_PORT ?? null;
      }
    } catch (err) {
      gaps.push(`cell ${ip}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { cells, etcdHostPort };
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
