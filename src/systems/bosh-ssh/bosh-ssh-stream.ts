/**
 * v2's `bosh ssh -c` without `--results`: bosh prints what the command writes as it comes, each
 * line behind `GROUP/ID: stdout | ` or `GROUP/ID: stderr | ` (bosh-cli ssh/streaming_writer.go,
 * ui/combo_writer.go), among its own lines. bosh runs `ssh -tt` (ssh/provider.go), so the cell's
 * terminal sends all the command writes as `stdout` lines ending in `\r` (its CRLF, cut at the
 * newline by the ComboWriter), and `stderr` lines are the ssh client's own. Both prefixes share
 * one "at a line's start" state there, so a piece of the ssh client's error can land inside a
 * line of the output: the command's output therefore comes base64-encoded in lines of 76
 * characters after the marker's first line (remoteLine, `streamed`), what comes before that line
 * is a login shell's, and within the frame a line that is not such a line, or a line of bosh's
 * own, is a torn output, never data. The decoded bytes go on to the caller's stream as they come,
 * and bosh waits while it is full; the marker's frame (a random marker no tenant's output can
 * forge: the output is encoded) then gives the command's error and exit code.
 */
import { Writable } from 'node:stream';
import type { CommandResult } from '../../core/seams.js';
import { isBase64Line, result } from './bosh-ssh-remote.js';

const PREFIXED = /^\S+\/\S+: (stdout|stderr) \| /;
/** What `base64` wraps its lines at. */
const WRAP = 76;
/** Bytes kept of bosh's own lines and the ssh client's error, for what a failure says. */
const KEPT = 64 * 1024;
/** A line of bosh's output longer than this is none of the frame's, nor one bosh or ssh writes. */
const LONGEST = 64 * 1024;
const NL = 10;
/** bosh's lines that tell nothing of a failure: where it connects, its task's number, its last word. */
const SAYS_NOTHING = /^(\s*|Using (environment|deployment) .*|Task \d+(\. Done)?|Succeeded|Exit code \d+)$/;

export class V2StreamReader extends Writable {
  /** bosh's own lines that say something, and the ssh client's error lines, for a failure's message (the last KEPT characters). */
  boshText = '';
  sshError = '';
  /** Why the command's output cannot be trusted whole (a line that is not the frame's), or null. */
  torn: string | null = null;
  /** The line that tore it, as it came. */
  tornLine: string | null = null;
  /** Every line as it came, prefixes and all (the last KEPT characters), to show an answer that held no frame. */
  seen = '';
  private partial: Buffer[] = [];
  /** Before the marker's first line, the command's output, its error, its exit code taken. */
  private state: 'before' | 'output' | 'error' | 'done' = 'before';
  /** A base64 line shorter than WRAP came: the next must be the marker's. */
  private short = false;
  private error: string[] = [];
  private exitCode: number | null = null;
  /** Lines of the output taken, to name a torn one by its number (its text is the tenant's data, encoded). */
  private lines = 0;
  private partialLength = 0;

  constructor(
    private readonly marker: string,
    private readonly out: Writable,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    const decoded: Buffer[] = [];
    let from = 0;
    for (let nl = chunk.indexOf(NL); nl >= 0; nl = chunk.indexOf(NL, from)) {
      this.partial.push(chunk.subarray(from, nl));
      this.line(Buffer.concat(this.partial).toString('utf8'), decoded);
      this.partial = [];
      this.partialLength = 0;
      from = nl + 1;
    }
    if (from < chunk.length) {
      this.partialLength += chunk.length - from;
      // A line without end is held no further: it cannot be one of the frame's.
      if (this.partialLength > LONGEST) {
        if (this.state !== 'before') this.tear(`a line of more than ${LONGEST} bytes came after output line ${this.lines}`, '');
        this.partial = [];
      } else this.partial.push(Buffer.from(chunk.subarray(from)));
    }
    this.forward(Buffer.concat(decoded), done);
  }

  override _final(done: (err?: Error | null) => void): void {
    if (this.partial.length) this.line(Buffer.concat(this.partial).toString('utf8'), []);
    this.partial = [];
    done();
  }

  /** Whether the frame's first line came: before it, the session may never have reached the cell's shell. */
  get began(): boolean {
    return this.state !== 'before';
  }

  /** The command's result once bosh ended; null when the frame never ended (bosh failed, or the output was torn). */
  result(started: number): CommandResult | null {
    if (this.torn || this.state !== 'done' || this.exitCode === null) return null;
    return result('', Buffer.from(this.error.join(''), 'base64').toString('utf8'), this.exitCode, started);
  }

  /** Hands the decoded bytes on, and takes more from bosh once the caller's stream has room (or is gone). */
  private forward(bytes: Buffer, done: () => void): void {
    const out = this.out;
    if (bytes.length === 0 || out.destroyed || out.writableEnded || out.write(bytes)) {
      done();
      return;
    }
    const go = (): void => {
      out.off('drain', go).off('close', go);
      done();
    };
    out.on('drain', go).on('close', go);
  }

  private line(raw: string, decoded: Buffer[]): void {
    this.seen = keep(this.seen, raw);
    // The terminal's CRLF: the ComboWriter cut the line at its newline, and the carriage return stays.
    const text = raw.replace(/\r+$/, '');
    const prefixed = PREFIXED.exec(text);
    if (!prefixed) {
      if (!SAYS_NOTHING.test(text)) this.boshText = keep(this.boshText, text);
      // bosh prints nothing of its own while the command runs: a line of its own inside the frame is a lost line of it.
      const inFrame = this.state === 'output' || this.state === 'error';
      if (inFrame) this.tear(`a line without bosh's prefix came after output line ${this.lines}`, text);
      return;
    }
    const payload = text.slice(prefixed[0].length);
    if (prefixed[1] === 'stderr') {
      this.sshError = keep(this.sshError, payload);
      return;
    }
    if (this.torn) return;
    if (this.state === 'before') {
      // What a login shell printed comes before the frame; the frame's first line starts it.
      if (payload === `${this.marker} out`) this.state = 'output';
      return;
    }
    if (this.state === 'output') {
      if (payload === `${this.marker} err`) {
        this.state = 'error';
        return;
      }
      this.lines += 1;
      if (this.short || !isWrappedBase64(payload)) {
        this.tear(`output line ${this.lines} is not one of the frame's`, payload);
        return;
      }
      this.short = payload.length < WRAP;
      decoded.push(Buffer.from(payload, 'base64'));
      return;
    }
    if (this.state === 'error') {
      const exit = payload.startsWith(`${this.marker} exit `) ? payload.slice(this.marker.length + 6) : null;
      if (exit !== null && /^\d+$/.test(exit)) {
        this.exitCode = Number(exit);
        this.state = 'done';
      } else if (exit === null && isWrappedBase64(payload)) this.error.push(payload);
      else this.tear("the command's error or exit code did not come whole", payload);
      return;
    }
    this.tear("the output went on after the command's exit code", payload);
  }

  private tear(why: string, line: string): void {
    if (this.torn) return;
    this.torn = why;
    this.tornLine = line.slice(0, 200);
  }
}

function isWrappedBase64(s: string): boolean {
  return s.length > 0 && s.length <= WRAP && isBase64Line(s);
}

function keep(kept: string, line: string): string {
  const all = kept ? `${kept}\n${line}` : line;
  return all.length > KEPT ? all.slice(-KEPT) : all;
}
