/**
 * wal-e's lines, folded where a large file is scanned: a container logs four of them per WAL
 * segment, thousands a day, and each tells the finder no more than the first and the last of its
 * run. A run is the lines of one writer (syslog host and tag) about one archive, with one scope
 * prefix, action and state, in time order; it stands as its first line and its last, the last
 * carrying how many lines it stands for, so counts (of lines a rule set aside among them) stay whole.
 *
 * Folding changes nothing the finder concludes, because every run is closed before anything that
 * could judge its lines otherwise: any other line found (a broker record that names a node's
 * instance, a container's undated line), a dated line that would read the file's year or zone
 * otherwise, or a day between the run and the window's first dated line. What is kept goes on in
 * the order of the file, so the provenance rules (logs/evidence-rules.ts) see the same writers in
 * the same order: a tenant's line behind its container's prefix is folded only with its own
 * container's lines, and judged as they would be.
 */
import { clockOf } from '../../adapters/syslog.js';
import { readWaleSyslogLine, tenantTimeStands } from '../../adapters/wale-syslog-line.js';
import type { RecordSink } from './frame-walk.js';

/** Where folded lines go: `stands` is how many lines of the file the line stands for (1 when absent). */
export interface FoldedSink extends RecordSink {
  hit(line: string, offset: number, stands?: number): void;
}

const DAY_MS = 86_400_000;
/** Runs held at once, past which all are let go: memory stays bounded whatever the file holds. */
const MAX_RUNS = 256;

interface Run {
  first: { line: string; offset: number };
  last: { line: string; offset: number } | null;
  firstTime: number;
  lastTime: number;
  count: number;
}

export class WaleRuns implements FoldedSink {
  private readonly open = new Map<string, Run>();
  private closed: Run[] = [];
  /** The zone the window's dated lines read the file's clock with, and the time of its first (null: none yet). */
  private zone: number | null = null;
  private anchor = 0;

  constructor(
    private readonly out: FoldedSink,
    private readonly fileTime: Date,
  ) {}

  hit(line: string, offset: number): void {
    if (line.includes('/wal/') && this.fold(line, offset)) return;
    // A line handed on alone may set the file's clock: the next dated line starts a window anew.
    this.flush();
    this.zone = null;
    this.out.hit(line, offset);
  }

  longLine(offset: number, length: number): void {
    this.flush();
    this.out.longLine(offset, length);
  }

  binaryLines(offset: number, count: number): void {
    this.flush();
    this.out.binaryLines(offset, count);
  }

  /** Lets every run go, in the order of the file. */
  flush(): void {
    if (this.open.size === 0 && this.closed.length === 0) return;
    const runs = [...this.closed, ...this.open.values()];
    this.open.clear();
    this.closed = [];
    const kept: { line: string; offset: number; stands: number }[] = [];
    for (const r of runs) {
      kept.push({ ...r.first, stands: 1 });
      if (r.last) kept.push({ ...r.last, stands: r.count - 1 });
    }
    kept.sort((a, b) => a.offset - b.offset);
    for (const k of kept) this.out.hit(k.line, k.offset, k.stands === 1 ? undefined : k.stands);
  }

  /** Takes a wal-e line into its run; false when it must go on alone (after what is held). */
  private fold(line: string, offset: number): boolean {
    const sys = readWaleSyslogLine(line, this.fileTime);
    if (!sys) return false;
    const e = sys.wale;
    let time = sys.time.getTime();
    // wal-e's own time dates a line only as the finder lets it (tenantTimeStands, as the finder reads it); else it goes on alone.
    if (e.time && sys.yearInferred) {
      if (!tenantTimeStands(e.time, sys, { fileTime: this.fileTime })) return false;
      time = e.time.getTime();
      // A dated line sets the clock undated lines are read with: the window keeps one zone, within a day.
      const zone = clockOf(sys.time, e.time)!.zoneMs;
      if (this.zone !== zone || Math.abs(time - this.anchor) > DAY_MS) {
        this.flush();
        this.zone = zone;
        this.anchor = time;
      }
    } else if (this.zone !== null && Math.abs(time + this.zone - this.anchor) > DAY_MS) return false;
    const key = [sys.host, sys.tag, sys.format, e.archivePrefix, e.instanceGuid, e.scope6, e.action, e.state, e.time ? 'dated' : ''].join(
      '\u0000',
    );
    const run = this.open.get(key);
    if (run && time >= run.lastTime && time - run.firstTime <= DAY_MS) {
      run.last = { line, offset };
      run.lastTime = time;
      run.count += 1;
      return true;
    }
    if (run) this.closed.push(run);
    if (this.open.size + this.closed.length >= MAX_RUNS) this.flush();
    this.open.set(key, { first: { line, offset }, last: null, firstTime: time, lastTime: time, count: 1 });
    return true;
  }
}
