/**
 * The recovery restores into exactly one node: stopped, that node's archive swapped and its data
 * moved aside, it restores only when no other node of its cluster holds the lead. Dingo brokers from
 * v0.9 size a cluster by `node-count` alone, 2 when it is not given (BRK `broker/structs/structs.go`
 * `ClusterFeaturesFromParameters`, `defaultNodeCount = 2`), whatever the plan; the recovery asks for
 * one, and the preflight proves the broker made one before anything is stopped: from Patroni's members in
 * etcd (`/service/<guid>/members/<name>`, each a JSON record whose conn_url names the node's public
 * address, the cell's IP and port), from the broker's and the containers' lines in the logs, and, when
 * etcd lists no member, from the containers on the deployment's cells whose PATRONI_SCOPE is the GUID.
 */
import type { StepContext } from '../../engine/executor/index.js';
import { StepFailed } from '../../core/errors.js';
import { commandLine, quote } from '../../core/command-line.js';
import { oneLine } from '../../core/display.js';
import { isRecord } from '../../core/json.js';
import { findInstance } from '../../logs/find.js';
import { nodeCountParams } from '../../adapters/cf/index.js';
import { logSources, noteSearchWarnings } from './sources.js';
import { describeNodes, dingoCells, scanScope } from './scope-scan.js';

/** A Patroni member as etcd holds it: its name, and the address its conn_url gives. */
interface Member {
  name: string;
  host: string;
  port: string;
  role: string;
}

/** One node the evidence shows, in words, and whether it is the node this run found. */
interface Seen {
  what: string;
  ours: boolean;
}

