/**
 * The containers that serve an instance, read from the cells themselves rather than the logs: the
 * cells of the Dingo deployments (BOSH's list of their VMs, the `cell` jobs), each asked through its
 * own docker for every container (`ps -a`) and then for those containers' environment (`inspect`).
 * A Dingo node is a container named cf-<node-uuid> (cf-containers-broker `container_manager.rb`)
 * whose PATRONI_SCOPE is the instance's GUID (the broker's provision request, BRK
 * `scheduler/cells/cells.go` `ProvisionNode`); registrator and any other container are left out.
 * Only reads run; a cell that cannot be read is named, never skipped in silence.
 */
import type { StepContext } from '../../engine/executor/index.js';
import { BoshCli } from '../../adapters/bosh.js';
import { messageOf } from '../../core/errors.js';
import { cellDocker } from './cell.js';

/** One node of the instance, as its cell shows it. */
export interface ScopedNode {
  container: string;
  cellIp: string;
  running: boolean;
  /** NODE_ID (later brokers) or NODE_NAME (the 2016 broker) of its environment; '' when it has neither. */
  node: string;
}

export interface ScopeScan {
  nodes: ScopedNode[];
  /** The cells read, by IP. */
  read: string[];
  /** The cells that could not be read, each `IP: why`. */
  unread: string[];
}

/** A Dingo cell VM: its IP, and its BOSH instance and deployment. */
export interface DingoCell {
  ip: string;
  instance: string;
  deployment: string;
}

const isDingo = (deployment: string): boolean => deployment.startsWith('dingo-postgresql');

/**
 * The cell VMs (jobs named cell…) of one deployment, or of every `dingo-postgresql*` deployment
 * (every deployment when none is named so), as BOSH lists them.
 */
export async function dingoCells(ctx: StepContext, deployment?: string): Promise<DingoCell[]> {
  const bosh = new BoshCli(ctx.bosh, { binary: ctx.settings.boshBinary, redactor: ctx.runtime.redactor });
  let deployments = [deployment ?? ''];
  if (deployment === undefined) {
    const all = await bosh.deployments();
    deployments = all.some(isDingo) ? all.filter(isDingo) : all;
  }
  const cells: DingoCell[] = [];
  for (const d of deployments) {
    for (const vm of await bosh.vms(d)) {
      if (!vm.job.startsWith('cell')) continue;
      for (const ip of vm.ips) cells.push({ ip, instance: vm.instance, deployment: d });
    }
  }
  return cells;
}

/** The containers on `cellIps` whose PATRONI_SCOPE is `guid`. */
export async function scanScope(ctx: StepContext, guid: string, cellIps: readonly string[]): Promise<ScopeScan> {
  const scan: ScopeScan = { nodes: [], read: [], unread: [] };
  for (const ip of cellIps) {
    try {
      const docker = await cellDocker(ctx, ip);
      const names = (await docker.containerNames()).filter((n) => n.startsWith('cf-'));
      for (const info of await docker.inspectAll(names)) {
        if (info.env.PATRONI_SCOPE !== guid) continue;
        scan.nodes.push({
          container: info.name,
          cellIp: ip,
          running: info.state.running,
          node: info.env.NODE_ID ?? info.env.NODE_NAME ?? '',
        });
      }
      scan.read.push(ip);
    } catch (err) {
      scan.unread.push(`${ip}: ${messageOf(err)}`);
    }
  }
  return scan;
}

/** The nodes in words: `cf-… on 10.58.111.150 (running)`. */
export function describeNodes(nodes: readonly ScopedNode[]): string {
  return nodes.map((n) => `${n.container} on ${n.cellIp} (${n.running ? 'running' : 'stopped'})`).join(', ');
}
