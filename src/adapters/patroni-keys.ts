/**
 * The etcd keys a Dingo node's Patroni keeps, and the name it keeps them under.
 *
 * - The image's run.sh (dingo-postgresql-release images/postgresql95-patroni/scripts/run.sh) writes
 *   `postgresql.name: ${NODE_ID//./_}` into postgres.yml (NODE_ID taken from NODE_NAME when only that
 *   is given, "for backwards compatibility"); releases before it named the node `NODE_NAME`, else
 *   `pg_${PATRONI_SCOPE}_${NODE_GUID}` or `pg_${PATRONI_SCOPE}_${BROKER_GUID}`. Dots become underscores
 *   ("Replication slots do not allow dots in their name").
 * - Patroni v0.90 keeps its keys under `/service/<scope>/` (patroni/dcs.py `AbstractDCS`: namespace
 *   `/service/`): `leader` holds the leader's name, `members/<name>` each member's connection data
 *   (`leader_path`, `member_path`).
 * - Both are written with `ttl` (patroni/etcd.py `touch_member`, `take_leader`, `update_leader`),
 *   which run.sh sets to 30 s, and refreshed every `loop_wait`, 10 s: a node that dies without
 *   `delete_leader` (`client.delete(leader_path, prevValue=name)`) leaves both until 30 s after
 *   its last refresh. `docker stop` is such a death: run.sh, PID 1, does not pass SIGTERM on, and
 *   Docker kills the container after its grace period.
 */
import type { ContainerInfo } from './docker-inspect.js';

/** run.sh's `ttl: &ttl 30` and `loop_wait: &loop_wait 10`. */
export const PATRONI_TTL_SECONDS = 30;
export const PATRONI_LOOP_WAIT_SECONDS = 10;

/** The name a node's Patroni registers under (its `/leader` value), from the container's environment; null when run.sh would find none. */
export function patroniMemberName(env: Readonly<Record<string, string>>): string | null {
  const scope = env.PATRONI_SCOPE ?? '';
  const name =
    env.NODE_ID ||
    env.NODE_NAME ||
    (env.NODE_GUID ? `pg_${scope}_${env.NODE_GUID}` : '') ||
    (env.BROKER_GUID ? `pg_${scope}_${env.BROKER_GUID}` : '');
  return name ? name.replace(/\./g, '_') : null;
}

/** The keys a node leaves in etcd when it dies. */
export interface NodeKeys {
  scope: string;
  member: string;
  leaderKey: string;
  memberKey: string;
}

export function nodeKeys(scope: string, member: string): NodeKeys {
  return { scope, member, leaderKey: `/service/${scope}/leader`, memberKey: `/service/${scope}/members/${member}` };
}

/** A container's own keys, or null when its environment names no scope or member (no Dingo patroni node). */
export function nodeKeysOf(info: Pick<ContainerInfo, 'env'>): NodeKeys | null {
  const scope = info.env.PATRONI_SCOPE;
  const member = patroniMemberName(info.env);
  return scope && member ? nodeKeys(scope, member) : null;
}
