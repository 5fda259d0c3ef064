/**
 * Waiting for a restoring patroni container to be promoted: running, accepting connections, out of
 * recovery (postgres-readiness.ts), with how far WAL replay has come while it waits, and the
 * container's last lines when it stops instead. A poll asks pg_isready only until psql has reached
 * the server, and again after psql could not: psql's own answer says it accepts connections.
 */
import { quote } from '../core/command-line.js';
import { StepFailed } from '../core/errors.js';
import { ExecRefused, type CellDocker, type ContainerInfo } from './docker.js';
import { loginChain, type PgLogin } from './postgres.js';
import { askRecovery, pgIsReady } from './postgres-readiness.js';
import { psqlWithChain } from './psql.js';
import { parseReplayRow, recoveryPollQuery, replayProbe, versionNumOf, type ReplayAnswer } from './postgres-replay.js';

type PromotionStage = 'not-running' | 'not-ready' | 'in-recovery' | 'promoted';

export interface PromotionPoll {
  attempt: number;
  elapsedMs: number;
  stage: PromotionStage;
  detail: string;
  /** While in recovery: how far replay has come (postgres-replay.ts). */
  replay?: ReplayAnswer;
}

export interface WaitOptions {
  /** Give up after this long. */
  deadlineMs: number;
  intervalMs: number;
  onPoll?: (poll: PromotionPoll) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Old credentials to try after the container's own superuser (from its env) and before the local socket. */
  knownLogins?: PgLogin[];
  /** What docker inspect said of the container just before the wait: the first poll's, not asked again. */
  inspected?: ContainerInfo;
  /** Polls a stopped container may take to come up before it counts as dead (default 3). */
  startGracePolls?: number;
  /**
   * Looks at the container after each poll (what docker inspect said of it): its own lines, its
   * restarts. A throw stops the wait at once.
   */
  watch?: (poll: PromotionPoll, info: ContainerInfo) => Promise<void>;
}

/** Waits until the container runs, accepts connections and has left recovery. */
export async function waitUntilPromoted(
  docker: CellDocker,
  name: string,
  opts: WaitOptions,
): Promise<{ polls: number; elapsedMs: number; login: PgLogin }> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const started = now();
  let slept = 0;
  // With an injected sleep that does not move the clock, count the sleeping itself.
  const elapsed = (): number => Math.max(now() - started, slept);
  let chain: PgLogin[] | undefined;
  const ask = recoveryQuestion(docker, name);
  let reached = false;
  let notRunning = 0;
  let last: PromotionPoll | undefined;
  for (let attempt = 1; ; attempt++) {
    const info = attempt === 1 && opts.inspected ? opts.inspected : await docker.inspect(name);
    if (!info)
      throw new StepFailed(`container ${name} disappeared from ${docker.runner.where} while waiting for it`, {
        hint: 'list the containers with `docker ps -a`',
      });
    const at = (stage: PromotionStage, detail: string): PromotionPoll => ({ attempt, elapsedMs: elapsed(), stage, detail });
    const poll = async (): Promise<PromotionPoll> => {
      // Between its restarts a container is Running and Restarting at once, and the daemon refuses exec into it.
      if (!info.state.running || info.state.restarting) return at('not-running', `${info.state.status} (exit code ${info.state.exitCode})`);
      const logins = (chain ??= loginChain(info, docker.redactor, opts.knownLogins));
      // pg_isready until psql has reached the server, and again once it has not: one cell command, where psql may be a login's several.
      if (!reached) {
        const ready = await pgIsReady(docker, name);
        if (ready.exitCode !== 0) return at('not-ready', ready.output || ready.meaning);
      }
      const answer = await ask(logins);
      reached = answer.kind !== 'unreachable';
      if (answer.kind === 'unreachable') return at('not-ready', answer.detail.split('\n')[0]!);
      if (answer.kind === 'promoted') return at('promoted', 'pg_is_in_recovery() = f');
      return { ...at('in-recovery', 'pg_is_in_recovery() = t'), replay: answer.replay };
    };
    // The daemon may refuse exec after inspect said it runs: it exited, or Docker restarts it, meanwhile.
    last = await poll().catch((err: unknown) => {
      if (err instanceof ExecRefused) return at('not-running', `${err.state} (docker exec refused)`);
      throw err;
    });
    if (opts.watch) await opts.watch(last, info);
    opts.onPoll?.(last);
    if (last.stage === 'promoted') return { polls: attempt, elapsedMs: elapsed(), login: chain![0]! };
    if (last.stage === 'not-running' && ++notRunning > (opts.startGracePolls ?? 3)) {
      throw await stoppedError(docker, name, last.detail);
    }
    if (last.stage !== 'not-running') notRunning = 0;
    if (elapsed() + opts.intervalMs > opts.deadlineMs) break;
    await sleep(opts.intervalMs);
    slept += opts.intervalMs;
  }
  throw new StepFailed(
    `${name} was not promoted within ${Math.round(opts.deadlineMs / 1000)} s: last seen ${last.stage} (${last.detail})`,
    {
      hint:
        last.stage === 'in-recovery'
          ? 'it is still replaying WAL from the archive; a large archive takes time: resume to keep waiting, and watch `docker logs` for wal-fetch lines'
          : 'read the container log (docker logs) for what patroni is doing, then resume to keep waiting',
    },
  );
}

