/**
 * `cf update-service NAME -c JSON` in the three output eras (cf-bosh-docker-formats §1.5), and the
 * parameters a Dingo broker sizes a cluster by. Dingo brokers ignore plan changes: a cluster grows
 * only through the `node-count` parameter (dingo-postgresql §1 "Scaling and rebinding").
 */
import { cfEra } from './cf-version.js';
import type { CfWho, Rendered } from './cf-types.js';

/** The broker's node count when none is given (BRK `defaultNodeCount = 2`). */
export const BROKER_DEFAULT_NODES = 2;

/** The `-c` parameters that size a Dingo cluster to `nodes` nodes. */
export function nodeCountParams(nodes: number): { 'node-count': number } {
  return { 'node-count': nodes };
}

/**
 * The node count a plan gives: an explicit count when the operator knows it (the user created the
 * instance with `-c '{"node-count":N}'`), else ("plan" or empty) 1 for the single-node plan and the
 * broker's default for any other. Null when the explicit count is not a whole number from 1 to 99.
 */
export function nodesForPlan(plan: string, soloPlan: string, explicit: string): number | null {
  const given = explicit.trim();
  if (given !== '' && given !== 'plan') return /^[1-9][0-9]?$/.test(given) ? Number(given) : null;
  return plan === soloPlan ? 1 : BROKER_DEFAULT_NODES;
}

const ok = (stdout: string): Rendered => ({ stdout, stderr: '', exitCode: 0 });

/** What `cf update-service` prints once the Cloud Controller accepted the update. */
export function renderUpdateService(version: string, who: CfWho, name: string): Rendered {
  const inProgress = `Update in progress. Use 'cf services' or 'cf service ${name}' to check operation status.\n`;
  if (cfEra(version) === 'v8') {
    return ok(`Updating service instance ${name} in org ${who.org} / space ${who.space} as ${who.user}...\n\n${inProgress}OK\n`);
  }
  return ok(`Updating service instance ${name} as ${who.user}...\nOK\n\n${inProgress}`);
}

/** The preamble `cf update-service` prints before a failure. */
export function updatePreamble(version: string, who: CfWho, name: string): string {
  return cfEra(version) === 'v8'
    ? `Updating service instance ${name} in org ${who.org} / space ${who.space} as ${who.user}...\n`
    : `Updating service instance ${name} as ${who.user}...\n`;
}

/** The Cloud Controller's text for a broker that refused a request (a 502 around the broker's own description). */
export function brokerRefusal(version: string, description: string): string {
  return cfEra(version) === 'v8'
    ? `Service broker error: ${description}`
    : `Server error, status code: 502, error code: 10001, message: Service broker error: ${description}`;
}
