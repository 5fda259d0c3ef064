/** The step's cf CLI and Cloud Controller API, run through its command seam with the run's cf binary. */
import type { StepContext } from '../../engine/executor/index.js';
import { StepFailed } from '../../core/errors.js';
import { CfCli, CfApi, cfCurlHasFail, type CfVersion } from '../../adapters/cf/index.js';

/** The cf CLI versions read in each run (by its Runtime), by binary: `cf version` is asked once a run, not once a step. */
const versionsOfRun = new WeakMap<object, Map<string, Promise<CfVersion>>>();

export function cfCli(ctx: StepContext): CfCli {
  let versions = versionsOfRun.get(ctx.runtime);
  if (!versions) versionsOfRun.set(ctx.runtime, (versions = new Map<string, Promise<CfVersion>>()));
  return new CfCli(ctx.cf, { binary: ctx.settings.cfBinary, redactor: ctx.runtime.redactor, versions });
}

/** The API through `cf curl`, with `-f` where this cf version has it. */
export async function cfApi(ctx: StepContext): Promise<CfApi> {
  const { version } = await cfCli(ctx).version();
  return new CfApi(ctx.cf, { binary: ctx.settings.cfBinary, curlFail: cfCurlHasFail(version), redactor: ctx.runtime.redactor });
}

/** The GUID of the instance named NAME: in the space given by GUID when the API answers, else in the targeted space. */
export async function guidInSpace(ctx: StepContext, name: string, spaceGuid: string | undefined): Promise<string | null> {
  const cf = cfCli(ctx);
  if (spaceGuid) {
    const guids = await cf.serviceGuidsInSpace(spaceGuid, name);
    if (guids !== null) {
      if (guids.length > 1) {
        throw new StepFailed(`${guids.length} service instances are named ${name} in space ${spaceGuid}: ${guids.join(', ')}`, {
          hint: 'look at them (cf services), then resume',
        });
      }
      return guids[0] ?? null;
    }
  }
  return cf.serviceGuid(name);
}
