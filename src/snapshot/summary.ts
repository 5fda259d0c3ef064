/** What a snapshot says it wrote: the folder, each file and its size, what it holds, what it could not read. */
import { relative } from 'node:path';
import { commandLine } from '../core/command-line.js';
import { formatBytes } from '../core/format.js';
import type { SnapshotSummary } from './snapshot.js';

export function renderSummary(s: SnapshotSummary): string {
  const lines = [
    `wrote the scenario ${s.dir} (mode 0700; secrets replaced by stand-ins):`,
    ...s.written.map((w) => `  ${relative(s.dir, w.path)}  ${formatBytes(w.bytes)}`),
    `it holds: ${String(s.logs.lines)} log line(s) (${formatBytes(s.logs.bytes)}), ${String(s.candidates.length)} deleted-instance candidate(s)` +
      `${s.candidates.length ? ` (${s.candidates.join(', ')})` : ''}, ${String(s.objects)} archive object listing(s), ` +
      `${String(s.containers)} container(s), ${String(s.etcdKeys)} etcd key(s)`,
  ];
  if (s.logs.dropped) lines.push(`left out ${String(s.logs.dropped)} matching log line(s) past the size bound`);
  for (const g of s.gaps) lines.push(`not read: ${g}`);
  lines.push(`rehearse it: ${commandLine(['rehearse', '--scenario', s.dir])}`);
  return lines.join('\n') + '\n';
}
