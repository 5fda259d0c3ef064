/**
 * One `bosh ssh` for all of a cell session's commands (v2): bosh-cli's interactive `bosh ssh`, given
 * OpenSSH's connection sharing through `--opts` (ssh/ssh_args.go appends them to ssh's options) — `-N`
 * (no shell), `ControlMaster=yes` and a `ControlPath` of ours — holds the connection its temporary user
 * logged in with, and each command runs as an OpenSSH client of that socket (`ssh -S`). A real director
 * takes seconds, under load tens of seconds, for each session's setup task and its agent's user: a
 * recovery's eighty-odd cell commands cost one such setup, not eighty.
 *
 * bosh-cli forces a terminal on its own ssh only (ssh/provider.go): a command over the socket has none.
 * Its input goes on standard input, its output and error come apart, and its exit code comes after a
 * random marker on its error's last line, so ssh's own 255 (a lost connection) is no command's.
 *
 * The master ends with `ssh -O exit` when the session closes, and bosh is asked to end (SIGTERM) when the
 * tool is gone first, however it went, SIGKILL too (LIFELINE); bosh-cli then asks the director to remove the
 * user (cmd/ssh.go's deferred `CleanUpSSH`). Only bosh itself killed outright leaves the user. A command
 * whose socket takes no session (the master's ssh gone, bosh not yet) is never sent: the client's own
 * connection goes only through a proxy that says so and fails.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandResult, CommandRunner, CommandSpec } from '../../core/seams.js';
import type { RemoteCommand } from '../../adapters/shell.js';
import { result } from './bosh-ssh-remote.js';
import { limitedCommand } from '../../adapters/shell.js';

/** What `ssh -S` is given for a host: the socket decides where it goes, never this name. */
const HOST = 'bosh-ssh-session';
/** The longest socket path a Unix socket takes (sun_path, 108 on Linux), less OpenSSH's temporary suffix while it binds. */
const LONGEST_SOCKET = 108 - 1 - 17;
/**
 * What ssh says when the socket takes no session (its master gone): it then connects itself, through this
 * proxy alone, which says so and fails. The command was never sent.
 */
const NO_MASTER = 'dingo-recover: the shared bosh ssh session is gone';
/** How often the master is asked whether it is up while bosh sets it up. */
const CHECK_EVERY_MS = 200;
/** How long bosh may take to end once its master did (bosh-cli posts the cleanup without waiting for it). */
const CLOSE_MS = 60_000;
/**
 * bosh runs under a shell that holds a pipe from the tool (its lifeline) and asks bosh to end (SIGTERM, which
 * bosh-cli's combo_runner.go setUpInterrupt turns into the user's removal) once the pipe's far end is closed: by
 * the tool when the session ends, or by the kernel when the tool dies, however (SIGKILL too). bosh's ssh runs
 * with -N, so it reads no input and would never notice the tool was gone: it would hold its connection and its
 * user on the cell for good. The watcher is stopped once bosh has ended, so it never signals another process.
 */
const LIFELINE = [
  'exec 3<&0 </dev/null',
  '"$@" 3<&- &',
  'm=$!',
  '{ while read -r _; do :; done; kill -TERM "$m"; } <&3 >/dev/null 2>&1 &',
  'w=$!',
  'exec 3<&-',
  'wait "$m"; s=$?',
  'kill "$w" 2>/dev/null',
  'exit "$s"',
].join('\n');

export interface MuxStart {
  runner: CommandRunner;
  /** bosh's command line (without the binary) that runs the master, given the socket's path. */
  masterArgs: (socket: string) => string[];
  binary: string;
  /** How long bosh may take to set the session up (the director's task). */
  setupMs: number;
}

/** The master did not come up: bosh's answer, whole; `late` when bosh still ran at the setup's end and was stopped. */
export interface MuxFailed {
  bosh: CommandResult;
  late?: true;
}

export class BoshSshMux {
  private ended = false;
  /** The socket took no session although bosh still ran (its ssh gone first). */
  private broken = false;

  private constructor(
    private readonly runner: CommandRunner,
    private readonly dir: string,
    private readonly socket: string,
    private readonly master: Promise<CommandResult>,
    private readonly stop: AbortController,
  ) {
    void master.then(() => (this.ended = true));
  }

