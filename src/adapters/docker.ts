/**
 * Docker 1.11 on a Dingo cell, driven through the cell's own client
 * (`/var/vcap/packages/docker/bin/docker --host unix:///var/vcap/sys/run/docker/docker.sock`).
 * 1.11 has no `{{json .}}` for ps, so ps uses a tab-separated template; inspect
 * returns the API v1.23 JSON array.
 */
import type { Writable } from 'node:stream';
import { StepFailed } from '../core/errors.js';
import { oneLine } from '../core/display.js';
import { truncate } from '../core/screen-lines.js';
import { Redactor } from '../core/redact.js';
import { assertSudoWorked } from './shell.js';
import type { CommandResult, CommandRunner, CommandSpec, StdinData } from '../core/seams.js';
import { parseInspect, parseInspectAll, type ContainerInfo } from './docker-inspect.js';

export type { ContainerInfo } from './docker-inspect.js';

export const DOCKER_BINARY = '/var/vcap/packages/docker/bin/docker';
export const DOCKER_HOST = 'unix:///var/vcap/sys/run/docker/docker.sock';

export interface CellDockerOptions {
  binary?: string;
  host?: string;
  /** Run through `sudo -n` (default true: the socket belongs to root and group vcap). */
  sudo?: boolean;
  /** DOCKER_API_VERSION for a client newer than the daemon. */
  apiVersion?: string;
  /** The run's redactor: the containers' secret environment is registered with it. */
  redactor: Redactor;
}

export class CellDocker {
  readonly binary: string;
  readonly host: string;
  readonly sudo: boolean;
  readonly redactor: Redactor;
  private readonly apiVersion?: string;

  constructor(
    readonly runner: CommandRunner,
    opts: CellDockerOptions,
  ) {
    this.binary = opts.binary ?? DOCKER_BINARY;
    this.host = opts.host ?? DOCKER_HOST;
    this.sudo = opts.sudo ?? true;
    this.apiVersion = opts.apiVersion;
    this.redactor = opts.redactor;
  }

  /** The spec of `docker <args>` exactly as it runs (also what a dry run prints). */
  spec(args: string[], writes: boolean, extra: Partial<CommandSpec> = {}): CommandSpec {
    return {
      argv: [this.binary, '--host', this.host, ...args],
      writes,
      sudo: this.sudo,
      ...(this.apiVersion ? { env: { DOCKER_API_VERSION: this.apiVersion } } : {}),
      ...extra,
    };
  }

  async inspect(name: string): Promise<ContainerInfo | null> {
    const spec = this.spec(['inspect', '--type', 'container', name], false);
    const result = await this.runner.run(spec);
    if (result.exitCode !== 0) {
      if (/No such (image or )?(container|object)/i.test(result.stderr)) return null;
      throw this.failure(spec, result, `inspect ${name}`);
    }
    return parseInspect(result.stdout, name, this.runner.where, this.redactor);
  }

