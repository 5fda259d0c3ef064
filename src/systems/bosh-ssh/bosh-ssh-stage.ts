/**
 * A command's input copied to the cell before a `bosh ssh` of its own runs the command, when no
 * shared session can carry it on ssh's standard input (always with v1).
 *
 * Neither era's non-interactive `bosh ssh` hands the command its own standard input. The Ruby CLI
 * (cloudfoundry/bosh, bosh_cli/lib/cli/commands/ssh.rb, `perform_operation`) runs it with Net::SSH's
 * `exec!`, which opens a channel, collects what it writes and never reads the CLI's stdin; bosh-cli
 * (ssh/non_interactive.go) gives ssh none. So the input goes as files, by `bosh scp` (ssh.rb's
 * `ssh.scp.upload!`, Net::SCP running `scp -t PATH` on the cell as the session's user).
 *
 * Where a file can land is narrow. The session's user is new each time and is removed with its home
 * when its `bosh ssh` ends (cloudfoundry/bosh-agent agent/action/ssh.go makes it under
 * /var/vcap/bosh_ssh, in the groups vcap and admin; platform/linux_platform.go `deleteUser` runs
 * `userdel -r`), so nothing copied into its home outlives the copy. It cannot write the ephemeral
 * disk's /var/vcap/data/tmp (the agent makes it 0755, root's) nor the store (0700, root's). It can
 * write /tmp (root:vcap, 0770), but the agent of the era mounts there a 128 MB ext4 file:
 * platform/linux_platform.go `SetupTmpDir` runs `truncate -s 128M` on /var/vcap/data/root_tmp,
 * `mke2fs -t ext4 -m 1` and mounts it on /tmp with `-o loop` (later agents bind-mount a folder of the
 * ephemeral disk instead). A drill's archive is gigabytes, so it cannot go there whole.
 *
 * So an input larger than one piece (STAGE_PIECE_BYTES, well under what such a /tmp holds free)
 * goes in pieces: each copied to /tmp, then appended, as root (`sudo -n`: the user is in
 * bosh_sudoers), to one 0600 file in /var/vcap/data/tmp, bosh-agent's own TMPDIR on the ephemeral
 * disk, apart from the store where the tenants' databases (and a drill's copy) live; the last piece
 * stays in /tmp, and the command reads the file and it in order, removing both. Each piece costs a
 * `bosh scp` and a `bosh ssh`, two director tasks each (seconds apiece, more under load): about 30
 * invocations a gigabyte. Before the first piece one `bosh ssh` reads how much room /tmp and the
 * folder have, against the input's size when the caller gave it; a copy that fails all the same is
 * removed from the cell, and named for where it filled.
 */
import { randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { StepFailed } from '../../core/errors.js';
import { stopUndos } from '../../core/stop-undo.js';
import { formatBytes } from '../../core/format.js';
import { oneLine } from '../../core/display.js';
import { truncate } from '../../core/screen-lines.js';
import type { CommandResult, CommandSpec } from '../../core/seams.js';

/** The most of an input one copy to the cell's /tmp holds: a bit over half of what a fresh 128 MB /tmp has free. */
export const STAGE_PIECE_BYTES = 64 * 1024 * 1024;
/** Where the pieces are put together: the ephemeral disk's temporary folder, bosh-agent's TMPDIR (dirProvider.TmpDir()). */
const STAGE_FOLDER = '/var/vcap/data/tmp';
/** Left free on the folder's disk beside the input: the jobs' logs and packages live on it. */
const STAGE_RESERVE_BYTES = 256 * 1024 * 1024;
/** Left free in /tmp beside a piece: the command's own temporary files (its output and error, until read). */
const TMP_MARGIN_BYTES = 4 * 1024 * 1024;
/** How a full disk reads in the words of scp (`scp: PATH: No space left on device`), cat and sh. */
const NO_SPACE = /No space left on device|Disk quota exceeded/;

/** What staging needs of the session. */
export interface StageSession {
  readonly where: string;
  /** A local folder of the session's own, private. */
  readonly folder: string;
  /** Runs a command on the cell (its own `bosh ssh`). */
  run(spec: CommandSpec): Promise<CommandResult>;
  /** Copies a local file to the cell (`bosh scp`). */
  copy(local: string, remote: string): Promise<CommandResult>;
  /** bosh's own failure of `what`, worded for the operator. */
  failed(what: string, r: CommandResult): StepFailed;
  /** Tells the operator of a slow copy, once. */
  warn(text: string): void;
  pieceBytes?: number;
  stageFolder?: string;
}

/**
 * Copies `source` to the cell (`bytes`: about how large it is, when known) and answers the files on
 * the cell that hold it, in order, each 0600 and removed by whoever reads them.
 */
export async function stageInput(s: StageSession, source: Readable, bytes?: number): Promise<string[]> {
  const pieceBytes = s.pieceBytes ?? STAGE_PIECE_BYTES;
  const name = `dingo-recover-input-${randomBytes(12).toString('hex')}`;
  const local = join(s.folder, name);
  try {
    return await inPieces(s, new Pieces(source[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>), {
      name,
      local,
      pieceBytes,
      bytes,
    });
  } catch (err) {
    // Whatever was not read of it yet is not wanted: its producer stops.
    source.destroy();
    throw err;
  } finally {
    await rm(local, { force: true });
  }
}

async function inPieces(
  s: StageSession,
  pieces: Pieces,
  { name, local, pieceBytes, bytes }: { name: string; local: string; pieceBytes: number; bytes: number | undefined },
): Promise<string[]> {
  let piece = await pieces.fill(local, pieceBytes);
  if (!piece.more) {
    const onCell = `/tmp/${name}`;
    await upload(s, local, onCell, piece.bytes, { whole: true });
    return [onCell];
  }
  const folder = s.stageFolder ?? STAGE_FOLDER;
  const joined = `${folder}/${name}`;
  await sweepLeftovers(s, folder);
  await requireRoom(s, folder, pieceBytes, bytes);
  const count = bytes === undefined ? '' : `, ${String(Math.ceil(bytes / pieceBytes))} of them`;
  s.warn(
    `${s.where}: the command's input (${bytes === undefined ? 'more than one piece' : `about ${formatBytes(bytes)}`}) goes to the cell in pieces of ${formatBytes(pieceBytes)}${count}, each through the cell's /tmp (a 128 MB file system, bosh-agent's) with a \`bosh scp\` and a \`bosh ssh\` of its own, and is put together in ${folder}: this takes a while; over SSH (--ssh-via direct) or with bosh CLI v2, the input streams`,
  );
  let at = 0;
  let onCell = `/tmp/${name}.${String(at)}`;
  let sent = 0;
  // A session a signal stops removes what was copied so far, which the catch below cannot then: no piece is
  // copied or appended after, and the one being copied lands first, so that none comes after the removal.
  let halted = false;
  let inFlight: Promise<unknown> = Promise.resolve();
  const onCellWork = <T>(work: () => Promise<T>): Promise<T> => {
    if (halted) return Promise.reject(new StepFailed(`the copy of the command's input to ${s.where} was stopped`));
    const p = work();
    inFlight = p.catch(() => undefined);
    return p;
  };
  const release = stopUndos.register(`the copy of a command's input in ${joined} and /tmp/${name}.* on ${s.where}`, async () => {
    halted = true;
    await inFlight;
    await removeStaged(s, ['sh', '-c', 'rm -f -- "$1" "$2".*', 'sh', joined, `/tmp/${name}`]);
  });
  try {
    for (;;) {
      await onCellWork(() => upload(s, local, onCell, piece.bytes, { whole: false }));
      sent += piece.bytes;
      if (!piece.more) return [joined, onCell];
      await onCellWork(() => append(s, onCell, joined, sent));
      piece = await pieces.fill(local, pieceBytes);
      onCell = `/tmp/${name}.${String(++at)}`;
    }
  } catch (err) {
    await s.run({ argv: ['rm', '-f', '--', joined, onCell], writes: true, sudo: true }).catch(() => undefined);
    throw err;
  } finally {
    release();
  }
}

/** A command's answer on one line of at most `max` characters: its error, else its output, else its exit code. */
function whatItSaid(r: CommandResult, max: number): string {
  return oneLine(truncate(r.stderr.trim() || r.stdout.trim() || `exit ${String(r.exitCode)}`, max));
}

/** Removes staged files on the cell as root (`argv`: the removing command); a removal that fails is thrown, to be said. */
export async function removeStaged(s: Pick<StageSession, 'run' | 'where'>, argv: string[]): Promise<void> {
  const r = await s.run({ argv, writes: true, sudo: true });
  if (r.exitCode !== 0) throw new Error(`${whatItSaid(r, 200)} on ${s.where}`);
}

/** One piece copied to `remote` in the cell's /tmp; a /tmp that filled is said as the 128 MB it is. */
async function upload(s: StageSession, local: string, remote: string, bytes: number, o: { whole: boolean }): Promise<void> {
  const r = await s.copy(local, remote);
  if (r.exitCode === 0) return;
  if (!NO_SPACE.test(`${r.stderr}\n${r.stdout}`))
    throw s.failed(o.whole ? "`bosh scp` of the command's input" : `\`bosh scp\` of a piece of the command's input`, r);
  // What scp wrote before the disk filled stays there: removed, so /tmp is as it was.
  await s.run({ argv: ['rm', '-f', '--', remote], writes: true, sudo: true }).catch(() => undefined);
  throw new StepFailed(
    `the cell's /tmp filled while the command's input (${formatBytes(bytes)}${o.whole ? '' : ', one piece of it'}) was copied there on ${s.where}: the cell's /tmp is 128 MB (bosh-agent mounts a file of that size there), shared with the cell's jobs`,
    {
      hint: 'nothing ran; see what fills /tmp on the cell (`bosh ssh`, then df -h /tmp; ls -la /tmp) and resume once it has room, or reach the cell over SSH (--ssh-via direct) or with bosh CLI v2, whose session streams the input without copying it',
    },
  );
}

/** A piece in /tmp appended to the file that gathers them, and removed. */
async function append(s: StageSession, piece: string, joined: string, sent: number): Promise<void> {
  const script = 'umask 077 && cat -- "$1" >> "$2"; c=$?; rm -f -- "$1"; exit $c';
  const r = await s.run({ argv: ['sh', '-c', script, 'sh', piece, joined], writes: true, sudo: true });
  if (r.exitCode === 0) return;
  const said = whatItSaid(r, 300);
  if (NO_SPACE.test(said)) {
    throw new StepFailed(`${joined}'s disk filled on ${s.where} after ${formatBytes(sent)} of the command's input: ${said}`, {
      hint: `nothing ran, and what was copied is removed; free space on the cell's ephemeral disk (df -h ${joined.slice(0, joined.lastIndexOf('/'))}), or reach the cell over SSH (--ssh-via direct) or with bosh CLI v2, whose session streams the input without copying it`,
    });
  }
  throw new StepFailed(`putting the command's input together in ${joined} on ${s.where} failed: ${said}`, {
    hint: 'nothing ran, and what was copied is removed; check `bosh ssh` to the cell by hand (sudo, the folder), then resume',
  });
}

/** How long a staged file lies untouched before it is taken for a killed copy's: a copy in progress writes every piece. */
const LEFT_AFTER_MINUTES = 60;

/**
 * The files a copy killed half-way left (a piece in /tmp, the gathered file in the folder, possibly
 * gigabytes), removed as root before a new copy: ours by name, untouched for an hour, which no copy
 * in progress of any run is. Said when there were any; a `find` that fails removes nothing more.
 */
async function sweepLeftovers(s: StageSession, folder: string): Promise<void> {
  const argv = ['find', '/tmp', folder, '-maxdepth', '1', '-type', 'f', '-name', 'dingo-recover-input-*'];
  const r = await s.run({ argv: [...argv, '-mmin', `+${String(LEFT_AFTER_MINUTES)}`, '-print', '-delete'], writes: true, sudo: true });
  const removed = r.stdout.split('\n').filter((l) => l.startsWith('/'));
  if (removed.length)
    s.warn(
      `${s.where}: removed ${String(removed.length)} file(s) of a copy of a command's input that a killed session left, untouched for ${String(LEFT_AFTER_MINUTES)} minutes: ${removed.join(', ')}`,
    );
}

/** `df -Pk` of /tmp and the folder: a piece must fit in /tmp, and the whole input (when its size is known) in the folder. */
async function requireRoom(s: StageSession, folder: string, pieceBytes: number, bytes: number | undefined): Promise<void> {
  // As root, as the pieces are put together: the folder's parents need not let the session's user look.
  const r = await s.run({ argv: ['df', '-Pk', '/tmp', folder], writes: false, sudo: true });
  const rows = r.stdout
    .split('\n')
    .slice(1)
    .map((l) => /^\S+\s+\d+\s+\d+\s+(\d+)\s+\d+%\s+(\S.*)$/.exec(l.trim()))
    .filter((m) => m !== null);
  if (r.exitCode !== 0 || rows.length !== 2) {
    throw new StepFailed(
      `df -Pk /tmp ${folder} on ${s.where} did not say the free space where the command's input is copied: ${oneLine(truncate(r.stderr.trim() || r.stdout.trim(), 200))}`,
      { hint: `nothing was copied; check that ${folder} exists on the cell (bosh-agent makes it on the ephemeral disk), then resume` },
    );
  }
  const [tmp, stage] = rows.map((m) => Number(m[1]) * 1024) as [number, number];
  if (tmp < pieceBytes + TMP_MARGIN_BYTES) {
    throw new StepFailed(
      `the cell's /tmp has ${formatBytes(tmp)} free on ${s.where}, and the command's input goes through it in pieces of ${formatBytes(pieceBytes)}: the cell's /tmp is 128 MB (bosh-agent mounts a file of that size there), shared with the cell's jobs`,
      {
        hint: 'nothing was copied; see what fills /tmp on the cell (`bosh ssh`, then df -h /tmp; ls -la /tmp) and resume once it has room, or reach the cell over SSH (--ssh-via direct) or with bosh CLI v2, whose session streams the input without copying it',
      },
    );
  }
  const needed = (bytes ?? 0) + STAGE_RESERVE_BYTES;
  if (stage < needed) {
    throw new StepFailed(
      `${folder} on ${s.where} has ${formatBytes(stage)} free; the command's input${bytes === undefined ? '' : ` (about ${formatBytes(bytes)})`} is put together there before the command reads it, and ${formatBytes(STAGE_RESERVE_BYTES)} stays free beside it for the cell's jobs`,
      {
        hint: `nothing was copied; free space on the cell's ephemeral disk (df -h ${folder}), or reach the cell over SSH (--ssh-via direct) or with bosh CLI v2, whose session streams the input without copying it`,
      },
    );
  }
}

/** A stream cut into pieces, each written to a local file (0600) in turn: only one piece is ever held here. */
class Pieces {
  private carry: Buffer | null = null;
  private done = false;

  constructor(private readonly chunks: AsyncIterator<Buffer | string>) {}

  /** The next bytes of the stream (none: it ended), those left over from the last piece first. */
  private async next(): Promise<Buffer | null> {
    if (this.carry) {
      const c = this.carry;
      this.carry = null;
      return c;
    }
    while (!this.done) {
      const r = await this.chunks.next();
      if (r.done) this.done = true;
      else if (r.value.length > 0) return typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    }
    return null;
  }

  /** Up to `max` bytes into `file`; `more`: the stream goes on after them. */
  async fill(file: string, max: number): Promise<{ bytes: number; more: boolean }> {
    const out = await open(file, 'w', 0o600);
    let bytes = 0;
    try {
      while (bytes < max) {
        const chunk = await this.next();
        if (!chunk) return { bytes, more: false };
        const take = chunk.subarray(0, max - bytes);
        if (take.length < chunk.length) this.carry = chunk.subarray(take.length);
        await out.write(take);
        bytes += take.length;
      }
      this.carry = await this.next();
      return { bytes, more: this.carry !== null };
    } finally {
      await out.close();
    }
  }
}
