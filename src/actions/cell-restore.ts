/**
 * The wait for the restore: until the container's PostgreSQL has left recovery and serves the old
 * archive's database, saying all along what the container does (its own lines, restore-watch.ts),
 * stopping at once when it will never restore, within a deadline the archive's size sets
 * (restore-plan.ts); then whether replay reached the archive's end (restore-proof.ts).
 */
import { defineAction, type ActionDef, optional, output, required } from '../engine/runbook/index.js';
import { describeLogin } from '../adapters/postgres.js';
import { waitUntilPromoted } from '../adapters/postgres-promotion.js';
import { FIRST_POLL_MS, pollDelays } from '../core/poll-delays.js';
import { initializedSince, requireServesArchive } from './support/served.js';
import { controlDataOf, type ControlData } from '../adapters/pg-replication.js';
import { cellDocker, inspectOrFail, oldSuperuser, restored } from './support/cell.js';
import { keysOfNode } from './support/stale-keys.js';
import { describeRestorePoll } from './support/restore-progress.js';
import { restorePlan } from './support/restore-plan.js';
import { RestoreWatch } from './support/restore-watch.js';
import { proveRestoreComplete } from './support/restore-proof.js';

const waitRestored = defineAction({
  name: 'cell.wait-restored',
  summary: 'Wait until PostgreSQL has replayed the archive and left recovery, and tell whether replay reached its end',
  effect: 'read',
  params: {
    ...restored,
    lastSegment: optional('string', 'the old archive\'s last WAL segment: progress reads "WAL segment X of Y"'),
    archiveUrl: required('string', "the deleted instance's archive: the served database must hold its system identifier (sysids/sysid)"),
    restoredArchiveUrl: optional(
      'string',
      "the archive at the container's own prefix, which it restores from: sizes the wait and names the end replay must reach",
    ),
    servedPartials: optional('string[]', "the full segment keys a checked .partial was copied to (the copy step's servedPartials)"),
    etcdHostPort: optional('string', 'ETCD_HOST_PORT of the container: names the leader a waiting container waits for'),
  },
  outputs: {
    promoted: output('boolean', 'pg_is_in_recovery() = f'),
    systemIdentifier: output('string', "the system identifier of the database served, the restored archive's"),
    replayedTo: output('string', "where replay of the archive ended (the new timeline's switchpoint), '' when it could not be told"),
    complete: output('boolean', "replay reached the archive's last segment"),
  },
  async run(ctx, p) {
    const docker = await cellDocker(ctx, p.cellIp);
    const info = await inspectOrFail(ctx, p.cellIp, p.container);
    const keys = keysOfNode(info, p.container);
    const plan = await restorePlan(ctx, p.restoredArchiveUrl, p.lastSegment);
    ctx.note(`the wait's deadline: ${plan.basis}`);
    const knownLogins = await oldSuperuser(ctx, info, p.oldInstanceGuid);
    const watch = new RestoreWatch(ctx, docker, p.container, plan, {
      member: keys.member,
      leaderKey: keys.leaderKey,
      archiveUrl: p.restoredArchiveUrl ?? '',
      leader: async () => (p.etcdHostPort ? (await (await ctx.cell(p.cellIp)).etcd(p.etcdHostPort)).get(keys.leaderKey) : null),
    });
    const pauses = pollDelays(ctx.settings.restorePollMs);
    // The wait's clock: real time, or the pauses taken when they add up to more (a rehearsal's sleep takes no time).
    const clock = (): number => ctx.now().getTime();
    const startedAt = clock();
    let paused = 0;
    const elapsed = (): number => Math.max(clock() - startedAt, paused);
    const { login } = await waitUntilPromoted(docker, p.container, {
      knownLogins,
      inspected: info,
      deadlineMs: plan.deadlineMs,
      // The shortest pause, so no pause is skipped for the deadline's sake; each pause taken is the
      // schedule's next one (1 s, growing to the configured interval), cut short at the deadline.
      intervalMs: Math.min(FIRST_POLL_MS, ctx.settings.restorePollMs),
      now: () => startedAt + elapsed(),
      sleep: async () => {
        const ms = Math.max(0, Math.min(pauses.next().value, plan.deadlineMs - elapsed()));
        await ctx.sleep(ms);
        paused += ms;
      },
      watch: (poll, seen) => watch.observe(poll, seen),
      onPoll: (poll) => {
        ctx.progress(describeRestorePoll(poll, plan.lastSegment ?? undefined, watch.phase, plan.firstSegment ?? undefined));
      },
    });
    ctx.evidence(`${p.container}: State.Running=true, accepts connections, pg_is_in_recovery() = f (asked as ${describeLogin(login)})`);
    // One pg_controldata tells both which database it serves and the timeline it was promoted to.
    // Serving another database after it said it bootstraps a new cluster, or one initdb made since
    // the container started (its lines unread, as Dingo's syslog driver leaves them): that is what happened.
    let control: ControlData;
    let served: string | undefined;
    let sysid: string;
    try {
      control = await controlDataOf(docker, p.container);
      served = control.sysid;
      sysid = await requireServesArchive(ctx, docker, p.container, p.archiveUrl, control);
    } catch (err) {
      throw watch.sawNewCluster || (served !== undefined && initializedSince(served, info.state.startedAt, ctx.now()))
        ? watch.newCluster()
        : err;
    }
    const end = await proveRestoreComplete(
      ctx,
      docker,
      p.container,
      plan,
      { oldArchiveUrl: p.archiveUrl, servedPartials: p.servedPartials ?? [] },
      control.text,
    );
    return { promoted: true, systemIdentifier: sysid, ...end };
  },
});

export const cellRestoreActions: ActionDef[] = [waitRestored];
