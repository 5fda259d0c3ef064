/**
 * What a restoring container says of itself while the wait polls PostgreSQL: its own lines since it
 * started (`docker logs -t --since`, read on from the last line's time at each poll), judged by
 * adapters/container-lines.ts `restoreSignalOf`. They give the phase (fetching the base backup,
 * fetching WAL, promoted), and they stop the wait at once when the container will never restore:
 * it waits for a leader, its system identifier is not etcd's, it bootstraps a new empty cluster, or
 * it exits and Docker starts it again (a crash loop, seen in docker inspect's RestartCount). Lines a
 * container cannot give (Dingo's tile sends them to syslog, which Docker 1.11's `docker logs` does
 * not read) leave the phase to PostgreSQL's answers, said once on the screen.
 */
import type { StepContext } from '../../engine/executor/index.js';
import type { CellDocker, ContainerInfo, DatedLine } from '../../adapters/docker.js';
import type { PromotionPoll } from '../../adapters/postgres-promotion.js';
import { restoreSignalOf, type RestoreSignal } from '../../adapters/container-lines.js';
import { StepFailed } from '../../core/errors.js';
import { oneLine } from '../../core/display.js';
import { truncate } from '../../core/screen-lines.js';
import { quote } from '../../core/command-line.js';
import { countOf } from './restore-progress.js';
import type { RestorePlan } from './restore-plan.js';

/** Nothing new from the container nor from PostgreSQL for this long, with its lines readable: it is stuck. */
const STALL_MS = 15 * 60_000;
/** Patroni's messages that stop the wait: believed only while PostgreSQL serves no client (readLines). */
const STOPS_FROM_PATRONI = new Set<RestoreSignal['kind']>(['bootstrap-from-leader', 'waiting-for-leader', 'sysid-mismatch', 'new-cluster']);
/** The container's last lines shown with a stop. */
const LAST_LINES = 8;

/** What the wait knows beside the container: the instance's `/leader`, read when a line speaks of a leader. */
export interface WatchContext {
  leader(): Promise<string | null>;
  /** The member name this container's Patroni registers under. */
  member: string;
  leaderKey: string;
  /** The prefix it restores from, named when a new cluster would archive into it. */
  archiveUrl: string;
}

export class RestoreWatch {
  /** The time of the last line read, and the lines read at that very time (`--since` gives them again). */
  private lastAt: string | null = null;
  private atLastTime = new Set<string>();
  private readable = true;
  private lines: string[] = [];
  private restarts: number | null = null;
  private lastChange = 0;
  private lastPoll = '';
  /** The last poll found PostgreSQL replaying, and its lines were read then. */
  private replaying = false;
  /** What the lines last said, in words, for the progress line. */
  phase: string | undefined;
  /** The segment wal-fetch last brought, and the last one the archive did not hold. */
  private fetched: string | undefined;
  private missed: string | undefined;

  constructor(
    private readonly ctx: StepContext,
    private readonly docker: CellDocker,
    private readonly container: string,
    private readonly plan: RestorePlan,
    private readonly around: WatchContext,
  ) {}

  async observe(poll: PromotionPoll, info: ContainerInfo): Promise<void> {
    this.restarts ??= info.restartCount;
    // Its lines first: they say why it would exit. Once it replays (a poll found it in recovery,
    // its lines read then), PostgreSQL's answers tell the progress and Patroni's words stop nothing:
    // its lines wait for the poll that finds it out of recovery, or for a stop, one cell command a poll less.
    const later = poll.stage === 'in-recovery' && this.replaying;
    this.replaying = poll.stage === 'in-recovery';
    const read = later ? false : await this.readLines(info, poll.stage === 'in-recovery' || poll.stage === 'promoted');
    if (info.restartCount > this.restarts || info.state.restarting) {
      // A stop shows its last lines, and those may name a cause of their own.
      if (later) await this.readLines(info, true);
      throw this.crashLoop(info);
    }
    // Without its lines, etcd still tells a node that only waits to join another one.
    if (!this.readable && poll.stage !== 'promoted') {
      const leader = await this.around.leader().catch(() => null);
      if (leader !== null && leader !== this.around.member) throw await this.noRestore({ kind: 'bootstrap-from-leader', leader });
    }
    const moved = read || this.pollMoved(poll);
    const stuck = !moved && this.readable && poll.stage !== 'promoted' && poll.elapsedMs - this.lastChange >= STALL_MS;
    // The lines not read while it replayed are read before it is called stuck: a new one is a change.
    if (moved || (stuck && later && (await this.readLines(info, true)))) this.lastChange = poll.elapsedMs;
    else if (stuck) throw this.stalled(poll);
  }