/** A value shown in a message: URL passwords and known secrets out, escaped, one line, bounded. */
function shown(ctx: StepContext, value: string): string {
  const text = oneLine(ctx.runtime.redactor.redact(value.replace(/(:\/\/[^/\s"@:]*:)[^@\s"/]*@/g, '$1[REDACTED]@')));
  return text.length > 300 ? `${text.slice(0, 300)}… (${value.length} characters)` : text;
}

/** The member a key and value describe; a value that is not Patroni's record stops the step. */
function memberOf(ctx: StepContext, key: string, value: string): Member {
  let record: unknown;
  try {
    record = JSON.parse(value);
  } catch {
    record = undefined;
  }
  const connUrl = isRecord(record) && typeof record.conn_url === 'string' ? record.conn_url : undefined;
  const m = connUrl && /^postgres(?:ql)?:\/\/(?:([^@/]*)@)?(\[[^\]]+\]|[^:/?#]+)(?::(\d+))?/.exec(connUrl);
  if (!m) {
    throw new StepFailed(`etcd's member key ${key} holds no Patroni member record (JSON with a conn_url): ${shown(ctx, value)}`, {
      hint: "nothing was changed; check that ETCD_HOST_PORT of the container names the platform's etcd and that this is a Dingo (Patroni) cluster, then resume",
    });
  }
  // Patroni writes the replication user's password into conn_url.
  const password = m[1]?.includes(':') ? m[1].slice(m[1].indexOf(':') + 1) : undefined;
  ctx.runtime.redactor.register(password && decodeURIComponent(password));
  const role = isRecord(record) && typeof record.role === 'string' ? record.role : 'unknown role';
  return { name: key.slice(key.lastIndexOf('/') + 1), host: m[2]!, port: m[3] ?? '5432', role };
}

/** The instance's Patroni members, read through the cell's route to its etcd. */
async function membersOf(ctx: StepContext, p: { cellIp: string; etcdHostPort: string; instanceGuid: string }): Promise<Member[]> {
  const etcd = await (await ctx.cell(p.cellIp)).etcd(p.etcdHostPort);
  const listed = (await etcd.list(`/service/${p.instanceGuid}/members`)) ?? {};
  return Object.entries(listed).map(([key, value]) => memberOf(ctx, key, value));
}

/** How to go on when the broker made more than one node: nothing has been changed yet. */
function moreThanOneHint(ctx: StepContext, name: string, container: string): string {
  const shrink = `cf update-service ${quote([name])} -c '${JSON.stringify(nodeCountParams(1))}'`;
  const abandon = `${commandLine(['abandon', ctx.runId])} --reason TEXT`;
  return [
    'nothing was changed, and the new instance holds nothing yet.',
    `Either delete it (${quote(['cf', 'delete-service', name, '-f'])}), end this run (${abandon}) and start the recovery again: it asks the broker for one node again.`,
    `Or, when the broker makes two whatever it is asked (then a new instance would too), shrink this one: ${shrink}, wait until ${quote(['cf', 'service', name])} says "update succeeded", and resume. Dingo's broker removes a node picked at random (scheduler/step/remove_random_node.go), which may be ${container}, and Dingo's known issues advise against downsizing a cluster that holds data; this one holds none.`,
    `The resume checks again: if the node left is not ${container}, end this run (${abandon}) and start again, adopting the instance when asked.`,
  ].join(' ');
}

/** The new instance's node as the run found it, and where its cluster keeps its keys. */
export interface FoundNode {
  cellIp: string;
  container: string;
  instanceGuid: string;
  etcdHostPort: string;
  serviceName: string;
  /** The BOSH deployment of the container's cell, whose cells are asked when etcd lists no member. */
  deployment: string;
}

/**
 * Proves the new instance has exactly one node, the one found, and says by what; anything else
 * (more nodes, another node, an answer of the wrong shape) stops the step with nothing changed.
 */
export async function proveOneNode(ctx: StepContext, p: FoundNode): Promise<string> {
  const guid = p.instanceGuid;
  const container = p.container;
  const members = await membersOf(ctx, p);
  const seen: Seen[] = members.map((m) => ({
    what: `Patroni member ${m.name} at ${m.host}:${m.port} (${m.role}, etcd)`,
    ours: m.host === p.cellIp,
  }));
  ctx.evidence(
    members.length
      ? `etcd lists ${members.length} member(s) of /service/${guid}: ${seen.map((s) => s.what).join('; ')}`
      : `etcd lists no member of /service/${guid}`,
  );
  const facts = await findInstance({ sources: logSources(ctx), instanceGuid: guid, redactor: ctx.runtime.redactor });
  noteSearchWarnings(ctx, facts.searched);
  for (const n of facts.nodes) {
    seen.push({ what: `container cf-${n.nodeUuid}${n.cell ? ` on ${n.cell}` : ''} (the logs)`, ours: `cf-${n.nodeUuid}` === container });
  }
  if (facts.nodes.length)
    ctx.evidence(`the logs show ${facts.nodes.map((n) => `cf-${n.nodeUuid} on ${n.cell ?? 'an unnamed cell'}`).join(', ')}`);
  let provenBy = `etcd lists one member, at ${members[0]?.host ?? ''}, the cell of ${container}`;
  if (!members.length) {
    const cells = (await dingoCells(ctx, p.deployment)).map((c) => c.ip);
    const scan = await scanScope(ctx, guid, cells);
    for (const n of scan.nodes)
      seen.push({
        what: `container ${n.container} on ${n.cellIp} (${n.running ? 'running' : 'stopped'}, docker)`,
        ours: n.container === container && n.cellIp === p.cellIp,
      });
    ctx.evidence(
      `on the cells of ${p.deployment} (${scan.read.join(', ') || 'none read'}), docker shows ${scan.nodes.length ? describeNodes(scan.nodes) : 'no container'} with PATRONI_SCOPE=${guid}`,
    );
    if (scan.unread.length) {
      throw new StepFailed(
        `that ${container} is the only node of ${guid} cannot be proven: etcd lists no member, and some cells of ${p.deployment} could not be read: ${scan.unread.join('; ')}`,
        {
          hint: 'nothing was changed; fix access to those cells (--gateway, --ssh-config) or wait until the new node registers in etcd, then resume',
        },
      );
    }
    provenBy = `etcd lists no member yet; the cells of ${p.deployment} hold one container with PATRONI_SCOPE=${guid}, ${container} on ${p.cellIp}`;
  }
  const others = seen.filter((s) => !s.ours);
  if (others.length || members.length > 1 || facts.nodes.length > 1) {
    throw new StepFailed(
      `the new instance ${p.serviceName} (${guid}) has more than one node, or a node other than ${container} on ${p.cellIp}: ${seen.map((s) => `${s.what}${s.ours ? ' [the one found]' : ''}`).join('; ')}`,
      { hint: moreThanOneHint(ctx, p.serviceName, container) },
    );
  }
  if (!seen.some((s) => s.ours)) {
    throw new StepFailed(
      `nothing shows that ${container} on ${p.cellIp} serves ${guid}: etcd lists no member, and neither the logs nor the cells show its container`,
      {
        hint: 'nothing was changed; the node may still be starting: wait a minute and resume',
      },
    );
  }
  return provenBy;
}
