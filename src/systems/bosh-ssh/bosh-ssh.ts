/**
 * The cell seam through `bosh ssh`, as the operator of a BOSH platform without the vcap key
 * reaches a cell, through the director's SSH gateway or the one given: with v2, one `bosh ssh`
 * whose connection every command shares (bosh-ssh-mux.ts); with v1, or a v2 whose shared session
 * cannot be set up here (the operator is told why, once per cell), every command is one non-interactive `bosh ssh` of the CLI's era (`bosh
 * --version`, as the bosh adapter reads it).
 * Each session makes its own temporary user on the cell and removes it when it ends; it is opened
 * with a private folder of its own, and v1's manifest in it (bosh-ssh-access.ts). etcd is reached from the cell by a command (see
 * cell-http.ts), since `bosh ssh` forwards no port. An output read as it comes goes, on v2, without
 * the results table, as bosh prints it (bosh-ssh-stream.ts); v1 mixes the streams, so it comes whole.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { StepFailed } from '../../core/errors.js';
import { printableJson } from '../../core/display.js';
import { roughDuration } from '../../core/duration.js';
import { Redactor } from '../../core/redact.js';
import { invocation } from '../../core/invocation.js';
import { isStdinStream } from '../../core/stdin.js';
import { assertSudoWorked, remoteCommand } from '../../adapters/shell.js';
import type { CellSession, CommandResult, CommandRunner, CommandSpec, EtcdKeys, StdinData } from '../../core/seams.js';
import { EtcdV2Keys } from '../etcd.js';
import { boshScpArgs, boshSshArgs, boshSshMasterArgs, type BoshGateway, type BoshSshTarget } from './bosh-ssh-argv.js';
import {
  boshSshFailed,
  boshSshKilled,
  directorRefused,
  remoteLine,
  resultsRow,
  SSH_CLIENT_ERROR,
  SSH_FAILED,
  sshUnreached,
  unexpectedAnswer,
  unframe,
  type SshAnswer,
} from './bosh-ssh-remote.js';
import { BoshSshMux } from './bosh-ssh-mux.js';
import { cellHttpStream } from './cell-http.js';
import { removeStaged, stageInput } from './bosh-ssh-stage.js';
import { stopUndos } from '../../core/stop-undo.js';
import { V2StreamReader } from './bosh-ssh-stream.js';

export type { BoshGateway } from './bosh-ssh-argv.js';

export interface BoshSshOptions {
  /** Runs the bosh CLI (the operator's machine). */
  runner: CommandRunner;
  /** bosh binary (default `bosh`). */
  binary?: string;
  gateway: BoshGateway;
  /** The run's redactor, for the errors. */
  redactor: Redactor;
  /** The folder each session's private folder (v1's manifest, staged input) is made in. */
  scratch: string;
  /** `scratch` is the run's own folder (boshScratchName), made here: one another account made is refused. */
  runFolder?: boolean;
  /**
   * v2: one `bosh ssh` whose connection every command of the session shares (bosh-ssh-mux.ts), the
   * default; false runs each command in a `bosh ssh` of its own, as when the shared one cannot be set up.
   */
  share?: boolean;
  /** Where the operator is told that a cell's commands each need a `bosh ssh` of their own, and why (default: stderr). */
  warn?: (text: string) => void;
  /** v2: how long the shared session's bosh may take to share its connection before it is stopped (default SESSION_SETUP_MS). */
  shareSetupMs?: number;
  /** The most of a command's input one copy to the cell's /tmp holds (default STAGE_PIECE_BYTES, bosh-ssh-stage.ts). */
  stagePieceBytes?: number;
  /** Where on the cell a larger input is put together before the command reads it (default STAGE_FOLDER, bosh-ssh-stage.ts). */
  stageFolder?: string;
}

/**
 * How long bosh may take beyond the command's own deadline: the director's setup and cleanup
 * tasks. Past it the bosh process is killed, and its temporary user stays on the cell.
 */
export const SESSION_SETUP_MS = 5 * 60_000;