  /**
   * New lines since the last read, each judged; true when there were any. `serving`: PostgreSQL
   * accepts connections, so a client may make it log any text under Patroni's prefix (a raised
   * error's message may hold newlines, and the image prefixes every line): Patroni's lines then only
   * tell the phase, never stop the wait (a node that exits is seen restarting; one that waits never serves).
   */
  private async readLines(info: ContainerInfo, serving: boolean): Promise<boolean> {
    if (!this.readable) return false;
    const answer = await this.docker.datedLogs(this.container, this.lastAt ?? info.state.startedAt);
    if ('refused' in answer) {
      this.readable = false;
      this.ctx.note(
        `${this.container}'s own lines cannot be read here (${oneLine(answer.refused)}; Dingo's tile sends them to syslog): what it does is told by PostgreSQL alone, its lines are in the platform's syslog under docker/${this.container}`,
      );
      return false;
    }
    // A daemon that keeps `--since` to the second gives earlier lines of that second again: only later ones are new.
    const last = this.lastAt;
    const fresh = answer.lines.filter((l) => last === null || l.at > last || (l.at === last && !this.atLastTime.has(l.text)));
    for (const line of fresh) await this.take(line, serving);
    return fresh.length > 0;
  }

  private async take(line: DatedLine, serving: boolean): Promise<void> {
    if (line.at !== this.lastAt) this.atLastTime = new Set();
    this.lastAt = line.at;
    this.atLastTime.add(line.text);
    this.lines = [...this.lines, line.text].slice(-LAST_LINES);
    const signal = restoreSignalOf(line.text);
    if (signal?.kind === 'new-cluster') this.sawNewCluster = true;
    if (signal && !(serving && STOPS_FROM_PATRONI.has(signal.kind))) await this.act(signal);
  }

  private async act(signal: RestoreSignal): Promise<void> {
    switch (signal.kind) {
      case 'leader-exists':
      case 'bootstrap-from-leader':
      case 'waiting-for-leader':
        throw await this.noRestore(signal);
      case 'sysid-mismatch':
        throw this.stop(
          `${this.container}'s Patroni refuses the restored database: ${signal.text}`,
          `etcd's /initialize holds another database's system identifier. Stop the container (${this.cmd('stop')}), set /service/<new guid>/initialize to the archive's (its sysids/sysid) and delete /optime/leader, move its /data aside again, start it, then resume`,
        );
      case 'new-cluster':
        throw this.newCluster();
      case 'restore-prepared':
        this.phase = 'preparing the restore from wal-e backups';
        return;
      case 'bootstrap-without-leader':
        this.phase = `fetching the base backup${this.plan.backup ? ` ${this.plan.backup}` : ''}`;
        return;
      case 'partition':
        this.phase = `fetching the base backup: partition ${signal.part + 1}${this.plan.partitions ? ` of ${this.plan.partitions}` : ''}`;
        return;
      case 'wal-fetch':
        // A segment its prefetch missed is asked again in-band, which misses too and says "complete wal
        // restore" all the same (operator/backup.py wal_restore): nothing came.
        if (signal.segment === this.missed) return;
        if (signal.state === 'complete') this.fetched = signal.segment;
        this.phase = `fetching WAL segment ${signal.segment}${this.plan.lastSegment ? countOf(signal.segment, this.plan.lastSegment, this.plan.firstSegment ?? undefined, this.plan.pgMajor) : ''}`;
        return;
      case 'not-in-archive':
        this.missed = signal.segment;
        this.phase = `wal-fetch found no further segment${this.fetched ? ` after ${this.fetched}` : ''}: the end of the archive`;
        return;
      case 'promoted':
        this.phase = 'promoted (Patroni took the leader key)';
        return;
    }
  }

