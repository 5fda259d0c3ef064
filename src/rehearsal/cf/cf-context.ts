import type { InstanceView } from './cf-cc-bodies.js';
import { renderAppNotFound, renderNoTarget } from './cf-formats.js';
import type { CfWho, Rendered } from '../../adapters/cf/index.js';
import type { CfApp, CfHooks, CfOrg, CfServiceInstance, CfSpace, CfWorld } from './cf-world.js';

/** What the CLI says when a command needs a targeted org and none is. */
export const NO_ORG = "No org targeted, use 'cf target -o ORG' to target an org.";

const stamp = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export class CfContext {
  constructor(
    readonly w: CfWorld,
    readonly hooks: CfHooks,
  ) {}

  /** The simulated clock, as the Cloud Controller stamps operations. */
  now(): string {
    return stamp(this.hooks.now?.() ?? new Date());
  }

  /** The CLI version, which chooses the output era. */
  get v(): string {
    return this.w.version;
  }

  org(): CfOrg | null {
    return this.w.orgs.find((o) => o.name === this.w.target.org) ?? null;
  }

  space(): CfSpace | null {
    return this.org()?.spaces.find((s) => s.name === this.w.target.space) ?? null;
  }

  who(): CfWho {
    return { org: this.w.target.org ?? '', space: this.w.target.space ?? '', user: this.w.user };
  }

  instanceByName(name: string): CfServiceInstance | null {
    const space = this.space();
    return space ? (this.w.instances.find((i) => i.spaceGuid === space.guid && i.name === name) ?? null) : null;
  }

  /** The app of that name in the targeted space, or what the CLI prints when there is none. */
  appOr(name: string): CfApp | Rendered {
    const space = this.space();
    if (!space) return renderNoTarget(this.v);
    return space.apps.find((a) => a.name === name) ?? renderAppNotFound(this.v, name);
  }

  /** A status read: the broker's operation advances one poll. */
  read(i: CfServiceInstance): CfServiceInstance {
    if (i.lastOperation.state !== 'in progress') return i;
    if (i.pollsUntilReady > 0) {
      i.pollsUntilReady--;
      return i;
    }
    const failWith = i.failWith;
    i.lastOperation = {
      ...i.lastOperation,
      state: failWith !== undefined ? 'failed' : 'succeeded',
      description: failWith ?? '',
      updatedAt: this.now(),
    };
    delete i.failWith;
    return i;
  }

  view(i: CfServiceInstance): InstanceView {
    const offering = this.w.offerings.find((o) => o.label === i.offering);
    const plan = offering?.plans.find((p) => p.name === i.plan);
    return {
      guid: i.guid,
      name: i.name,
      spaceGuid: i.spaceGuid,
      planGuid: plan?.guid ?? '',
      offeringGuid: offering?.guid ?? '',
      createdAt: i.createdAt,
      lastOperation: i.lastOperation,
    };
  }
}
