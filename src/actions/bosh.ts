/**
 * BOSH: which deployment and instance own the cell that runs the container.
 */
import { defineAction, type ActionDef, output, required } from '../engine/runbook/index.js';
import { StepFailed } from '../core/errors.js';
import { BoshCli } from '../adapters/bosh.js';

const locateCell = defineAction({
  name: 'bosh.locate-cell',
  summary: 'Find the BOSH deployment and instance that own a cell IP',
  effect: 'read',
  params: { cellIp: required('string', 'cell IP from the logs') },
  outputs: { deployment: output('string', 'BOSH deployment'), instance: output('string', 'job/index or job/id') },
  async run(ctx, p) {
    const bosh = new BoshCli(ctx.bosh, { binary: ctx.settings.boshBinary, redactor: ctx.runtime.redactor });
    const v = await bosh.version();
    ctx.evidence(`bosh CLI ${v.version} (v${v.major})`);
    const found = await bosh.findInstanceByIp(p.cellIp);
    if (!found) {
      throw new StepFailed(`no VM with IP ${p.cellIp} in any BOSH deployment`, {
        hint: 'the IP in the logs may be a NAT address or the VM was recreated; check `bosh vms` and the container\'s "public address" lines',
      });
    }
    ctx.evidence(`${p.cellIp} is ${found.instance} in deployment ${found.deployment}`);
    return { deployment: found.deployment, instance: found.instance };
  },
});

export const boshActions: ActionDef[] = [locateCell];