export class BoshCellSession implements CellSession {
  readonly where: string;
  /** v2's shared session, while it is up; null once it could not be set up here (each command then has its own). */
  private mux: Promise<BoshSshMux | null> | undefined;
  /**
   * Given to every bosh this session runs: one still running when the process exits is sent SIGTERM, not
   * killed, so that it has the director remove its temporary user from the cell (child-processes.ts).
   */
  private readonly stopping = new AbortController();

  constructor(
    readonly cellIp: string,
    private readonly target: BoshSshTarget,
    private readonly opts: BoshSshOptions,
    private readonly binary: string,
    private readonly folder: { path: string; release: () => void },
    private readonly redactor: Redactor,
  ) {
    const g = opts.gateway;
    const gw = g.disable ? '' : g.host ? ` via ${g.host}` : g.proxy ? ` via the SOCKS5 proxy of ${g.proxy}` : '';
    this.where = `cell ${cellIp} (bosh ssh ${target.instance}${gw})`;
  }

  private get shareSetupMs(): number {
    return this.opts.shareSetupMs ?? SESSION_SETUP_MS;
  }

  async run(spec: CommandSpec): Promise<CommandResult> {
    const mux = await this.shared();
    if (mux) {
      const result = await this.overShared(mux, spec);
      assertSudoWorked(spec, result, this.where, this.redactor);
      return result;
    }
    const remote = remoteCommand(spec);
    const inputFiles = hasInput(remote.stdin) ? await this.stage(remote.stdin, spec.stdinBytes) : undefined;
    // The command reads its input files and removes them; a session a signal stops before that removes them itself.
    const release = inputFiles
      ? stopUndos.register(`the copy of a command's input in ${inputFiles.join(' and ')} on ${this.where}`, () =>
          removeStaged(this, ['rm', '-f', '--', ...inputFiles]),
        )
      : undefined;
    try {
      // v2 prints an output as it comes only without its results table; v1 mixes the streams, so its output comes whole.
      const streamed = spec.stdout !== undefined && this.target.major === 2;
      const marker = `dingo-recover-${randomBytes(12).toString('hex')}`;
      const line = remoteLine({ command: remote.command, inputFiles, timeoutMs: spec.timeoutMs, marker, streamed });
      const started = Date.now();
      const args = boshSshArgs(this.target, this.opts.gateway, line, streamed);
      const result = streamed ? await this.streamed(args, marker, spec, started) : await this.framed(args, marker, spec, started);
      assertSudoWorked(spec, result, this.where, this.redactor);
      return result;
    } finally {
      release?.();
    }
  }

  /**
   * v2's results table (the ssh session's output in its row) or v1's output: the command's result
   * from the frame in it. No frame: bosh's own failure, the ssh client's, or (bosh and ssh content)
   * an answer of a shape the frame does not explain, shown as it came.
   */
  private async framed(args: string[], marker: string, spec: CommandSpec, started: number): Promise<CommandResult> {
    const bosh = await this.bosh(args, spec.timeoutMs);
    const answer: SshAnswer | null =
      this.target.major === 2 ? resultsRow(bosh) : { stdout: bosh.stdout, stderr: bosh.stderr, exitCode: bosh.exitCode };
    const framed = answer ? unframe(answer.stdout, marker, started) : { missing: true as const };
    if ('result' in framed) return framed.result;
    if (bosh.timedOut) throw boshSshKilled(this.where, spec.writes);
    if (!answer) {
      if (bosh.exitCode !== 0) throw boshSshFailed('`bosh ssh`', this.where, bosh, this.redactor);
      throw this.unexpected({ torn: 'bosh printed no results table' }, bosh.stdout, spec);
    }
    // The ssh client's own error: bosh's session never reached the cell's shell, or lost it mid-frame.
    if ((answer.exitCode === SSH_FAILED || bosh.exitCode !== 0) && SSH_CLIENT_ERROR.test(answer.stderr)) {
      throw sshUnreached(this.where, this.redactor, spec.writes, answer.stderr);
    }
    if ('torn' in framed) throw this.unexpected(framed, answer.stdout, spec);
    // No frame at all: the cell's shell answered something else (v2: ssh ended as a command does), or bosh failed.
    const shellAnswered = this.target.major === 2 ? answer.exitCode !== null && answer.exitCode !== SSH_FAILED : bosh.exitCode === 0;
    if (!shellAnswered) throw boshSshFailed('`bosh ssh`', this.where, bosh, this.redactor);
    throw this.unexpected({ torn: 'no frame came' }, answer.stdout, spec);
  }

