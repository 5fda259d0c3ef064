/** `dingo-recover resume [run-id]`: continue a run where it stopped; changed settings are journaled. */
import { join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { checkTrusted } from '../core/file-trust.js';
import { CONNECTION_FLAGS } from './flags/connection.js';
import { connectionOptions, stealLockOption } from './run/flags.js';
import type { ScenarioRecorder } from '../engine/executor/index.js';
import { recordOption, scenarioRecorder } from './run/record-flag.js';
import { pickRun } from './run/resume-pick.js';
import { runCommand } from './run/command.js';
import { liveFrom, settingsFrom } from './run/settings.js';

export const resumeCommand = runCommand({
  command: 'resume [run-id]',
  describe: 'Continue a run where it stopped (crash, lost SSH, Ctrl-C, another operator)',
  options: (y) =>
    stealLockOption(
      recordOption(connectionOptions(y))
        .positional('run-id', {
          type: 'string',
          describe: 'run to resume (default: the one unfinished run; with several, asked at a terminal)',
        })
        .option('set', {
          type: 'string',
          array: true,
          describe: 'correct an answer a step failed on: key=VALUE (an input no finished step used; journaled with the old value)',
        }),
    ),
  settings: CONNECTION_FLAGS,
  examples: [
    ['$0 resume', 'continue the unfinished run (with several, choose one at a terminal)'],
    ['$0 resume 20260317-180520-ab12 --yes', 'continue that run, accepting confirmations'],
    ['$0 resume --record incident-scenario', 'continue, writing the platform as the run found it first, when it has changed nothing yet'],
    ['$0 resume --container-store-root /var/vcap/store/containers/', 'continue with a setting changed (the change is journaled)'],
    ['$0 resume 20260317-180520-ab12 --set space=important-space', 'correct the answer the failed step used, and continue from it'],
  ],
  choice: async (argv) => {
    const stateDir = argv['state-dir'];
    const id = argv['run-id'] ?? (await pickRun(stateDir));
    // A resume does what the journal says comes next: only a journal no other user may have written.
    const { JOURNAL_FILE } = await import('../engine/run/index.js');
    checkTrusted(join(resolve(stateDir), 'runs', id, JOURNAL_FILE), `journal of run ${id}`);
    let record: ScenarioRecorder | undefined;
    if (argv.record !== undefined) {
      const { loadRun } = await import('../engine/run/runs.js');
      const run = loadRun(stateDir, id);
      if (run.mode !== 'live') {
        throw new UsageError(`--record records a live run; run ${id} is a rehearsal`, {
          hint: `resume it without --record; its scenario is already the one it rehearses`,
        });
      }
      record = await scenarioRecorder(argv.record, run.runbook);
    }
    return {
      resumeId: id,
      override: { settings: settingsFrom(argv), live: liveFrom(argv) },
      stealLock: argv['steal-lock'],
      corrections: argv.set,
      record,
    };
  },
});
