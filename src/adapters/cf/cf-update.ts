/**
 * The parameters a Dingo broker sizes a cluster by, given to `cf update-service NAME -c JSON` (its
 * output in each era is written by rehearsal/cf-service-formats.ts). Dingo brokers ignore plan
 * changes: a cluster grows only through the `node-count` parameter (dingo-postgresql §1 "Scaling
 * and rebinding").
 */

/**
 * The broker's node count when none is given (BRK `defaultNodeCount = 2`): the brokers from the 2016
 * rewrite on; the March 2016 broker made one.
 */
const BROKER_DEFAULT_NODES = 2;

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
  return planNodes(plan, soloPlan);
}

/** The nodes a plan gives without an explicit count: 1 for the single-node plan, else the broker's default. */
export function planNodes(plan: string, soloPlan: string): number {
  return plan === soloPlan ? 1 : BROKER_DEFAULT_NODES;
}
