/** The drill's human report: short, aligned, no colours. */
import type { DrillReport } from '../../drill/drill.js';
import { formatDuration } from '../../core/duration.js';
import { formatBytes } from '../../core/format.js';
import { oneLine } from '../../core/display.js';
import { cellDrillLine } from '../../drill/cell-drill.js';
import { ARCHIVE_ENDED_FIRST } from '../../drill/drill-report.js';
import type { CellDrilled } from './on-cell.js';

export function renderDrillReport(r: DrillReport): string {
  const lines: [string, string][] = [
    ['archive', r.archive],
    ['backup', `${r.backup.name} (${r.backup.partitions} partition(s), ${formatBytes(r.backup.expandedSizeBytes)} expanded)`],
    ['backup age', `${formatDuration(r.backup.ageMs)} (finished ${r.backup.finishedAt}, from the ${r.backup.finishedAtSource})`],
    ['postgresql', `archive ${r.postgres.archiveMajor}, restored in ${r.postgres.server}`],
    ['last WAL replayed', `${r.replay.lastSegment ?? 'none from the archive'}${r.replay.lastLsn ? ` at ${r.replay.lastLsn}` : ''}`],
    ['last transaction', r.replay.lastTransactionAt ?? 'unknown (none replayed)'],
    ...targetLines(r),
    [
      'restore took',
      `${formatDuration(r.restore.durationMs)} (base backup ${formatDuration(r.restore.baseBackupMs)}, recovery ${formatDuration(r.restore.recoveryMs)})`,
    ],
    [
      'downloaded',
      `${formatBytes(r.restore.bytesDownloaded)} (base backup ${formatBytes(r.restore.baseBackupBytes)}, ${r.restore.walFilesRestored} WAL file(s) ${formatBytes(r.restore.walBytes)})`,
    ],
    ...r.partials.map((p): [string, string] => [
      'served partial',
      `${p.key.slice(p.key.lastIndexOf('wal_005/'))} as ${p.servedAs} (WAL after the archive's last full segment; wal-e's restore reads it only when copied to that name)`,
    ]),
    ...r.refusedPartials.map((p): [string, string] => [
      'refused partial',
      `${p.key.slice(p.key.lastIndexOf('wal_005/'))}, not served: ${p.why}`,
    ]),
    ['query', r.query.sql],
    ['result', `${r.query.rowCount} row(s)${r.query.expectedRows !== null ? ` (expected ${r.query.expectedRows})` : ''}`],
  ];
  const width = Math.max(...lines.map(([k]) => k.length));
  const out = ['restore drill passed', ...lines.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)];
  for (const row of r.query.rows.slice(0, 5)) out.push(`  ${''.padEnd(width)}  | ${row.join(' | ')}`);
  if (r.query.rowCount > 5) out.push(`  ${''.padEnd(width)}  | ...`);
  if (r.workdir) out.push(`  kept ${r.workdir} (the server is stopped; remove it when done)`);
  return `${out.join('\n')}\n`;
}

/** The moment restored to, and where replay stopped. */
function targetLines(r: DrillReport): [string, string][] {
  const t = r.target;
  if (!t)
    return r.stop
      ? [
          ['restored to', r.stop.target],
          ['replay stopped', r.stop.stopped ?? 'where the server log does not say'],
        ]
      : [];
  return [
    ['restored to', `${t.time} (a transaction committed exactly then is ${t.inclusive ? 'included' : 'left out'})`],
    [
      'replay stopped',
      t.stoppedBefore
        ? `before transaction ${t.stoppedBefore.transaction}, committed ${t.stoppedBefore.at}; the newest kept was committed ${t.lastTransactionAt ?? 'before the base backup ended'}`
        : `at the end of the archived WAL, before the moment: ${ARCHIVE_ENDED_FIRST(t.lastTransactionAt ?? 'the base backup')}`,
    ],
  ];
}

/** The drill on a cell: where it ran, in which image and why that one, and what came back. */
export function renderCellDrillReport(r: CellDrilled): string {
  const from =
    r.ranOn.imageFrom === '--image' ? 'as --image named it' : "the image the cell's running Dingo containers run (its docker ps)";
  const lines: [string, string][] = [
    ['archive', r.archive],
    ['backup', r.backup],
    ['ran on', `cell ${r.cell}, through its Docker`],
    ['image', `${oneLine(r.image)}, ${from}: PostgreSQL ${r.version}`],
    ...(r.ranOn.without.length
      ? [['hardening', `without ${r.ranOn.without.join(', ')} (the cell's Docker refused it; you allowed it)`] as [string, string]]
      : []),
    ['replayed to', r.replayedTo],
    [
      'restored',
      `${r.tables.toLocaleString('en-US')} table(s), ${r.rows.toLocaleString('en-US')} row(s) in ${r.databases.length} database(s)`,
    ],
    ['took', formatDuration(r.durationMs)],
    ...r.removedLeftovers.map((n): [string, string] => ['removed', `${n}, left on the cell by an interrupted drill`]),
  ];
  const width = Math.max(...lines.map(([k]) => k.length));
  return `${[`restore drill passed: ${oneLine(cellDrillLine(r))}`, ...lines.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n')}\n`;
}

/**
 * A drill's warnings, for stderr apart from the report: a line each, shown as one line whatever it
 * quotes (a restored cluster's database names are the tenant's).
 */
export function renderWarnings(warnings: readonly string[]): string {
  return warnings.map((w) => `dingo-recover drill: warning: ${oneLine(w)}\n`).join('');
}
