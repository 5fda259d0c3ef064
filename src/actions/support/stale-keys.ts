/**
 * The etcd keys a stopped node leaves behind. `docker stop` kills a Dingo container (its run.sh does
 * not pass SIGTERM on), so its Patroni never runs `delete_leader`: its `/leader` and member key stay
 * until their TTL runs out (adapters/patroni-keys.ts). A container started while `/leader` stands
 * never restores (restore_leader_if_missing.sh acts only without one), and once the key runs out,
 * Patroni with `/initialize` deleted bootstraps a new empty cluster. So after the stop, and again
 * before the start, the stopped node's own keys are deleted: `/leader` only while it names the node
 * (etcd's compare-and-delete, as Patroni's own `delete_leader` does), never a key of another node.
 */
import type { StepContext } from '../../engine/executor/index.js';
import type { ContainerInfo } from '../../adapters/docker.js';
import { nodeKeysOf, PATRONI_TTL_SECONDS, type NodeKeys } from '../../adapters/patroni-keys.js';
import type { EtcdKeys, EtcdNode } from '../../core/seams.js';
import { StepFailed } from '../../core/errors.js';
import { oneLine } from '../../core/display.js';

/** The node's keys, or a refusal naming what the container's environment lacks (nothing is changed). */
export function keysOfNode(info: ContainerInfo, container: string): NodeKeys {
  const keys = nodeKeysOf(info);
  if (keys) return keys;
  throw new StepFailed(`container ${container} names no Patroni member (no PATRONI_SCOPE, or none of NODE_ID, NODE_NAME, NODE_GUID)`, {
    hint: "this is not a Dingo patroni node as its image's run.sh names one; nothing was changed. Check the container (docker inspect)",
  });
}

/** How long a key has left, in words. */
function left(node: EtcdNode): string {
  return node.ttl === undefined ? 'kept alive (no TTL): a live node refreshes it' : `its TTL would keep it ${node.ttl} s more`;
}

/** The refusal when `/leader` names another node: it leads the instance, and a restored container would only join it. */
function anotherLeader(keys: NodeKeys, leader: string, container: string): StepFailed {
  return new StepFailed(
    `etcd's ${keys.leaderKey} names ${oneLine(leader)}, not ${keys.member} (${container}): another node leads instance ${keys.scope}, and ${container} would only join it, never restore`,
    {
      hint: `nothing was deleted: the instance must have exactly this one node. Find the other node's container (docker ps on the Dingo cells, PATRONI_SCOPE=${keys.scope}); recreate the instance with -c '{"node-count":1}' or stop that node first, then resume`,
    },
  );
}

/** Refuses when `/leader` names a node other than this one (checked before anything is stopped or started). */
export async function requireNoOtherLeader(etcd: EtcdKeys, keys: NodeKeys, container: string): Promise<void> {
  const leader = await etcd.read(keys.leaderKey);
  if (leader && leader.value !== keys.member) throw anotherLeader(keys, leader.value, container);
}

/**
 * Deletes the stopped node's `/leader` (only while it names the node) and member key, saying on the
 * journal (and --verbose's screen) what each was and what became of it; the returned summary is the
 * step's output, shown on its status line. `when` says where the step stands ("after the stop").
 */
export async function clearStoppedNodeKeys(
  ctx: StepContext,
  etcd: EtcdKeys,
  keys: NodeKeys,
  container: string,
  when: string,
): Promise<string> {
  const done: string[] = [];
  for (let attempt = 0; ; attempt++) {
    const leader = await etcd.read(keys.leaderKey);
    if (!leader) {
      ctx.note(`${when}: etcd has no ${keys.leaderKey} (Patroni released it, or its TTL ran out)`);
      done.push('no /leader left');
      break;
    }
    if (leader.value !== keys.member) throw anotherLeader(keys, leader.value, container);
    const r = await etcd.delete(keys.leaderKey, { prevValue: keys.member });
    if (r === 'deleted') {
      ctx.note(
        `${when}: deleted ${keys.leaderKey} = ${keys.member}, ${container}'s own, left by the kill (${left(leader)}; Patroni's ttl is ${PATRONI_TTL_SECONDS} s)`,
      );
      done.push(`deleted its /leader${leader.ttl === undefined ? '' : ` (${leader.ttl} s left)`}`);
      break;
    }
    if (r === 'absent') {
      ctx.note(`${when}: ${keys.leaderKey} ran out before it could be deleted`);
      done.push('its /leader ran out');
      break;
    }
    // The key changed between the read and the delete: read it again, once.
    if (attempt > 0) throw anotherLeader(keys, (await etcd.get(keys.leaderKey)) ?? '(gone)', container);
  }
  const member = await etcd.read(keys.memberKey);
  if (!member) {
    ctx.note(`${when}: etcd has no ${keys.memberKey} (its TTL ran out, or it was deleted)`);
    return [...done, 'no member key left'].join(', ');
  }
  const r = await etcd.delete(keys.memberKey);
  ctx.note(
    r === 'deleted'
      ? `${when}: deleted ${keys.memberKey}, ${container}'s member key (${left(member)})`
      : `${when}: ${keys.memberKey} ran out before it could be deleted`,
  );
  return [
    ...done,
    r === 'deleted' ? `deleted its member key${member.ttl === undefined ? '' : ` (${member.ttl} s left)`}` : 'its member key ran out',
  ].join(', ');
}

/** Whether the node's keys are gone: its member key absent, and `/leader` absent or another's (which the run refuses). */
export async function nodeKeysCleared(etcd: EtcdKeys, keys: NodeKeys): Promise<{ cleared: boolean; why: string }> {
  const leader = await etcd.get(keys.leaderKey);
  const member = await etcd.get(keys.memberKey);
  if (leader === keys.member) return { cleared: false, why: `${keys.leaderKey} still names ${keys.member}` };
  if (member !== null) return { cleared: false, why: `${keys.memberKey} is still there` };
  return { cleared: true, why: `neither ${keys.leaderKey} nor ${keys.memberKey} names ${keys.member}` };
}
