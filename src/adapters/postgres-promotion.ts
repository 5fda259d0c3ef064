/**
 * Waiting for a restoring patroni container to be promoted: running, accepting connections, out of
 * recovery (postgres-readiness.ts), with how far WAL replay has come while it waits, and the
 * container's last lines when it stops instead.
 */
import { quote } from '../core/command-line.js';
import { StepFailed } from '../core/errors.js';
import type { CellDocker, ContainerInfo } from './docker.js';
import { loginChain, type PgLogin } from './postgres.js';
import { askRecovery, pgIsReady } from './postgres-readiness.js';
import { psqlWithChain } from './psql.js';
import { replayProbe, type ReplayAnswer } from './postgres-replay.js';

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
  const replayOf = replayProbe(docker.redactor);
  let notRunning = 0;
  let last: PromotionPoll | undefined;
  for (let attempt = 1; ; attempt++) {
    const info = await docker.inspect(name);
    if (!info)
      throw new StepFailed(`container ${name} disappeared from ${docker.runner.where} while waiting for it`, {
        hint: 'list the containers with `docker ps -a`',
      });
    const poll = async (): Promise<PromotionPoll> => {
      const at = (stage: PromotionStage, detail: string): PromotionPoll => ({ attempt, elapsedMs: elapsed(), stage, detail });
      if (!info.state.running) return at('not-running', `${info.state.status} (exit code ${info.state.exitCode})`);
      const logins = (chain ??= loginChain(info, docker.redactor, opts.knownLogins));
      const ready = await pgIsReady(docker, name);
      if (ready.exitCode !== 0) return at('not-ready', ready.output || ready.meaning);
      const answer = await askRecovery(docker, name, logins);
      if (answer.kind === 'unreachable') return at('not-ready', answer.detail);
      if (!answer.inRecovery) return at('promoted', 'pg_is_in_recovery() = f');
      const query = async (sql: string) => (await psqlWithChain(docker, name, logins, { mode: 'query', sql, writes: false })).result;
      return { ...at('in-recovery', 'pg_is_in_recovery() = t'), replay: await replayOf(query) };
    };
    last = await poll();
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
      ? "etcd still holds another database's system ID: delete /service/<new guid>/initialize (and optime/leader), empty the data folder again, and start the container"
      : `read \`${quote(['docker', 'logs', name])}\` to see why it stopped`,
  });
}