  /**
   * The names of every container on the cell, running or not (`docker ps -a`, with the tab-free
   * template Docker 1.8 and later take). A container with links lists its other names after a comma;
   * only its own is kept.
   */
  async containerNames(): Promise<string[]> {
    const spec = this.spec(['ps', '-a', '--no-trunc', '--format', '{{.Names}}'], false);
    const result = await this.runner.run(spec);
    if (result.exitCode !== 0) throw this.failure(spec, result, 'ps -a');
    const names = result.stdout
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => l.split(',')[0]!);
    const odd = names.find((n) => !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(n));
    if (odd !== undefined) {
      throw new StepFailed(`docker ps -a on ${this.runner.where} listed a name no container can have: ${JSON.stringify(odd)}`, {
        hint: "nothing was changed; run the same docker ps on the cell by hand and check the client is the cell's own",
      });
    }
    return names;
  }

  /** `docker inspect` of several containers at once; one removed since it was listed is left out. */
  async inspectAll(names: string[]): Promise<ContainerInfo[]> {
    if (!names.length) return [];
    const spec = this.spec(['inspect', '--type', 'container', ...names], false);
    const result = await this.runner.run(spec);
    const others = result.stderr.split('\n').filter((l) => l.trim() && !/No such (image or )?(container|object)/i.test(l));
    if (result.exitCode !== 0 && (others.length || !result.stdout.trim())) throw this.failure(spec, result, `inspect ${names.join(' ')}`);
    return parseInspectAll(result.stdout, names.join(' '), this.runner.where, this.redactor);
  }

  async stop(name: string, opts: { timeoutSeconds?: number } = {}): Promise<void> {
    const spec = this.spec(['stop', '-t', String(opts.timeoutSeconds ?? 10), name], true, {
      // docker waits the grace period, then kills; leave room for both.
      timeoutMs: ((opts.timeoutSeconds ?? 10) + 60) * 1000,
    });
    const result = await this.runner.run(spec);
    if (result.exitCode !== 0) throw this.failure(spec, result, `stop ${name}`);
  }

  async start(name: string): Promise<void> {
    const spec = this.spec(['start', name], true);
    const result = await this.runner.run(spec);
    if (result.exitCode !== 0) throw this.failure(spec, result, `start ${name}`);
  }

  /**
   * Runs a program in the container; its exit code and output come back as they are.
   * Daemon errors (no such container, not running) throw. `stdin` adds `-i`.
   */
  async exec(
    name: string,
    argv: string[],
    opts: {
      user?: string;
      stdin?: StdinData;
      writes?: boolean;
      timeoutMs?: number;
      stdout?: Writable;
      database?: CommandSpec['database'];
    } = {},
  ): Promise<CommandResult> {
    const flags = [...(opts.stdin !== undefined ? ['-i'] : []), ...(opts.user ? ['-u', opts.user] : [])];
    const spec = this.spec(['exec', ...flags, name, ...argv], opts.writes ?? false, {
      ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.stdout ? { stdout: opts.stdout } : {}),
      ...(opts.database ? { database: opts.database } : {}),
    });
    const result = await this.runner.run(spec);
    if (result.exitCode !== 0 && isDaemonError(result)) {
      const failed = this.failure(spec, result, `exec in ${name}`);
      const refused = EXEC_REFUSED.exec(result.stderr)?.[1];
      throw refused ? new ExecRefused(failed, refused === 'restarting' ? 'restarting' : 'not-running') : failed;
    }
    assertSudoWorked(spec, result, this.runner.where, this.redactor);
    return result;
  }

  /** The container's output (stdout then stderr: docker keeps them apart). */
  async logs(name: string, opts: { since?: string; tail?: number } = {}): Promise<string> {
    const args = [
      'logs',
      ...(opts.since ? ['--since', opts.since] : []),
      ...(opts.tail !== undefined ? ['--tail', String(opts.tail)] : []),
      name,
    ];
    const spec = this.spec(args, false);
    const result = await this.runner.run(spec);
    if (result.exitCode !== 0) throw this.failure(spec, result, `logs ${name}`);
    return result.stdout + result.stderr;
  }

  /**
   * The container's lines from `since` on (RFC 3339, e.g. its State.StartedAt), each with the time
   * Docker gives it: `docker logs -t --since` (Docker 1.11 takes a time, Unix seconds or a duration),
   * stdout and stderr merged in time order. `refused` when the client cannot read this container's
   * log: Docker 1.11's reads only the json-file and journald drivers (api/client/logs.go), and
   * Dingo's tile sends the containers' output to syslog instead.
   */
  async datedLogs(name: string, since: string): Promise<{ lines: DatedLine[] } | { refused: string }> {
    const spec = this.spec(['logs', '-t', '--since', since, name], false);
    const result = await this.runner.run(spec);
    if (result.exitCode !== 0) {
      const said = result.stderr.trim();
      if (/"logs" command is supported only for/.test(said)) return { refused: this.redactor.redact(said) };
      throw this.failure(spec, result, `logs ${name}`);
    }
    const lines: DatedLine[] = [];
    for (const text of [result.stdout, result.stderr]) {
      for (const raw of text.split('\n')) {
        if (raw === '') continue;
        const m = DATED_LINE.exec(raw);
        if (!m) {
          throw new StepFailed(
            `docker logs -t ${name} on ${this.runner.where} printed a line without Docker's time before it: ${oneLine(truncate(this.redactor.redact(raw), 200))}`,
            { hint: "nothing was decided on it: run the same docker logs -t on the cell by hand, and check the client is the cell's own" },
          );
        }
        lines.push({ at: m[1]!, text: m[2]! });
      }
    }
    // Stable: lines of one stream keep their order within a moment.
    return { lines: lines.sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0)) };
  }

  /** What went wrong, in the daemon's words, and what to do about it. */
  failure(spec: CommandSpec, result: CommandResult, what: string): StepFailed {
    assertSudoWorked(spec, result, this.runner.where, this.redactor);
    const stderr = this.redactor.redact(result.stderr.trim() || result.stdout.trim());
    const daemon = /Error response from daemon: (.*)/.exec(stderr)?.[1] ?? /^Error: (.*)/m.exec(stderr)?.[1];
    const detail = daemon ?? (stderr.split('\n').slice(-3).join(' ') || `exit code ${result.exitCode}`);
    return new StepFailed(`docker ${what} on ${this.runner.where} failed: ${detail}`, { hint: hintFor(stderr, result, this.binary) });
  }
}

