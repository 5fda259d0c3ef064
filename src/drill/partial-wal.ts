/**
 * WAL after the archive's last full segment, for the drill's replay: each `.partial` segment the
 * inspection checked (archive/partials.ts) is fetched into the drill's WAL folder under its
 * segment's full name when the archive has no full segment of that name, as PostgreSQL's
 * documentation advises, so replay reads on into it, to the end of what it holds. Refused partials
 * (another database's, another timeline's, cut short, out of place) are never served.
 */
import { access, chown } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalProcesses, ObjectStore, RunAs } from '../core/seams.js';
import type { PartialSegmentInfo } from '../wale/report.js';
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
  processes?: LocalProcesses;
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
    if (req.as) await chown(dest, req.as.uid, req.as.gid);
    served.push({ key: p.key, servedAs: p.segment });
  }
  return served;
}
