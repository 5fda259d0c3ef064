/**
 * Whether a data folder's WAL folder holds what a start reads first: the segments of the latest
 * checkpoint record and of its REDO point, named from pg_control (read, never by a server).
 */
import { present } from '../core/file-kind.js';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PgControl } from '../systems/pg-control.js';

/** The name of the WAL segment holding LSN on timeline TLI, for segments of SIZE bytes (XLByteToSeg, XLogFileName). */
function segmentName(lsn: string, tli: number, size: number): string {
  const [hi, lo] = lsn.split('/').map((h) => BigInt(`0x${h}`));
  const segno = ((hi! << 32n) | lo!) / BigInt(size);
  const perLog = 0x100000000n / BigInt(size);
  const hex = (n: bigint | number): string => n.toString(16).toUpperCase().padStart(8, '0');
  return `${hex(tli)}${hex(segno / perLog)}${hex(segno % perLog)}`;
}

/**
 * The segments a start reads first, the REDO point's and the latest checkpoint record's, when the
 * WAL folder (a real one: a link is not followed) lacks them: a copy made half-way. PostgreSQL then
 * stops: "could not locate a valid checkpoint record".
 */
export async function missingStartWal(dataDir: string, control: PgControl): Promise<string | undefined> {
  const size = control.walSegmentBytes;
  if (!size || size & (size - 1)) return undefined;
  for (const sub of ['pg_wal', 'pg_xlog']) {
    if (!(await lstat(join(dataDir, sub)).catch(() => null))?.isDirectory()) continue;
    const needed = [...new Set([control.redoLocation, control.checkpointLocation].map((l) => segmentName(l, control.timeline, size)))];
    const missing: string[] = [];
    for (const name of needed) if (!(await present(join(dataDir, sub, name)))) missing.push(name);
    if (!missing.length) return undefined;
    return `${sub}/ lacks ${missing.join(' and ')}, which holds its latest checkpoint (${control.checkpointLocation}, REDO ${control.redoLocation}): a copy made half-way? PostgreSQL will not start on it ("could not locate a valid checkpoint record")`;
  }
  return undefined;
}
