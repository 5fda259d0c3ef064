/** The step's cf CLI and Cloud Controller API, run through its command seam with the run's cf binary. */
import type { StepContext } from '../../engine/run/index.js';
import { CfCli, CfApi, cfCurlHasFail } from '../../adapters/cf/index.js';

export function cfCli(ctx: StepContext): CfCli {
  return new CfCli(ctx.cf, { binary: ctx.settings.cfBinary });
}

/** The API through `cf curl`, with `-f` where this cf version has it. */
export async function cfApi(ctx: StepContext): Promise<CfApi> {
  const { version } = await cfCli(ctx).version();
  return new CfApi(ctx.cf, { binary: ctx.settings.cfBinary, curlFail: cfCurlHasFail(version) });
}