  /**
   * v2's shared session, set up at the first command and again should it have ended; null when it cannot be
   * set up here (the operator's ssh shares no connection, the socket's path is too long): each command then
   * has a `bosh ssh` of its own. The director refusing the session fails the command as its own would.
   */
  private shared(): Promise<BoshSshMux | null> {
    if (this.target.major !== 2 || this.opts.share === false) return Promise.resolve(null);
    const before = this.mux;
    // Chained: commands at once wait for the one setup and share its failure; a later command tries again,
    // and a session that ended is set up again.
    const attempt = (async () => {
      const was = await before;
      if (was === null || was?.up) return was;
      await was?.close();
      const started = await BoshSshMux.start({
        runner: this.opts.runner,
        binary: this.binary,
        masterArgs: (socket) => boshSshMasterArgs(this.target, this.opts.gateway, socket),
        setupMs: this.shareSetupMs,
      });
      if (started instanceof BoshSshMux) return started;
      if ('cannot' in started) return this.unshared(started.cannot);
      if (directorRefused(started.bosh)) throw boshSshFailed('`bosh ssh`', this.where, started.bosh, this.redactor);
      // The cell or the gateway did not let ssh in: no command ran, and a session of each command's own would not get in either.
      if (SSH_CLIENT_ERROR.test(started.bosh.stderr)) throw sshUnreached(this.where, this.redactor, false, started.bosh.stderr);
      const said = [started.bosh.stderr, started.bosh.stdout].map((t) => t.trim().split('\n').at(-1) ?? '').find(Boolean);
      const why = started.late
        ? `its ssh had shared no connection ${roughDuration(this.shareSetupMs)} after bosh started (bosh was stopped, which has the director remove its user)`
        : `bosh exited ${String(started.bosh.exitCode)} before its ssh shared a connection`;
      return this.unshared(`${why}${said ? `: ${said}` : ''}`);
    })();
    this.mux = attempt;
    attempt.catch(() => {
      if (this.mux === attempt) this.mux = undefined;
    });
    return attempt;
  }

  /** No shared session for this cell: the operator is told once why each command now takes a director task and a user of its own. */
  private unshared(why: string): null {
    this.warn(
      `${this.where}: each command runs in a \`bosh ssh\` of its own (a director task and a temporary user each, slower): the one shared session could not be set up, as ${why}`,
    );
    return null;
  }

  /** Tells the operator (redacted). */
  private warn(text: string): void {
    const warn = this.opts.warn ?? ((t: string) => invocation().stderr.write(`warning: ${t}\n`));
    warn(this.redactor.redact(text));
  }

  private async overShared(first: BoshSshMux, spec: CommandSpec): Promise<CommandResult> {
    const remote = remoteCommand(spec);
    let mux: BoshSshMux | null = first;
    let ran = await mux.run(remote, spec, SESSION_SETUP_MS);
    // The session was gone before the command was sent (its ssh ended, bosh not yet): once more, on a new one,
    // when its input can be given again (a stream's first bytes may have gone into the pipe).
    if ('unsent' in ran && !isStdinStream(spec.stdin)) {
      mux = await this.shared();
      if (!mux) return this.run(spec);
      ran = await mux.run(remote, spec, SESSION_SETUP_MS);
    }
    if ('unsent' in ran) throw sshUnreached(this.where, this.redactor, false, 'the shared session was gone before the command was sent');
    if ('result' in ran) return ran.result;
    if (ran.lost.timedOut) throw boshSshKilled(this.where, spec.writes);
    throw sshUnreached(
      this.where,
      this.redactor,
      spec.writes,
      ran.lost.stderr || `ssh exited ${String(ran.lost.exitCode)} without the command's exit code`,
    );
  }

  private unexpected(framed: { torn: string; line?: string }, raw: string, spec: CommandSpec): StepFailed {
    const why =
      framed.line === undefined ? framed.torn : `${framed.torn}: ${printableJson(this.redactor.redact(framed.line.slice(0, 200)))}`;
    return unexpectedAnswer(this.where, why, raw, spec.writes, this.redactor);
  }

