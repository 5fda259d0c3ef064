/**
 * Reads the time of each line found in the logs and folds it into facts (event-facts.ts).
 * RFC 3164 lines carry no year or zone: they take those of the dated lines of the same source,
 * held until one is seen, else the file's time (or the year nearest the dated lines of other
 * sources, when the file's time is over a year from all of them). Memory grows with the number of
 * instances and containers, never with the volume of logs.
 */
import { isValidDate } from '../adapters/log-dates.js';
import type { FileHit } from '../core/log-source.js';
import { type LogEvent } from '../adapters/log-events.js';
import { parsePayload } from '../adapters/log-payload.js';
import { tenantTimeStands } from '../adapters/wale-syslog-line.js';
import {
  clockOf,
  CUT_TAG_ADVICE,
  CUT_TAG_CAUSE,
  cutTagOf,
  parseSyslog,
  readWithClock,
  zoneName,
  type SyslogClock,
  type SyslogLine,
} from '../adapters/syslog.js';
import { reportProblem, type SearchReport } from '../core/log-source.js';
import { maskSecretFields } from '../core/redact.js';
import { EventFacts } from './event-facts.js';
import { claimOf, judgeContainer, nodeRecordOf } from './container-claims.js';
import { mayWrite, writerOf, writerOfFile, type Writer } from './evidence-rules.js';
import { Ignored } from './ignored-lines.js';
import type { Evidence } from './types.js';

/** Undated lines held per source while waiting for a dated one; past this they are read by the file's time. */
const MAX_HELD = 10_000;
/** A file's time further than this from every dated line of the search does not give its lines their year. */
const YEAR_MS = 366 * 86_400_000;

/** Files each have their own clock; Elasticsearch documents without @timestamp share one. */
function clockKey(hit: FileHit): string {
  return hit.source.startsWith('es:') ? 'es:' : hit.source;
}

export class FactCollector extends EventFacts {
  yearInferred = false;
  unzonedSyslogTime = false;

  constructor(
    private readonly report: SearchReport,
    private readonly window: { since?: Date; until?: Date } = {},
  ) {
    super();
  }

  add(hit: FileHit): void {
    const sys = parseSyslog(hit.line, hit.fileTime);
    if (sys?.badTime !== undefined) {
      this.badDate(hit, `its syslog time "${sys.badTime}" is not a date (out of range, or a day or hour that does not exist)`);
      return;
    }
    const payload = sys ? sys.payload : hit.line;
    const event = parsePayload(payload);
    if (!event) {
      if (!sys) reportProblem(this.report, 'unparsedLine', where(hit), unparsedWhy(hit.line));
      return;
    }
    const writer = sys ? this.writerOf(sys) : writerOfFile(hit.source);
    if (!mayWrite(event, writer)) {
      this.ignored.add(event, writer, hit.stands, writer.kind === 'cut' ? 'cut' : 'source');
      return;
    }
    let own = ownTime(event);
    if (own && !isValidDate(own)) {
      this.badDate(hit, `its ${TIME_OF[event.kind]} is not a date (out of range, or a day or hour that does not exist)`);
      return;
    }
    if (own && event.kind === 'wale' && !tenantTimeStands(own, sys, hit)) own = null;
    // Only a line that is evidence teaches the file's year and zone: a tenant's dated line would shift them.
    if (own && !this.dates(event, writer)) {
      this.foldHit(hit, event, writer, own, '');
      return;
    }
    if (own) this.dated = { min: Math.min(this.dated.min, own.getTime()), max: Math.max(this.dated.max, own.getTime()) };
    if (!sys?.yearInferred || !sys.time) {
      const time = own ?? sys?.time ?? hit.loggedAt ?? null;
      this.foldHit(hit, event, writer, time, time === hit.loggedAt ? " (time from the document's @timestamp)" : '');
      return;
    }
    // The source recorded when it was logged (an Elasticsearch @timestamp): that time, per line.
    if (hit.loggedAt) {
      this.foldHit(hit, event, writer, own ?? hit.loggedAt, own ? '' : " (time from the document's @timestamp)");
      return;
    }
    const key = clockKey(hit);
    if (own) {
      const clock = clockOf(sys.time, own);
      if (clock) {
        this.clocks.set(key, clock);
        const held = this.held.get(key);
        this.held.delete(key);
        for (const h of held ?? []) this.foldUndated(h.hit, h.sys, h.event, h.writer, clock);
      }
      this.foldHit(hit, event, writer, own, '');
      return;
    }
    const clock = this.clocks.get(key);
    if (clock) {
      this.foldUndated(hit, sys, event, writer, clock);
      return;
    }
    // No dated line in this source yet: hold the line until one shows the year and zone.
    const held = this.held.get(key) ?? [];
    if (held.length >= MAX_HELD) {
      this.foldByFileTime(hit, sys, event, writer);
      return;
    }
    held.push({ hit, sys, event, writer });
    this.held.set(key, held);
  }