type RecoveryPoll = { kind: 'unreachable'; detail: string } | { kind: 'promoted' } | { kind: 'in-recovery'; replay: ReplayAnswer };

/**
 * Asks a server that accepts connections whether it is still in recovery and, while it is, how far
 * replay has come: one psql a poll (recoveryPollQuery), the server version asked beside it until
 * known, and replay's position apart only on the poll that learns it. A server that gives that
 * question no answer of its shape (an error of its own, a function it refuses) is asked as before
 * from then on: pg_is_in_recovery() alone, whose failure fails the wait, and the position apart,
 * whose failure is only said.
 */
function recoveryQuestion(docker: CellDocker, name: string): (logins: PgLogin[]) => Promise<RecoveryPoll> {
  let versionNum: number | undefined;
  let together = true;
  let replayOf = replayProbe(docker.redactor);
  return async (logins) => {
    const query = async (sql: string) => (await psqlWithChain(docker, name, logins, { mode: 'query', sql, writes: false })).result;
    if (together) {
      const result = await query(recoveryPollQuery(versionNum));
      const [state, ...beside] = result.stdout.trim().split('|');
      if (result.exitCode === 0 && state === 'f') return { kind: 'promoted' };
      if (result.exitCode === 0 && state === 't') {
        if (versionNum !== undefined) return { kind: 'in-recovery', replay: parseReplayRow(beside.join('|'), versionNum) };
        const version = versionNumOf(beside.join('|'));
        if (typeof version !== 'number') return { kind: 'in-recovery', replay: { kind: 'unknown', detail: version.detail } };
        versionNum = version;
        replayOf = replayProbe(docker.redactor, version);
        return { kind: 'in-recovery', replay: await replayOf(query) };
      }
      if (result.exitCode === 2) return { kind: 'unreachable', detail: docker.redactor.redact(result.stderr.trim()) };
      together = false;
    }
    const answer = await askRecovery(docker, name, logins);
    if (answer.kind === 'unreachable') return answer;
    return answer.inRecovery ? { kind: 'in-recovery', replay: await replayOf(query) } : { kind: 'promoted' };
  };
}

async function stoppedError(docker: CellDocker, name: string, detail: string): Promise<StepFailed> {
  let tail = '';
  try {
    tail = docker.redactor.redact((await docker.logs(name, { tail: 5 })).trim());
  } catch {
    // The log is a courtesy in this message; the stop itself is the news.
  }
  const mismatch = /system ID mismatch/.test(tail);
  return new StepFailed(`container ${name} is not running: ${detail}${tail ? `\nlast log lines:\n${tail}` : ''}`, {
    hint: mismatch
      ? "etcd holds another database's system ID: set /service/<new guid>/initialize to the archive's (its sysids/sysid), delete optime/leader, empty the data folder again, and start the container"
      : `read \`${quote(['docker', 'logs', name])}\` to see why it stopped`,
  });
}
