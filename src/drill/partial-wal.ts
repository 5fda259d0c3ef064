/**
 * WAL after the archive's last full segment, for the drill's replay: each `.partial` segment the
 * inspection checked (archive/partials.ts) is fetched into the drill's WAL folder under its
 * segment's full name when the archive has no full segment of that name, as PostgreSQL's
 * documentation advises, so replay reads on into it, to the end of what it holds. Refused partials
 * (another database's, another timeline's, cut short, out of place) are never served.
 */
import { access, chown, realpath, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { headOf } from '../core/read-regular.js';
import type { LocalProcesses, ObjectStore, RunAs } from '../core/seams.js';
import type { PartialSegmentInfo } from '../wale/report.js';
import { LONG_HEADER_BYTES, readLongPageHeader } from '../wale/partial-segment.js';
import { SEGMENT_BYTES } from '../wale/segments.js';
import { DrillFailed } from './exit-codes.js';
import { fetchWalObject } from './wal-fetch.js';

export interface ServedPartial {
  /** The `.partial` object's key. */
  key: string;
  /** The segment name replay read it as. */
  servedAs: string;
}

export interface PartialServe {
  store: ObjectStore;
  bucket: string;
  partials: PartialSegmentInfo[];
  /** The drill's WAL folder, already holding the archive's full segments. */
  into: string;
  as?: RunAs;
  processes: LocalProcesses;
}

/** What differs in the fetched partial from what the inspection checked, or null when nothing does. */
async function changedSince(file: string, folder: string, p: PartialSegmentInfo): Promise<string | null> {
  const size = (await stat(file)).size;
  if (size !== SEGMENT_BYTES) return `it holds ${size} bytes, not a segment's ${SEGMENT_BYTES}`;
  const header = readLongPageHeader(await headOf(file, await realpath(folder), LONG_HEADER_BYTES));
  if ('unreadable' in header) return header.unreadable;
  if (header.timeline !== p.timeline) return `its pages are now of timeline ${header.timeline}`;
  if (header.systemIdentifier !== p.systemIdentifier) return `its system identifier is now ${header.systemIdentifier}`;
  return null;
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

export async function servePartials(req: PartialServe): Promise<ServedPartial[]> {
  const served: ServedPartial[] = [];
  for (const p of req.partials.filter((x) => x.usable)) {
    const dest = join(req.into, p.segment);
    if (await exists(dest)) continue;
    const r = await fetchWalObject({ store: req.store, bucket: req.bucket, key: p.key, dest, processes: req.processes });
    if (r.status === 'missing') continue;
    const changed = await changedSince(dest, req.into, p);
    if (changed) {
      await rm(dest, { force: true });
      throw new DrillFailed('could-not-run', `${p.key} changed after it was checked: ${changed}; it was not served`, {
        hint: 'Someone is writing to the archive: stop what writes there, then drill again.',
      });
    }
    if (req.as) await chown(dest, req.as.uid, req.as.gid);
    served.push({ key: p.key, servedAs: p.segment });
  }
  return served;
}