  /**
   * Folds the lines of sources that never showed a dated line, with years from the file's time,
   * then the container lines still waiting for a record of their node.
   */
  finish(): void {
    for (const held of this.held.values()) for (const h of held) this.foldByFileTime(h.hit, h.sys, h.event, h.writer);
    this.held.clear();
    for (const waiting of this.unproven.values()) for (const line of waiting) this.judge(line, true);
    this.unproven.clear();
  }

  /** Warnings about lines that were not evidence, naming who wrote them. */
  warnings(): string[] {
    return this.ignored.warnings();
  }

  private foldUndated(hit: FileHit, sys: SyslogLine, event: LogEvent, writer: Writer, clock: SyslogClock): void {
    const time = readWithClock(sys.time!, clock);
    this.clockCorrected = true;
    const zone = clock.zoneMs === 0 ? '' : `, its syslog time read as ${zoneName(clock.zoneMs)}`;
    this.foldHit(hit, event, writer, time, ` (year ${time.getUTCFullYear()} from dated lines of the same file${zone})`);
  }

  /**
   * A line of a file that showed no dated line: its year from the file's time, unless that puts it
   * over a year from every dated line of the search (a copy reset the file's time): then the year
   * nearest those lines.
   */
  private foldByFileTime(hit: FileHit, sys: SyslogLine, event: LogEvent, writer: Writer): void {
    this.unzonedSyslogTime = true;
    const t = sys.time?.getTime();
    const { min, max } = this.dated;
    if (t !== undefined && min <= max && (t < min - YEAR_MS || t > max + YEAR_MS)) {
      const time = readWithClock(sys.time!, { anchor: t < min ? min : max, zoneMs: 0 });
      this.yearFromOtherFiles = true;
      this.foldHit(
        hit,
        event,
        writer,
        time,
        ` (year ${time.getUTCFullYear()} from dated lines of other files: this file's time is over a year from them)`,
      );
      return;
    }
    this.yearInferred = true;
    this.foldHit(hit, event, writer, sys.time, sys.time ? ` (year ${sys.time.getUTCFullYear()} inferred from the file's time)` : '');
  }

  /** A line whose time cannot be read is not used: counted and listed with where it is. */
  private badDate(hit: FileHit, why: string): void {
    reportProblem(this.report, 'badDate', where(hit), `${why}; the line was not used`);
  }

  private foldHit(hit: FileHit, event: LogEvent, writer: Writer, time: Date | null, yearNote: string): void {
    if (time && !isValidDate(time)) {
      this.badDate(hit, "its time, read with the year and zone of the file's other lines, is out of range");
      return;
    }
    const ms = time ? time.getTime() : null;
    // The window bounds deletions; names, nodes and archives read outside it still describe instances.
    const inWindow =
      ms === null ||
      ((!this.window.since || ms >= this.window.since.getTime()) && (!this.window.until || ms <= this.window.until.getTime()));
    this.judge({ hit, event, ms: ms ?? 0, yearNote, inWindow, writer }, false);
  }

  /**
   * Folds a line its writer may write (add() checked it, evidence-rules.ts) as evidence; a
   * container's line about an instance waits for a record of its node (`final` once none can
   * come), and is counted for the warnings when it is not evidence.
   */
  private judge(line: Judged, final: boolean): void {
    const { event, writer } = line;
    const claim = writer.node ? claimOf(event) : null;
    if (claim && writer.node) {
      const verdict = judgeContainer(claim, this.trustedNodes.get(writer.node), final || this.unprovenCount >= MAX_HELD);
      if (verdict === 'not-evidence') {
        this.ignored.add(event, writer, line.hit.stands, 'unproven');
        return;
      }
      if (verdict === 'wait') {
        const waiting = this.unproven.get(writer.node) ?? [];
        waiting.push(line);
        this.unproven.set(writer.node, waiting);
        this.unprovenCount += 1;
        return;
      }
    }
    this.current = line.hit;
    // Only the broker's records (restore.done) and cf-containers-broker's options quote secrets.
    this.quotesSecrets = event.kind === 'broker' || event.kind === 'container-options';
    this.yearNote = line.yearNote;
    this.fold(event, line.ms, writer.node, this.ev, line.inWindow);
    const record = nodeRecordOf(event);
    if (record && !this.trustedNodes.has(record.node)) {
      this.trustedNodes.set(record.node, record.instance);
      const waiting = this.unproven.get(record.node);
      this.unproven.delete(record.node);
      for (const w of waiting ?? []) this.judge(w, final);
    }
  }

