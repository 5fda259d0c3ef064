/**
 * Giving the user back the plan they asked for. The recovery recreates every instance with one
 * node so there is one container to restore; once the restore is verified and the credentials
 * reconciled, the cluster grows to the node count of the user's plan. Dingo brokers ignore plan
 * changes and size clusters by the `node-count` parameter, and a cluster is never shrunk.
 */
import { quote } from '../core/command-line.js';
import { oneLine } from '../core/display.js';
import { containerOn } from './support/params.js';
import { defineAction, type ActionDef, defaulted, output, required } from '../engine/runbook/index.js';
import type { StepContext } from '../engine/executor/index.js';
import { StepFailed, UsageError } from '../core/errors.js';
import { type ServiceStatus, nodeCountParams, nodesForPlan } from '../adapters/cf/index.js';
import { pollDelays } from '../core/poll-delays.js';
import { cfCli } from './support/cf.js';
import { loginChain } from '../adapters/postgres.js';
import { replicasOf, type Replica } from '../adapters/pg-replication.js';
import { requireServesArchive } from './support/served.js';
import { cellDocker } from './support/cell.js';
import { findInstance } from '../logs/find.js';
import { logSources, noteSearchWarnings } from './support/sources.js';
import { reportFindings } from './support/choose-deleted.js';
import { type LoggedSize, sizeFromLogs } from './support/cluster-size.js';

const leader = containerOn('cell of the restored (leading) container', 'the restored container, which leads the cluster');

const sizeForPlan = defineAction({
  name: 'cluster.size-for-plan',
  summary: 'Work out how many nodes the user had, from the logs, else from the plan',
  effect: 'read',
  params: {
    plan: required('string', 'the plan the user chose'),
    soloPlan: required('string', 'the single-node plan the instance was recreated with'),
    nodeCount: defaulted('string', 'plan', 'the node-count the user created the instance with ("plan" to take the plan\'s)'),
    deletedGuid: defaulted('string', '', 'the deleted instance whose nodes the logs show ("" when there is none)'),
  },
  outputs: {
    nodes: output('number', 'nodes the cluster should have'),
    grow: output('boolean', 'true when that is more than the one node it was recreated with'),
  },
  async run(ctx, p) {
    const explicit = typeof p.nodeCount === 'string' ? p.nodeCount.trim() : '';
    const nodes = nodesForPlan(p.plan, p.soloPlan, explicit);
    if (nodes === null) {
      throw new UsageError(`node count "${p.nodeCount}" is not a whole number from 1 to 99`, {
        hint: 'correct inputs.nodeCount in the answers file ("plan" to take the plan\'s), then resume',
      });
    }
    if (explicit && explicit !== 'plan') {
      ctx.evidence(`${nodes} node(s): the user created it with node-count ${nodes}`);
      return { nodes, grow: nodes > 1 };
    }
    const logged = p.deletedGuid ? await loggedSize(ctx, p.deletedGuid, p.plan, p.soloPlan) : null;
    if (logged) {
      if (logged.evidence) reportFindings(ctx, [logged.evidence], 1);
      ctx.evidence(`${logged.nodes} node(s): ${logged.why}`);
      return { nodes: logged.nodes, grow: logged.nodes > 1 };
    }
    const why =
      p.plan === p.soloPlan
        ? `plan ${p.plan} is the single-node plan`
        : `plan ${p.plan}: Dingo brokers size a cluster by node-count alone, and give ${nodes} without it (the March 2016 broker gave 1)${p.deletedGuid ? "; the logs name none of the deleted instance's nodes" : ''}`;
    ctx.evidence(`${nodes} node(s): ${why}`);
    return { nodes, grow: nodes > 1 };
  },
});

/** The deleted instance's size as its logs show it, or null when they name none of its nodes. */
async function loggedSize(ctx: StepContext, guid: string, plan: string, soloPlan: string): Promise<LoggedSize | null> {
  const facts = await findInstance({ sources: logSources(ctx), instanceGuid: guid, redactor: ctx.runtime.redactor });
  noteSearchWarnings(ctx, facts.searched);
  return sizeFromLogs(facts.size, plan, soloPlan);
}

