/**
 * How many nodes a recovered instance comes back with. Dingo brokers size a cluster by its
 * `node-count` parameter, never by the plan's name, and their default changed: the March 2016 broker
 * made one node without it (`broker/provision.go`: "1-node default cluster"), later ones two (the 2016
 * rewrite, then v0.9's `broker/structs/structs.go` `defaultNodeCount = 2`). So what the logs show the
 * deleted instance ran comes first; the plan's default only when they show nothing.
 */
import type { ClusterSize, Evidence } from '../../logs/types.js';
import { planNodes } from '../../adapters/cf/index.js';

export interface LoggedSize {
  nodes: number;
  /** Why, in a phrase that follows "N node(s): ". */
  why: string;
  /** The broker's line that recorded the size, when one did. */
  evidence: Evidence | null;
}

/**
 * The size the logs give the deleted instance, or null when they name none of its nodes:
 * - the size the broker last recorded (never fewer than the nodes named);
 * - else the nodes its deletion removed, when the broker's removals named every node seen;
 * - else the nodes seen, but never fewer than the plan gives (lines may be missing).
 */
export function sizeFromLogs(size: ClusterSize, plan: string | undefined, soloPlan: string): LoggedSize | null {
  const { seen, recorded } = size;
  if (recorded) {
    const more = seen > recorded.nodes ? `, and the logs name ${String(seen)} of its nodes` : '';
    return {
      nodes: Math.max(recorded.nodes, seen),
      why: `the broker recorded ${String(recorded.nodes)} for the deleted instance${more}`,
      evidence: recorded.evidence,
    };
  }
  if (seen === 0) return null;
  if (size.removedAtDeletion === seen) {
    return {
      nodes: seen,
      why: `the broker's lines removing the deleted instance name ${String(seen)} node(s), all it ran`,
      evidence: null,
    };
  }
  const byPlan = plan ? planNodes(plan, soloPlan) : 0;
  if (byPlan > seen) {
    return {
      nodes: byPlan,
      why: `the logs name ${String(seen)} node(s) of the deleted instance, and plan ${plan ?? ''} gives ${String(byPlan)}: lines may be missing`,
      evidence: null,
    };
  }
  return { nodes: seen, why: `the logs name ${String(seen)} node(s) of the deleted instance`, evidence: null };
}