  /**
   * Whether a dated line may set its file's clock: a container's not when it is about another
   * instance than its node's record or its scope prefix names. A 2016 image's line (no prefix)
   * whose node's record is in a file not read yet still dates its file.
   */
  private dates(event: LogEvent, writer: Writer): boolean {
    if (!writer.node) return true;
    const claim = claimOf(event);
    if (claim === null) return false;
    const trusted = this.trustedNodes.get(writer.node);
    if (trusted !== undefined) return judgeContainer(claim, trusted, true) === 'evidence';
    return claim.scope6 === null || claim.instance === null || claim.instance.startsWith(claim.scope6);
  }

  /** Who wrote a line under this host and tag; a container's lines come in runs. */
  private writerOf(sys: SyslogLine): Writer {
    if (sys.tag !== this.lastTag || sys.host !== this.lastHost) {
      this.lastTag = sys.tag;
      this.lastHost = sys.host;
      this.lastWriter = writerOf(sys.host, sys.tag);
    }
    return this.lastWriter;
  }

  private lastTag = '';
  private lastHost = '';
  private lastWriter: Writer = writerOf('', '');
  /** node -> instance, from the broker's node records and cf-containers-broker's options. */
  private readonly trustedNodes = new Map<string, string>();
  /** Container lines about an instance, per node, waiting for a record of the node. */
  private readonly unproven = new Map<string, Judged[]>();
  private unprovenCount = 0;
  private readonly ignored = new Ignored();

  /** Per source: the clock its dated lines showed, and undated lines held until one does. */
  private readonly clocks = new Map<string, SyslogClock>();
  private readonly held = new Map<string, { hit: FileHit; sys: SyslogLine; event: LogEvent; writer: Writer }[]>();
  private clockCorrected = false;
  private yearFromOtherFiles = false;
  /** The earliest and latest time (ms) a dated line showed, in any source. */
  private dated = { min: Infinity, max: -Infinity };

  private current: FileHit = { line: '', source: '', offset: 0, fileTime: new Date(0) };
  private yearNote = '';
  /** Evidence from the line being folded. Lines are redacted once, when the result leaves the finder. */
  private quotesSecrets = false;
  private readonly ev = (why: string): Evidence => {
    const hit = this.current;
    return {
      line: this.quotesSecrets ? maskSecretFields(hit.line) : hit.line,
      source: hit.source.startsWith('es:') ? hit.source : `${hit.source} @ byte ${hit.offset}`,
      why: why + this.yearNote,
    };
  };

  /** Notes on how times were read, for the report. */
  notes(): string[] {
    const out: string[] = [];
    if (this.clockCorrected)
      out.push(
        'RFC 3164 lines carry no year or zone: where a file held dated lines (lager, wal-e, confd), its other lines were read with their year and zone',
      );
    if (this.yearInferred)
      out.push("RFC 3164 lines carry no year: where a file held no dated line, it was inferred from the file's modification time");
    if (this.yearFromOtherFiles)
      out.push(
        'RFC 3164 lines carry no year: where a file held no dated line and its modification time was over a year from every dated line (a copy resets it), the year nearest those lines was used',
      );
    if (this.unzonedSyslogTime) out.push('RFC 3164 times carry no time zone: lines of files without dated lines were read as UTC');
    return out;
  }
}

/** A line read, with its time, waiting to be judged. */
interface Judged {
  hit: FileHit;
  event: LogEvent;
  ms: number;
  yearNote: string;
  inWindow: boolean;
  writer: Writer;
}

/** Why a line is neither syslog nor a payload the finder knows. */
function unparsedWhy(line: string): string {
  const tag = cutTagOf(line);
  if (tag === null) return 'neither syslog nor a known payload';
  return `its syslog tag "${tag}" looks cut to 32 characters (${CUT_TAG_CAUSE}), so who wrote it cannot be told: ${CUT_TAG_ADVICE}`;
}

/** Where a line is, for the report of what was skipped. */
function where(hit: FileHit): { path: string; offset?: number } {
  return hit.source.startsWith('es:') ? { path: hit.source } : { path: hit.source, offset: hit.offset };
}

const TIME_OF: Record<LogEvent['kind'], string> = {
  broker: 'broker (lager) timestamp',
  haproxy: 'confd time',
  wale: 'wal-e time',
  'container-creating': 'time',
  'container-options': 'time',
  'public-address': 'time',
  'etcd-lookup': 'time',
  container: 'time',
};

function ownTime(e: LogEvent): Date | null {
  if (e.kind === 'broker' || e.kind === 'haproxy' || e.kind === 'wale') return e.time;
  return null;
}
