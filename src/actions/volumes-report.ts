/** The closing report of recover-docker-volume: what came back from which volume, where the copy and the dumps are, what is left. */
import { join } from 'node:path';
import { defineAction, type ActionDef, optional, output, required } from '../engine/runbook/index.js';
import { reportOutputs } from './support/params.js';

const report = defineAction({
  name: 'volumes.report',
  onThisHost: true,
  summary: 'Report what was recovered and where it is',
  effect: 'read',
  params: {
    volume: required('string', 'the volume'),
    original: required('string', 'its data folder'),
    copyDir: required('string', 'the copy'),
    newest: optional('string', 'newest timestamp found'),
    verified: required('string[]', 'the verified dumps'),
  },
  outputs: {
    ...reportOutputs,
    summary: output('string', 'what was recovered and what is left to do (Markdown), the head of the incident report'),
  },
  run(ctx, p) {
    const lines = [
      `- Recovered PostgreSQL data from Docker volume ${p.volume}`,
      `- Original data folder (untouched, checked by digest): ${p.original}`,
      `- Working copy (kept): ${p.copyDir}`,
      `- Newest timestamp found in the data: ${p.newest || 'none'}`,
      `- Dumps (pg_dump -Fc), each restored into a scratch server with the same row counts: ${p.verified.join(', ')}`,
      '',
      'Still to do:',
      '',
      '- Restore a dump where it belongs: pg_restore --no-owner -d NEWDB FILE (or with -C to create it).',
      '- Give the database a named volume or a bind mount (`dingo-recover compose audit`), so the next `docker compose down` keeps it.',
      '- Remove the working copy once the user is satisfied; keep the original volume until then.',
    ];
    for (const l of lines.filter(Boolean)) ctx.note(l);
    return Promise.resolve({ reportFile: join(ctx.runDir, 'report.md'), summary: lines.join('\n') });
  },
});

export const volumesReportActions: ActionDef[] = [report];
