/** What a recovery reads of BOSH, kept as the rehearsal's BOSH world: the CLI version, deployments and their VMs. */
import type { Redactor } from '../core/redact.js';
import type { CommandRunner } from '../core/seams.js';
import { BoshCli, type Vm } from '../adapters/bosh.js';
import type { BoshWorld } from '../rehearsal/bosh-sim.js';
import type { BoshVm } from '../rehearsal/bosh-sim.js';

/** A VM as the simulated director lists it; v1 rows name the index where v2 rows name the instance id. */
function worldVm(vm: Vm, i: number): BoshVm {
  const index = vm.index ?? (/^\d+$/.test(vm.id) ? Number(vm.id) : i);
  return {
    job: vm.job,
    id: vm.id,
    index,
    ips: vm.ips,
    state: vm.state,
    ...(vm.az ? { az: vm.az } : {}),
    ...(vm.vmCid ? { vmCid: vm.vmCid } : {}),
  };
}

export async function readBosh(runner: CommandRunner, binary: string | undefined, redactor: Redactor): Promise<BoshWorld> {
  const bosh = new BoshCli(runner, { binary, redactor });
  const { version } = await bosh.version();
  const deployments = [];
  for (const name of await bosh.deployments()) {
    deployments.push({ name, vms: (await bosh.vms(name)).map(worldVm) });
  }
  // The director's name and URL are not what a recovery reads: stand-ins keep the folder free of addresses it does not need.
  return { version, director: { name: 'snapshot-director', url: 'https://director.invalid:25555', user: 'admin' }, deployments };
}

/**
 * The cells of Dingo deployments (their `cell` jobs), by IP, with the VM id a cell's syslog names
 * it by; '' when the CLI shows only an index (BOSH v1 tables).
 */
export function dingoCells(world: BoshWorld): Map<string, string> {
  const cells = new Map<string, string>();
  for (const d of world.deployments) {
    if (!d.name.startsWith('dingo-postgresql')) continue;
    for (const vm of d.vms.filter((v) => v.job.startsWith('cell')))
      for (const ip of vm.ips) cells.set(ip, /^\d+$/.test(vm.id) ? '' : vm.id);
  }
  return cells;
}
