/** `drill --all`'s report for people: one line per archive in a table, then why each failed. */
import { oneLine } from '../../core/display.js';
import { formatDuration } from '../../core/duration.js';
import type { ArchiveDrilled } from '../../drill/drill-all.js';
import { parseS3Url } from '../../core/s3-url.js';

/** An archive's drill with the Dingo instance its prefix names, and that instance's service name where the clusterdata knows it. */
export interface DrilledArchive extends ArchiveDrilled {
  instance: string | null;
  name: string | null;
}

/** A whole `drill --all`: what `--json` prints (with `ok`), and the table is made of. */
export interface DrillAllRun {
  /** s3://BUCKET/PREFIX/ the archives were looked for under. */
  under: string;
  startedAt: string;
  durationMs: number;
  budgetMs: number | null;
  sample: number | null;
  /** Archives found under it (all of them, sampled or not). */
  found: number;
  /** Folders `archive swap` set aside (`….quarantine-<stamp>/`): not drilled. */
  setAside: string[];
  exitCode: number;
  /** The cell the archives were drilled on (--on-cell), in the image the first drill there ran; null: here. */
  ranOn: { cell: string; image: string | null } | null;
  archives: DrilledArchive[];
}

const HEADINGS = ['PREFIX', 'INSTANCE', 'BACKUP AGE', 'WAL CHAIN', 'RESULT', 'TOOK'] as const;

/** The result as a word or two: `passed`, `not restorable`, `not drilled: budget spent`, `stopped: budget spent`. */
export function resultText(a: ArchiveDrilled): string {
  if (a.result === 'budget-spent' || a.result === 'interrupted') {
    return `${a.drilled ? 'stopped' : 'not drilled'}: ${a.result === 'budget-spent' ? 'budget spent' : 'interrupted'}`;
  }
  return a.result.replace(/-/g, ' ');
}

function row(a: DrilledArchive): string[] {
  return [
    oneLine(parseS3Url(a.archive).prefix),
    a.name !== null ? oneLine(a.name) : '-',
    a.backup ? formatDuration(a.backup.ageMs) : '-',
    a.wal ? oneLine(a.wal.summary) : '-',
    resultText(a),
    a.durationMs === null ? '-' : formatDuration(a.durationMs),
  ];
}

export function renderDrillAll(run: DrillAllRun): string {
  const drilled = run.archives.filter((a) => a.drilled).length;
  const failed = run.archives.filter((a) => a.drilled && a.exitCode !== 0 && a.result !== 'budget-spent' && a.result !== 'interrupted');
  const sampled = run.sample !== null ? ` (a sample of ${run.archives.length} of the ${run.found} found, those drilled longest ago)` : '';
  const budget = run.budgetMs !== null ? ` (budget ${formatDuration(run.budgetMs)})` : '';
  const on = run.ranOn ? ` on cell ${run.ranOn.cell}${run.ranOn.image ? ` in ${oneLine(run.ranOn.image)}` : ''}` : '';
  const out = [
    `drill --all of ${oneLine(run.under)}${on}: ${drilled} of ${run.archives.length} archive(s) drilled${sampled}, ${failed.length} failed, in ${formatDuration(run.durationMs)}${budget}`,
  ];
  if (run.archives.length === 0) out.push(`  no wal-e archive under ${oneLine(run.under)}: nothing there would restore`);
  else {
    const rows = [[...HEADINGS], ...run.archives.map(row)];
    const widths = HEADINGS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) out.push(`  ${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}`);
  }
  for (const a of run.archives.filter((x) => x.drilled && x.exitCode !== 0 && x.message)) {
    out.push(`${oneLine(parseS3Url(a.archive).prefix)}: ${resultText(a)}: ${oneLine(a.message!)}`);
    if (a.hint) out.push(`  what to do: ${oneLine(a.hint)}`);
  }
  if (run.setAside.length > 0) out.push(`set aside by archive swap, not drilled: ${run.setAside.map(oneLine).join(', ')}`);
  return `${out.join('\n')}\n`;
}
