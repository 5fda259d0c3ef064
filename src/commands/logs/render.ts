/**
 * Human-readable rendering of the finder's results. Log lines and names come from the platform
 * and may hold terminal controls: each rendered line is made printable, its newlines included.
 */
import { printable } from '../../core/display.js';
import { describeSearch } from '../../logs/find.js';
import { spaceProof } from '../../logs/choice.js';
import type { Candidate, InstanceFacts, LeftOut } from '../../logs/types.js';
import { lastWalText } from '../../logs/instance-state.js';
import type { SearchReport } from '../../core/log-source.js';

export function renderCandidates(candidates: Candidate[], searched: SearchReport, otherSpace: LeftOut[] = []): string {
  const out: string[] = [];
  candidates.forEach((c, i) => {
    out.push(`${i + 1}. ${c.instanceGuid}  ${c.serviceName ?? '(name unknown)'}  confidence: ${c.confidence}`);
    out.push(`   space:        ${spaceProof(c)}`);
    out.push(`   created:      ${c.createdAt ?? 'not seen'}`);
    out.push(`   deleted:      ${c.deletedAt ?? 'not seen'}`);
    out.push(`   archive:      ${archiveLine(c)}`);
    out.push(`   nodes:        ${c.nodes.map((n) => `cf-${n.nodeUuid}${n.cell ? ` on ${n.cell}` : ''}`).join(', ') || 'none seen'}`);
    out.push('   evidence:');
    for (const e of c.evidence) {
      out.push(`   - ${e.why}`);
      if (e.line) out.push(`       ${truncate(e.line, 400)}`, `       (${e.source})`);
    }
    out.push('');
  });
  for (const o of otherSpace) out.push(`set aside: ${o.instanceGuid}  ${o.serviceName ?? '(name unknown)'}: ${o.why}`);
  if (otherSpace.length) out.push('');
  out.push(...renderSearched(searched));
  return out.map(oneLine).join('\n') + '\n';
}

/** The archive the wal-e lines name, or the several they name, and the last WAL upload seen. */
function archiveLine(f: Pick<InstanceFacts, 'archivePrefix' | 'archivePrefixes' | 'lastWalUploadAt' | 'lastWalPushAt'>): string {
  const named =
    f.archivePrefix ??
    (f.archivePrefixes.length > 1
      ? `${String(f.archivePrefixes.length)} named, none taken: ${f.archivePrefixes.join(', ')} (the evidence shows each; --wal-bucket names the platform's)`
      : 'no wal-e upload seen');
  const wal = lastWalText(f);
  return `${named}${wal ? ` (${wal})` : ''}`;
}

export function renderInstance(f: InstanceFacts): string {
  const out = [
    `instance:  ${f.instanceGuid}`,
    `created:   ${f.createdAt ?? 'not seen'}`,
    `archive:   ${archiveLine(f)}`,
    `nodes:     ${f.nodes.map((n) => `cf-${n.nodeUuid}${n.cell ? ` on ${n.cell}` : ''}`).join(', ') || 'none seen'}`,
    'evidence:',
  ];
  for (const e of f.evidence) out.push(`- ${e.why}`, `    ${truncate(e.line, 400)}`, `    (${e.source})`);
  out.push('', ...renderSearched(f.searched));
  return out.map(oneLine).join('\n') + '\n';
}

/** What was searched, notes and problems, one display-safe line each. */
export function renderSearched(r: SearchReport): string[] {
  const out = [describeSearch(r)];
  for (const w of r.warnings) out.push(`warning: ${w}`);
  for (const n of r.notes) out.push(`note: ${n}`);
  for (const p of r.problems) out.push(`problem: ${p}`);
  const more = r.skippedTotal - r.problems.length;
  if (more > 0) out.push(`problem: … and ${more} more (--json lists the first ${r.skipped.length})`);
  return out.map(oneLine);
}

/** One display line: control characters escaped, and a newline inside it too (it would fake a line of output). */
function oneLine(s: string): string {
  return printable(s).replace(/\n/g, '\\n');
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