  /** It said it bootstraps a new cluster (also while PostgreSQL served: then its serving another database confirms it). */
  sawNewCluster = false;

  newCluster(): StepFailed {
    return this.stop(
      `${this.container}'s Patroni found no leader and no /initialize and bootstraps a NEW EMPTY cluster: it archives that empty database's sysid and base backup into ${this.around.archiveUrl}, where the old archive was copied`,
      `stop the container now (${this.cmd('stop')}); the old archive itself is untouched: swap it in again (dingo-recover archive swap), move /data aside, set /initialize to the archive's system identifier (its sysids/sysid), start the container, then resume`,
    );
  }

  /** The container only waits to join a leader (or for one to bootstrap): it will not restore. */
  private async noRestore(signal: RestoreSignal): Promise<StepFailed> {
    const leader = await this.around.leader();
    const own = leader === this.around.member;
    const what =
      signal.kind === 'waiting-for-leader'
        ? `${this.container}'s Patroni waits for a leader to bootstrap: it cannot restore without one`
        : `${this.container} found ${this.around.leaderKey} standing (${leader === null ? 'gone since' : `= ${oneLine(leader)}`}) and only waits to join that leader: it will not restore`;
    const hint =
      signal.kind === 'waiting-for-leader'
        ? 'check the container reaches S3 (WAL_S3_BUCKET, its wal-e envdir under /data/wal-e/env), then stop it, move /data aside again, start it and resume'
        : own || leader === null
          ? `the key is this container's own, left by the kill: once it runs out (30 s) Patroni bootstraps a NEW EMPTY cluster into the archive's prefix. Stop the container now (${this.cmd('stop')}), delete the key (etcd DELETE ${this.around.leaderKey}?prevValue=${this.around.member}), move /data aside again, start it, then resume`
          : `another node leads the instance: it must have exactly one node. Stop this container (${this.cmd('stop')}) and find the other (docker ps on the Dingo cells); nothing was changed by this wait`;
    return this.stop(what, hint);
  }

  private crashLoop(info: ContainerInfo): StepFailed {
    return this.stop(
      `${this.container} exits and Docker starts it again (restart policy always; RestartCount ${info.restartCount}${info.state.restarting ? ', restarting now' : ''})`,
      `read why in its lines (${this.cmd('logs')}); stop it (${this.cmd('stop')}) before it runs again, fix the cause, then resume`,
    );
  }

  private stalled(poll: PromotionPoll): StepFailed {
    return this.stop(
      `${this.container} wrote nothing and PostgreSQL moved no further for ${Math.round(STALL_MS / 60_000)} min: last seen ${poll.stage} (${poll.detail})${this.phase ? `, ${this.phase}` : ''}`,
      `read its lines (${this.cmd('logs')}) and its processes (docker top); resume to keep waiting`,
    );
  }

  private pollMoved(poll: PromotionPoll): boolean {
    const now = `${poll.stage} ${poll.replay?.kind === 'position' ? poll.replay.position.lsn : poll.detail}`;
    const moved = now !== this.lastPoll;
    this.lastPoll = now;
    return moved;
  }

  private stop(what: string, hint: string): StepFailed {
    const tail = this.lines.map((l) => `  ${oneLine(truncate(this.docker.redactor.redact(l), 300))}`).join('\n');
    return new StepFailed(`${what}${tail ? `\nits last lines:\n${tail}` : ''}`, { hint });
  }

  private cmd(verb: 'stop' | 'logs'): string {
    return quote(['docker', verb, this.container]);
  }
}
