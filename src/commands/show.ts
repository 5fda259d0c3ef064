/** `dingo-recover show <run-id>`: a run's transcript, or its incident report. */
import type { Argv } from 'yargs';
import type { Runbook } from '../engine/runbook/index.js';
import { actionRegistry } from './action-registry.js';
import type { GlobalArgs } from './flags/global.js';
import { invocation } from '../core/invocation.js';

/** The run's runbook as it is now; null when it cannot be read (the transcript still lists every step the journal knows). */
async function runbookOrNull(file: string): Promise<Runbook | null> {
  const { loadRunbook } = await import('../engine/runbook/runbook.js');
  try {
    return loadRunbook(file, await actionRegistry());
  } catch {
    return null;
  }
}

export const showCommand = {
  command: 'show <run-id>',
  describe: 'The transcript of a run: steps, commands, exit codes, durations, confirmations',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('run-id', { type: 'string', demandOption: true })
      .option('format', {
        choices: ['text', 'markdown'] as const,
        default: 'text',
        describe: 'markdown: the incident report to paste into the ticket',
      })
      .example('$0 show 20260317-180520-ab12 --json', 'the transcript as JSON')
      .example('$0 show 20260317-180520-ab12 --format markdown', 'the incident report'),
  handler: async (argv: GlobalArgs & { 'run-id': string; format: string }) => {
    const { loadRun } = await import('../engine/run/runs.js');
    const { buildTranscript, renderTranscript, renderTranscriptJson } = await import('../engine/report/transcript.js');
    const run = loadRun(argv['state-dir'], argv['run-id']);
    const t = buildTranscript(run, await runbookOrNull(run.state.created.runbook.file));
    if (argv.format === 'markdown') {
      const { renderIncidentReport } = await import('../engine/report/incident-report.js');
      invocation().stdout.write(renderIncidentReport(t));
      return;
    }
    invocation().stdout.write(argv.json ? renderTranscriptJson(t) : renderTranscript(t));
  },
};
