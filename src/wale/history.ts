/**
 * Timeline history files (`<TLI>.history`): one line per ancestor,
 * `<parent TLI>\t<switch point>\t<reason>`, oldest first; `#` comments and
 * blank lines are allowed. From 9.3 the switch point is an LSN ("0/3000090");
 * 9.2 and older wrote the name of the segment where the old timeline ended.
 */
import { StepFailed } from '../core/errors.js';
import { formatLsn, isSegmentName, parseLsn, segmentOfLsn, tryParseSegment } from './segments.js';

export interface HistoryEntry {
  parentTimeline: number;
  /** As written: an LSN "X/Y", or a segment name in pre-9.3 files. */
  switchpoint: string;
  reason: string;
}

export function parseHistory(body: Buffer | string, source = 'timeline history file'): HistoryEntry[] {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const entries: HistoryEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fail = (what: string): never => {
      throw new StepFailed(`${source}, line ${i + 1} ("${line.slice(0, 80)}"): ${what}`, {
        hint: 'a history line is "<parent timeline>\\t<switch point>\\t<reason>"; check that the file was downloaded and decompressed whole',
      });
    };
    const [tli, point, ...reason] = line.split(/\s+/);
    if (!tli || !/^\d+$/.test(tli)) fail('the parent timeline is not a number');
    if (!point) fail('the switch point is missing');
    let switchpoint: string;
    if (isSegmentName(point!)) switchpoint = point!;
    else {
      try {
        switchpoint = formatLsn(parseLsn(point!));
      } catch {
        return fail(`the switch point "${point}" is neither an LSN nor a segment name`);
      }
    }
    const parentTimeline = Number(tli);
    const prev = entries.at(-1);
    if (prev && parentTimeline <= prev.parentTimeline) fail('parent timelines must increase from line to line');
    entries.push({ parentTimeline, switchpoint, reason: reason.join(' ') });
  });
  return entries;
}

/**
 * Where the child timeline starts, as (LOG, SEG) of its first segment: the
 * segment holding the switch LSN (PostgreSQL copies the part of it before the
 * switch into the new timeline's segment), or the named segment in old files.
 */
export function switchSegment(entry: HistoryEntry): { log: number; seg: number } {
  const named = tryParseSegment(entry.switchpoint);
  if (named) return { log: named.log, seg: named.seg };
  const s = segmentOfLsn(entry.switchpoint, 0);
  return { log: s.log, seg: s.seg };
}
