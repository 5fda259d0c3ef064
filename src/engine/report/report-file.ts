/** The incident report kept in the run's folder, written when a run is done. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderIncidentReport } from './incident-report.js';
import type { Runbook } from '../runbook/runbook.js';
import { loadRun } from '../run/runs.js';
import { buildTranscript } from './transcript.js';

export const REPORT_FILE = 'report.md';

/** Writes the run's incident report (Markdown) into its folder, and returns its path. */
export function writeIncidentReport(stateDir: string, runId: string, runbook: Runbook | null): string {
  const run = loadRun(stateDir, runId);
  const file = join(run.dir, REPORT_FILE);
  writeFileSync(file, renderIncidentReport(buildTranscript(run, runbook)), { mode: 0o600 });
  return file;
}
