/**
 * The difference between a table in the copy (as it was at the target) and in the live database,
 * row by row on the primary key:
 * - in the copy, not live: deleted since the target → put back (INSERT);
 * - in both, other values: changed since the target → back to the copy's values (UPDATE), sorted by
 *   what can be told of who changed it. Knowing the incident's transaction (the restore stopped just
 *   before it), a row whose live version that transaction wrote (its xmin) is a clean revert; one a
 *   later transaction wrote is a conflict: changed again after the incident, or only after it, which
 *   may be a good write. Without that transaction nothing tells them apart: every such row is for review;
 * - live, not in the copy: written since the target → left alone, counted; those the incident's own
 *   transaction wrote (an INSERT of the bad write, or a row whose key it changed: UPDATE … SET id = …
 *   writes the row anew under its new key, while the copy's row under the old key is put back) are
 *   kept apart and named, for the operator to remove once checked: the patch never deletes.
 * Both sides come as streams in the byte order of the key's text and are walked together (a merge
 * join): what is held is the rows that differ, never a side's table.
 */
import { StepFailed } from '../core/errors.js';
import { byteOrder } from './byte-order.js';
import { parsedRow, type RowText, type TableRow } from './table-rows.js';

export interface ChangedRow {
  copy: TableRow;
  live: TableRow;
}

export interface TableDiff {
  inserts: TableRow[];
  /** Rows the incident's transaction wrote last: their copy values undo it. */
  reverts: ChangedRow[];
  /** Rows another transaction wrote since: reverting them may undo a good write. */
  conflicts: ChangedRow[];
  /** Rows changed since the target, when the incident's transaction is not known. */
  review: ChangedRow[];
  /** Rows written since the target (live only) by other transactions than the incident's: left alone. */
  keptNew: number;
  /** Rows the incident's transaction wrote that the copy does not hold (live only): left alone, named. */
  byIncident: TableRow[];
  unchanged: number;
}

/** The xmin a 32-bit transaction id shows as. */
const asXmin = (xid: string): string => String(BigInt(xid) % 2n ** 32n);

/**
 * A side's rows one at a time, from the batches it reads, refused at the first one not after the one
 * before it: the merge join relies on their order. `take()` serves the batch in hand without an await.
 */
class InKeyOrder {
  private last: string | undefined;
  private readonly batches: AsyncIterator<RowText[]>;
  private batch: RowText[] = [];
  private at = 0;

  constructor(
    rows: AsyncIterable<RowText[]>,
    private readonly side: string,
  ) {
    this.batches = rows[Symbol.asyncIterator]();
  }

  /** The next row of the batch in hand; null when it is used up (then `next()`). */
  take(): RowText | null {
    if (this.at === this.batch.length) return null;
    const row = this.batch[this.at++]!;
    const key = row.keyText;
    if (this.last !== undefined && byteOrder(this.last, key) >= 0) {
      throw new StepFailed(`${this.side} sent the key ${key} after ${this.last}: its rows are not in the byte order of their keys`, {
        hint: 'nothing was compared or written; the server did not sort by the UTF-8 bytes of the key (check the database encoding converts to UTF8), so take the rows from the dumps by hand',
      });
    }
    this.last = key;
    return row;
  }

  /** The next row, reading the next batch when the one in hand is used up; undefined past the last. */
  async next(): Promise<RowText | undefined> {
    for (;;) {
      const row = this.take();
      if (row !== null) return row;
      const r = await this.batches.next();
      if (r.done) return undefined;
      this.batch = r.value;
      this.at = 0;
    }
  }

  /** Stops reading: the side's query is ended. */
  async close(): Promise<void> {
    await this.batches.return?.();
  }
}

/** Compares the copy's rows with the live rows, both in the byte order of their key's text. */
export async function diffStreams(
  copyRows: AsyncIterable<RowText[]>,
  liveRows: AsyncIterable<RowText[]>,
  incidentXid: string | undefined,
  table: string,
): Promise<TableDiff> {
  const d: TableDiff = { inserts: [], reverts: [], conflicts: [], review: [], keptNew: 0, byIncident: [], unchanged: 0 };
  const incident = incidentXid === undefined ? undefined : asXmin(incidentXid);
  const copy = new InKeyOrder(copyRows, `the copy's ${table}`);
  const live = new InKeyOrder(liveRows, `the live ${table}`);
  try {
    let [cr, lr] = await Promise.all([copy.next(), live.next()]);
    for (;;) {
      const order = cr && lr ? byteOrder(cr.keyText, lr.keyText) : 0;
      if (cr && (!lr || order < 0)) {
        d.inserts.push(parsedRow(cr));
        cr = copy.take() ?? (await copy.next());
      } else if (lr && (!cr || order > 0)) {
        if (incident !== undefined && lr.xmin === incident) d.byIncident.push(parsedRow(lr));
        else d.keptNew += 1;
        lr = live.take() ?? (await live.next());
      } else if (cr && lr) {
        if (lr.valuesText === cr.valuesText) d.unchanged += 1;
        else {
          const changed = { copy: parsedRow(cr), live: parsedRow(lr) };
          if (incident === undefined) d.review.push(changed);
          else (lr.xmin === incident ? d.reverts : d.conflicts).push(changed);
        }
        const [c, l] = [copy.take(), live.take()];
        // Only a side whose batch is used up is awaited, both at once.
        [cr, lr] = c && l ? [c, l] : await Promise.all([c ?? copy.next(), l ?? live.next()]);
      } else break;
    }
  } finally {
    // A side that failed, or rows left unread: the other side's query is stopped.
    await Promise.allSettled([copy.close(), live.close()]);
  }
  return d;
}
