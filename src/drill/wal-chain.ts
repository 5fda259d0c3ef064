/** An archive's WAL chain in a line: how far replay from LATEST reaches, and what breaks it. */
import { missingOf, type ArchiveReport, type LostWal, type WalGap } from '../wale/report.js';
import { lostRange } from './replay.js';

export interface WalChain {
  /** Archived WAL segments. */
  segments: number;
  first: string | null;
  last: string | null;
  /** The last segment replay from LATEST reaches without a hole. */
  reachesTo: string | null;
  /** Replay reaches the newest archived segment: nothing archived is lost. */
  complete: boolean;
  /** Missing WAL between LATEST's start and the newest segment replay would read. */
  gaps: WalGap[];
  lost: LostWal | null;
  /** For people: `complete: 6 segments, to 0000…06`, `broken: 0000…04 missing; …`. */
  summary: string;
}

export function walChainOf(r: ArchiveReport): WalChain {
  const facts = {
    segments: r.walSegments,
    first: r.firstSegment,
    last: r.lastSegment,
    reachesTo: r.restorableTo,
    complete: r.complete,
    gaps: r.gaps,
    lost: r.lost,
  };
  return { ...facts, summary: summary(r) };
}

function summary(r: ArchiveReport): string {
  if (r.walSegments === 0) return 'no WAL archived';
  const gap = r.gaps[0];
  const missing = gap ? `${gap.from === gap.to ? gap.from : `${gap.from} .. ${gap.to}`} missing` : null;
  if (!r.restorable) return `broken${missing ? `: ${missing}` : ''}; no restore from LATEST reaches consistency`;
  if (r.lost)
    return `broken after ${r.restorableTo ?? 'LATEST'}: ${missing ?? `${missingOf(r.lost)} missing`}, ${lostRange(r.lost)} unreachable`;
  return `${r.complete ? 'complete' : 'restorable'}: ${r.walSegments} segment(s), to ${r.restorableTo ?? r.lastSegment}`;
}