/**
 * The daemon's refusal of `docker exec` into a container that does not run now (moby daemon/exec.go
 * getActiveContainer: "Container %s is not running", "… is paused, unpause the container before
 * exec", "… is restarting, wait until the container is running": between the restarts of its
 * restart policy a container is Running and Restarting at once).
 */
const EXEC_REFUSED = /Error response from daemon: Container \S+ is (not running|paused|restarting)\b/;

export class ExecRefused extends StepFailed {
  constructor(
    failed: StepFailed,
    readonly state: 'not-running' | 'restarting',
  ) {
    super(failed.message, failed.hint === undefined ? undefined : { hint: failed.hint });
  }
}

/** A line of `docker logs -t`, and the time Docker stamped it with (RFC 3339, nine fraction digits). */
export interface DatedLine {
  at: string;
  text: string;
}

const DATED_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) (.*)$/;

function isDaemonError(result: CommandResult): boolean {
  return /Error response from daemon:|Cannot connect to the Docker daemon|^Error: No such/m.test(result.stderr);
}

function hintFor(stderr: string, result: CommandResult, binary: string): string {
  if (/client is newer than server/i.test(stderr)) {
    return `this docker client speaks a newer API than the cell's Docker 1.11 daemon: use the cell's own client (${DOCKER_BINARY}) or set DOCKER_API_VERSION to the server API version the message names (e.g. 1.23)`;
  }
  if (/Cannot connect to the Docker daemon|permission denied/i.test(stderr)) {
    return 'the docker socket needs root or group vcap: run with sudo, and check the docker job runs on the cell (monit summary)';
  }
  if (/No such (image or )?(container|object)/i.test(stderr))
    return 'list the containers with `docker ps -a` and check the name (cf-<node uuid>)';
  if (/is not running/i.test(stderr)) return 'start the container first, or check why it stopped (docker logs)';
  if (/is restarting, wait until the container is running/i.test(stderr)) {
    return 'it exits and Docker starts it again (its restart policy): read why in docker logs, and stop it (docker stop) before it runs again';
  }
  if (result.exitCode === 127 || /not found|No such file or directory/i.test(stderr)) {
    return `${binary} is missing: is this a Dingo PostgreSQL cell?`;
  }
  if (result.timedOut) return 'docker did not answer in time; check the daemon (monit summary) and retry';
  return 'read the message above; the docker daemon log is /var/vcap/sys/log/docker/docker.stderr.log on the cell';
}
