/** The step's cf CLI and Cloud Controller API, run through its command seam with the run's cf binary. */
import type { StepContext } from '../../engine/executor/index.js';
import { StepFailed } from '../../core/errors.js';
import { CfCli, CfApi, cfCurlHasFail, describeOfferings, isDingoOffering, type CfVersion } from '../../adapters/cf/index.js';

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

/**
 * The offering to create the service from, read from `cf marketplace` in the targeted space: the one
 * given when the marketplace lists it with the plan, else (none given) the one Dingo PostgreSQL
 * offering that has the plan. Dingo's offering was renamed over its releases (`dingo-postgresql95`
 * in the recovery runbook, `dingo-postgresql` later), so a default name may be wrong on a platform.
 */
export async function offeringFor(ctx: StepContext, given: string, plan: string): Promise<string> {
  const listed = await cfCli(ctx).marketplace();
  const all = describeOfferings(listed);
  const wanted = given.trim();
  if (wanted) {
    const offering = listed.find((o) => o.label === wanted);
    if (!offering || !offering.plans.includes(plan)) {
      throw new StepFailed(
        `cf marketplace lists ${offering ? `${wanted} without a plan ${plan}` : `no offering ${wanted}`} in the targeted space (it lists ${all}); nothing was created`,
        {
          hint: `name the offering and single-node plan the marketplace lists (resume with --set offering=NAME, or --set soloPlan=PLAN; an empty offering takes the Dingo PostgreSQL one the marketplace lists)`,
        },
      );
    }
    ctx.evidence(`cf marketplace lists ${describeOfferings([offering])}: the offering given`);
    return wanted;
  }
  const dingo = listed.filter((o) => isDingoOffering(o.label) && o.plans.includes(plan));
  if (dingo.length !== 1) {
    throw new StepFailed(
      `cf marketplace lists ${dingo.length ? `${dingo.length} Dingo PostgreSQL offerings with a plan ${plan}` : `no Dingo PostgreSQL offering with a plan ${plan}`} in the targeted space (it lists ${all}); nothing was created`,
      {
        hint: `resume naming the offering to create it from: --set offering=NAME${dingo.length ? ` (one of ${dingo.map((o) => o.label).join(', ')})` : ''}, and the single-node plan with --set soloPlan=PLAN when it is not ${plan}`,
      },
    );
  }
  ctx.evidence(`cf marketplace lists ${describeOfferings(dingo)}: the Dingo PostgreSQL offering (all listed: ${all})`);
  return dingo[0]!.label;
}