/** Nodes the cluster has now: the leader and the standbys streaming from it. */
async function currentNodes(ctx: StepContext, cellIp: string, container: string): Promise<{ nodes: number; replicas: Replica[] }> {
  const docker = await cellDocker(ctx, cellIp);
  const info = await docker.inspect(container);
  if (!info) {
    throw new StepFailed(`no container ${container} on cell ${cellIp}`, {
      hint: 'the restored container is gone; look at `docker ps -a` on the cell before going on',
    });
  }
  const replicas = await replicasOf(docker, container, loginChain(info, docker.redactor));
  return { nodes: 1 + replicas.filter((r) => r.state === 'streaming').length, replicas };
}

const REFUSED_HINT =
  "nothing was lost: the instance keeps serving on the nodes it has. Read the broker's logs for this instance (cells free for new nodes?), fix the cause, then resume: the update is asked again";

/** The broker's own timeout while the nodes it added still clone, in the words of its patroni/patroni.go. */
const BROKER_GAVE_UP = /Timed out waiting for (cluster .* members to achieve state 'running'|member .* appear in data store)/;

/** Polls the last operation until the update ends; a failed update stops the run, resumably (but for the broker's own timeout). */
async function waitForUpdate(ctx: StepContext, name: string, guid: string): Promise<ServiceStatus> {
  const cli = cfCli(ctx);
  const delays = pollDelays(ctx.settings.createPollMs);
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    const status = await cli.serviceStatus(name, guid);
    ctx.progress(`${status.type} ${status.state}, poll ${attempt}`);
    if (status.type === 'update' && status.state === 'succeeded') return status;
    if (status.type === 'update' && status.state === 'failed' && BROKER_GAVE_UP.test(status.description)) {
      ctx.warn(
        `the broker ended the update "failed": ${oneLine(status.description)}. It adds the nodes first and then waits only 300 s for them to run (dingo-postgresql-broker patroni/patroni.go WaitForAllMembers); a node cloning a large base backup takes longer and goes on. The next step waits for them to stream`,
      );
      return status;
    }
    if (status.type === 'update' && status.state === 'failed') {
      throw new StepFailed(
        `the broker could not grow ${name} (${guid}): "update failed": ${status.description || '(the broker gave no description)'}`,
        { hint: REFUSED_HINT },
      );
    }
    if (status.type !== 'update') {
      throw new StepFailed(`the last operation of ${name} (${guid}) is "${status.type} ${status.state}", not the update just asked for`, {
        hint: 'someone else acted on the instance; check `cf service NAME`, then resume',
      });
    }
    if (waited >= ctx.settings.createDeadlineMs) {
      throw new StepFailed(`the update of ${name} (${guid}) is still in progress after ${Math.round(waited / 1000)} s`, {
        hint: `the broker may still be adding nodes (the Cloud Controller polls it every 60 s); check \`${quote(['cf', 'service', name])}\`, then resume to keep waiting`,
      });
    }
    const pause = Math.min(delays.next().value, ctx.settings.createDeadlineMs - waited);
    await ctx.sleep(pause);
    waited += pause;
  }
}

