/** A plain-text summary of an ArchiveReport for operators: verdict and problems first. */
import type { ArchiveReport, BaseBackupInfo } from '../../wale/report.js';
import { formatBytes } from '../../core/format.js';

export function renderReport(r: ArchiveReport): string {
  const lines: string[] = [];
  const row = (label: string, value: string): void => {
    lines.push(`${label.padEnd(13)} ${value}`);
  };
  row('Archive', `${r.prefix} (${r.layout}${r.pgVersion ? `, PostgreSQL ${r.pgVersion}` : ''})`);
  if (r.restorable) {
    const when = r.restorableToAt ? `, archived ${r.restorableToAt}` : '';
    row('Restorable', `yes: ${r.latest!.name}, replayed up to ${r.restorableTo}${when}`);
    if (r.lost) row('Complete', `NO: WAL ${r.lost.from} .. ${r.lost.to} cannot be replayed; what it holds is lost`);
  } else {
    row('Restorable', 'NO');
  }
  for (const p of r.problems) lines.push(`  problem: ${p}`);
  if (r.latest) row('LATEST', backupLine(r.latest));
  if (r.latestBySegment && r.latestBySegment !== r.latest && r.latestBySegment.name !== r.latest?.name) {
    row('Newest start', backupLine(r.latestBySegment));
  }
  const complete = r.baseBackups.filter((b) => b.complete).length;
  row('Base backups', `${r.baseBackups.length} (${complete} complete)`);
  if (r.firstSegment) {
    const tls = r.timelines.length > 0 ? `, timeline${r.timelines.length > 1 ? 's' : ''} ${r.timelines.join(', ')}` : '';
    row('WAL', `${r.firstSegment} .. ${r.lastSegment} (${r.walSegments} segments${tls}), newest ${r.lastSegmentAt}`);
  } else {
    row('WAL', 'none');
  }
  if (r.gaps.length > 0) {
    const shown = r.gaps.slice(0, 3).map((g) => (g.count === 1 ? g.from : `${g.from}..${g.to} (${g.count})`));
    row('Gaps', shown.join(', ') + (r.gaps.length > 3 ? `, and ${r.gaps.length - 3} more` : ''));
  }
  if (r.lastMoment) row('Last moment', `${r.lastMoment.at} (${r.lastMoment.source}): later writes are not in the archive`);
  for (const p of r.partials) {
    row(
      'Partial',
      `${p.key.slice(p.key.lastIndexOf('wal_005/'))} ${p.usable ? `checked: can stand in for ${p.segment}` : p.supersededBy !== null ? `left behind: ${p.why}` : `refused: ${p.why}`}`,
    );
  }
  row('sysid', r.sysid ?? 'missing');
  row('Objects', `${r.objects} (${formatBytes(r.bytes)}), ${r.fingerprint.slice(0, 19)}`);
  return lines.join('\n') + '\n';
}

function backupLine(b: BaseBackupInfo): string {
  const size = b.expandedSizeBytes === null ? '' : `, ${formatBytes(b.expandedSizeBytes)}`;
  const parts = `${b.partitions.length} partition${b.partitions.length === 1 ? '' : 's'}`;
  return `${b.name}, stop ${b.stopSegment ?? '?'}, sentinel ${b.lastModified ?? 'missing'}${size}, ${parts}`;
}