  /** Starts bosh's master and waits until it shares its connection; bosh's answer when it ended first, why not when the socket cannot be made here. */
  static async start(o: MuxStart): Promise<BoshSshMux | MuxFailed | { cannot: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'dingo-bosh-'));
    const socket = join(dir, 'm');
    if (socket.length > LONGEST_SOCKET) {
      await rm(dir, { recursive: true, force: true });
      return {
        cannot: `its socket's path in the temporary folder (${tmpdir()}) would be longer than the ${String(LONGEST_SOCKET)} characters a Unix socket takes; a shorter TMPDIR lets it`,
      };
    }
    const lifeline = new PassThrough();
    const stop = new AbortController();
    stop.signal.addEventListener('abort', () => lifeline.end(), { once: true });
    // An operator's BOSH_NON_INTERACTIVE (go-flags reads it for -n) would make bosh-cli refuse an ssh without a
    // command (cmd/ssh.go: "Non-interactive SSH requires non-empty command"); this one asks for no input.
    const env = { BOSH_NON_INTERACTIVE: 'false' };
    const master = o.runner.run({
      argv: ['sh', '-c', LIFELINE, 'sh', o.binary, ...o.masterArgs(socket)],
      env,
      stdin: lifeline,
      writes: false,
      abort: stop.signal,
    });
    void master.then(() => lifeline.end());
    const until = Date.now() + o.setupMs;
    const mux = new BoshSshMux(o.runner, dir, socket, master, stop);
    while (mux.up && Date.now() < until) {
      if (await mux.control('check')) return mux;
      await sleep(CHECK_EVERY_MS);
    }
    // Still running, it was stopped: what it exits with then is the stop's, not an answer of bosh's.
    const late = mux.up;
    stop.abort();
    const bosh = await master;
    await rm(dir, { recursive: true, force: true });
    return late ? { bosh, late } : { bosh };
  }

  /** Whether bosh's master still runs: a command goes over it only then. */
  get up(): boolean {
    return !this.ended && !this.broken;
  }

  /** Runs the command over the shared connection; `lost`, with what ssh said, when no exit code came back (ssh's own failure). */
  async run(
    remote: RemoteCommand,
    spec: Pick<CommandSpec, 'timeoutMs' | 'stdout'>,
    slackMs: number,
  ): Promise<{ result: CommandResult } | { lost: CommandResult } | { unsent: true }> {
    const marker = `dingo-recover-${randomBytes(12).toString('hex')}`;
    const line = `${limitedCommand(remote.command, spec.timeoutMs)}; printf '\\n%s %s\\n' '${marker}' "$?" >&2`;
    const started = Date.now();
    const ran = await this.runner.run({
      argv: ['ssh', ...this.clientOptions(), '-T', HOST, '--', line],
      stdin: remote.stdin,
      writes: false,
      timeoutMs: (spec.timeoutMs ?? 0) + slackMs,
      ...(spec.stdout ? { stdout: spec.stdout } : {}),
    });
    const end = new RegExp(`\\n${marker} (\\d+)\\n$`).exec(ran.stderr);
    if (!end && ran.stderr.includes(NO_MASTER)) {
      this.broken = true;
      return { unsent: true };
    }
    if (!end) return { lost: ran };
    return { result: result(ran.stdout, ran.stderr.slice(0, end.index), Number(end[1]), started) };
  }

  /** Ends the master (bosh then has the user removed) and waits for bosh; one that does not end is stopped as Ctrl-C stops it. */
  async close(): Promise<void> {
    if (!this.ended && !(await this.control('exit'))) this.stop.abort();
    const late = setTimeout(() => {
      this.stop.abort();
    }, CLOSE_MS);
    try {
      await this.master;
    } finally {
      clearTimeout(late);
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  /**
   * OpenSSH as a client of the socket alone: no configuration of the operator's (a `Host *` of theirs
   * would decide nothing here), no prompt, and no connection of its own should the socket be gone.
   */
  private clientOptions(): string[] {
    const refuse = `ProxyCommand=sh -c 'echo "${NO_MASTER}" >&2; exit 1'`;
    return ['-F', '/dev/null', '-S', this.socket, '-o', 'ControlMaster=no', '-o', 'BatchMode=yes', '-o', refuse];
  }

  private async control(command: 'check' | 'exit'): Promise<boolean> {
    const r = await this.runner.run({ argv: ['ssh', ...this.clientOptions(), '-O', command, HOST], writes: false, timeoutMs: 30_000 });
    return r.exitCode === 0;
  }
}