const growService = defineAction({
  name: 'cf.grow-service',
  summary: "Grow the recovered instance to its plan's node count (cf update-service -c node-count), and wait for it",
  effect: 'write',
  params: {
    name: required('string', 'service instance name'),
    guid: required('string', 'service instance GUID'),
    nodes: required('number', 'nodes the cluster should have'),
    ...leader,
  },
  outputs: {
    nodes: output('number', 'nodes the cluster was asked to have'),
    updated: output('boolean', 'false when it already had that many (never shrunk)'),
  },
  async evidence(ctx, p) {
    const now = await currentNodes(ctx, p.cellIp, p.container);
    return { instance: `${p.name} (${p.guid})`, nodes: `${now.nodes} now, ${p.nodes} asked` };
  },
  stableEvidence: ['instance'],
  async run(ctx, p) {
    const name = p.name;
    const guid = p.guid;
    const wanted = p.nodes;
    const status = await cfCli(ctx).serviceStatus(name, guid);
    if (!(status.type === 'update' && status.state === 'in progress')) {
      const now = await currentNodes(ctx, p.cellIp, p.container);
      if (now.nodes >= wanted) {
        ctx.note(`${name} already has ${now.nodes} node(s) (${wanted} asked): nothing to grow, and a cluster is never shrunk`);
        return { nodes: now.nodes, updated: false };
      }
      await cfCli(ctx).updateService(name, nodeCountParams(wanted));
      ctx.evidence(`cf update-service ${name} -c '${JSON.stringify(nodeCountParams(wanted))}' accepted: ${now.nodes} → ${wanted} node(s)`);
    } else ctx.note(`an update of ${name} is already in progress: waiting for it instead of asking again`);
    const done = await waitForUpdate(ctx, name, guid);
    ctx.evidence(`last operation: ${done.type} ${done.state} (read through ${done.source})`);
    return { nodes: wanted, updated: true };
  },
  async probe(ctx, p) {
    const status = await cfCli(ctx).serviceStatus(p.name, p.guid);
    if (status.type === 'update' && status.state === 'succeeded')
      return { done: true, outputs: { nodes: p.nodes, updated: true }, why: 'the last operation is "update succeeded"' };
    return { done: false, why: `the last operation is "${status.type} ${status.state}": asking (or waiting) again is safe` };
  },
});

const verifyReplicas = defineAction({
  name: 'cell.verify-replicas',
  summary: 'Check on the leader that every new node streams, and that they all hold the restored database',
  effect: 'read',
  params: {
    ...leader,
    nodes: required('number', 'nodes the cluster should have'),
    archiveUrl: required('string', "the deleted instance's archive (the restored one), s3://BUCKET/backups/GUID/wal/"),
  },
  outputs: {
    replicas: output('string[]', 'nodes streaming from the leader'),
    systemIdentifier: output('string', 'the database system identifier the cluster holds'),
  },
  async run(ctx, p) {
    const wanted = p.nodes - 1;
    const docker = await cellDocker(ctx, p.cellIp);
    const sysid = await requireServesArchive(ctx, docker, p.container, p.archiveUrl);
    const streaming = await waitForStreaming(ctx, p.cellIp, p.container, wanted);
    ctx.evidence(
      `pg_stat_replication on the leader: ${streaming.map((r) => `${r.name} (${r.clientAddr || 'local'}) streaming`).join(', ') || 'no replicas asked'}` +
        (streaming.length ? `; a standby streams only from a primary with its own system identifier, so each holds ${sysid}` : ''),
    );
    return { replicas: streaming.map((r) => r.name), systemIdentifier: sysid };
  },
});

/** Polls pg_stat_replication until `wanted` standbys stream, up to the restore deadline (cloning takes a while). */
async function waitForStreaming(ctx: StepContext, cellIp: string, container: string, wanted: number): Promise<Replica[]> {
  const delays = pollDelays(ctx.settings.restorePollMs);
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    const { replicas } = await currentNodes(ctx, cellIp, container);
    const streaming = replicas.filter((r) => r.state === 'streaming');
    ctx.progress(`${streaming.length} of ${wanted} replica(s) streaming, poll ${attempt}`);
    if (streaming.length >= wanted) return streaming;
    if (waited >= ctx.settings.restoreDeadlineMs) {
      const others = replicas.filter((r) => r.state !== 'streaming').map((r) => `${r.name} ${r.state}`);
      throw new StepFailed(
        `only ${streaming.length} of ${wanted} new node(s) stream from ${container} after ${Math.round(waited / 1000)} s${others.length ? ` (${others.join(', ')})` : ''}`,
        {
          hint: "a node that cloned another database cannot stream: read the new containers' logs (system identifier differs?) and the broker's, then resume to check again",
        },
      );
    }
    const pause = Math.min(delays.next().value, ctx.settings.restoreDeadlineMs - waited);
    await ctx.sleep(pause);
    waited += pause;
  }
}

export const growActions: ActionDef[] = [sizeForPlan, growService, verifyReplicas];