  /** The command's input, copied to the cell as files only the copying user (and root) can read (bosh-ssh-stage.ts). */
  private stage(stdin: StdinData, bytes: number | undefined): Promise<string[]> {
    const source = isStdinStream(stdin) ? stdin : Readable.from([typeof stdin === 'string' ? Buffer.from(stdin) : stdin]);
    const size = isStdinStream(stdin) ? bytes : Buffer.byteLength(stdin);
    return stageInput(
      {
        where: this.where,
        folder: this.folder.path,
        run: (spec) => this.run(spec),
        copy: (local, remote) => this.bosh(boshScpArgs(this.target, this.opts.gateway, local, remote)),
        failed: (what, r) => boshSshFailed(what, this.where, r, this.redactor),
        warn: (text) => {
          this.warn(text);
        },
        pieceBytes: this.opts.stagePieceBytes,
        stageFolder: this.opts.stageFolder,
      },
      source,
      size,
    );
  }

  /**
   * v2's `bosh ssh` whose output goes to `spec.stdout` as it comes (bosh-ssh-stream.ts). A runner
   * that cannot stream answers bosh's output whole, which is read the same way. What bosh said
   * itself, and the ssh client's error, say why when the frame never ended.
   */
  private async streamed(args: string[], marker: string, spec: CommandSpec, started: number): Promise<CommandResult> {
    const reader = new V2StreamReader(marker, spec.stdout!);
    const ran = await this.opts.runner.run({
      argv: [this.binary, ...args],
      writes: false,
      timeoutMs: (spec.timeoutMs ?? 0) + SESSION_SETUP_MS,
      stdout: reader,
      abort: this.stopping.signal,
    });
    await new Promise<void>((done, failed) => {
      reader.on('error', failed);
      reader.end(ran.stdout, done);
    });
    if (reader.torn) {
      const line = reader.tornLine ? `: ${printableJson(this.redactor.redact(reader.tornLine))}` : '';
      throw new StepFailed(`\`bosh ssh\` to ${this.where} gave the command's output torn: ${this.redactor.redact(reader.torn)}${line}`, {
        hint: "the output read so far is not whole: resume the run to read it again; if it tears again, check the cell's ssh session by hand (`bosh ssh`)",
      });
    }
    const result = reader.result(started);
    if (result) return result;
    if (ran.timedOut) throw boshSshKilled(this.where, spec.writes);
    const sshSaid = [ran.stderr, reader.sshError].filter(Boolean).join('\n');
    if (SSH_CLIENT_ERROR.test(sshSaid)) throw sshUnreached(this.where, this.redactor, spec.writes, sshSaid);
    if (ran.exitCode !== 0 || !reader.began) {
      if (ran.exitCode === 0) throw this.unexpected({ torn: 'no frame came' }, reader.seen, spec);
      throw boshSshFailed('`bosh ssh`', this.where, { ...ran, stdout: reader.boshText, stderr: sshSaid }, this.redactor);
    }
    throw this.unexpected({ torn: 'the frame did not end' }, reader.seen, spec);
  }

  private bosh(args: string[], timeoutMs?: number): Promise<CommandResult> {
    return this.opts.runner.run({
      argv: [this.binary, ...args],
      writes: false,
      timeoutMs: (timeoutMs ?? 0) + SESSION_SETUP_MS,
      abort: this.stopping.signal,
    });
  }

  etcd(hostPort: string): Promise<EtcdKeys> {
    return Promise.resolve(
      new EtcdV2Keys(
        { hostPort, via: this.where, connect: () => Promise.resolve(cellHttpStream(this, hostPort, this.redactor)) },
        { redactor: this.redactor },
      ),
    );
  }

  async close(): Promise<void> {
    try {
      await (await this.mux?.catch(() => null))?.close();
    } finally {
      this.stopping.abort();
      await rm(this.folder.path, { recursive: true, force: true });
      this.folder.release();
    }
  }
}

function hasInput(stdin: StdinData): boolean {
  return isStdinStream(stdin) || stdin.length > 0;
}
