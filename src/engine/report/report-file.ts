/** The incident report kept in the run's folder, written when a run is done. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderIncidentReport } from './incident-report.js';
import type { Runbook } from '../runbook/runbook.js';
import { loadRun } from '../run/runs.js';
import { buildTranscript } from './transcript.js';
import type { Transcript } from './transcript-model.js';

export const REPORT_FILE = 'report.md';

/** Writes the run's incident report (Markdown) into its folder; its path, and the transcript it was written from. */
export function writeIncidentReport(stateDir: string, runId: string, runbook: Runbook | null): { file: string; transcript: Transcript } {
  const run = loadRun(stateDir, runId);
  const file = join(run.dir, REPORT_FILE);
  const transcript = buildTranscript(run, runbook);
  writeFileSync(file, renderIncidentReport(transcript), { mode: 0o600 });
  return { file, transcript };
}
