/**
 * `archive mistakes --on-cell`: the base backup before the window restored in the service's own image
 * on a Dingo cell (cell-drill.ts: fetched and checked here, streamed in, stopped as soon as it is
 * consistent), its catalog read by the image's psql, and the WAL streamed with it read by the image's
 * own WAL reader of the archive's major (`pg_xlogdump` before 10, `pg_waldump` from 10), in the same
 * hardened container; an image without that reader is refused before anything is written, naming both.
 * What is read is parsed as here (wal-scan.ts).
 */
import { runCellDrill, type CellCopy, type CellDrillOptions } from './cell-drill.js';
import { scanWal, walReaderProgram, type CatalogRead, type ScanOptions, type WalReader, type WalScan } from './wal-scan.js';

/** Where on a cell: its Docker, the image, the store, the hardening options gone without. */
export type CellPlace = Pick<CellDrillOptions, 'docker' | 'cell' | 'image' | 'cellStore' | 'without'>;

/** What the restore on the cell is given of the command's: the archive, its store, this machine's side. */
type CellRestore = Pick<CellDrillOptions, 'url' | 'store' | 'workdir' | 'processes' | 'redactor' | 'signal' | 'progress'>;

export async function cellMistakes(
  o: CellRestore,
  place: CellPlace,
  scan: Omit<ScanOptions, 'read' | 'database' | 'walDir' | 'reader'>,
): Promise<WalScan> {
  const program = walReaderProgram(scan.major);
  const seen: { result?: WalScan } = {};
  await runCellDrill({
    ...place,
    url: o.url,
    store: o.store,
    workdir: o.workdir,
    processes: o.processes,
    redactor: o.redactor,
    signal: o.signal,
    progress: o.progress,
    backup: scan.backup.name,
    target: { stop: { kind: 'immediate' }, exclusive: false, timeline: 'latest' },
    needs: [{ program, for: `PostgreSQL ${scan.major}'s WAL reader, with which archive mistakes reads the archived WAL` }],
    look: async (copy) => {
      seen.result = await scanWal({
        ...scan,
        read: jsonRows(copy),
        database: 'postgres',
        walDir: copy.walDir,
        reader: cellReader(program, copy, place),
      });
    },
  });
  if (!seen.result) throw new Error('the restored copy was not looked at');
  return seen.result;
}

/**
 * A statement's rows through the image's psql as one JSON document: names of the tenant's (a `|` or
 * a line break in a table's name) cannot shift a column as psql's aligned or unaligned text would.
 */
function jsonRows(copy: CellCopy): CatalogRead {
  return async (sql, database) => {
    const r = await copy.psql(`select coalesce(pg_catalog.json_agg(pg_catalog.row_to_json(q)), '[]') from (${sql}) q`, database);
    if (!r.ok) throw new Error(r.err.split('\n')[0] || 'psql failed');
    // The catalog's columns are names, oids and single characters: text or numbers in JSON.
    return (JSON.parse(r.out) as Record<string, string | number | null>[]).map((row) =>
      Object.values(row).map((v) => (v === null ? '' : String(v))),
    );
  };
}

/** The image's WAL reader over the WAL streamed into the container, as the image's postgres account. */
function cellReader(program: string, copy: CellCopy, place: CellPlace): WalReader {
  return {
    name: `${program} in ${place.image} on ${place.cell}`,
    dump: async (range) => {
      const argv = ['TZ=UTC', 'LC_ALL=C', program, `--path=${copy.cellWalDir}`, `--timeline=${range.timeline}`, `--start=${range.start}`];
      if (range.end) argv.push(`--end=${range.end}`);
      const r = await copy.box.exec(argv);
      return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
    },
  };
}
