/** `dingo-recover abandon <run-id>`: end a run on the record without finishing it. */
import type { Argv } from 'yargs';
import { secrets } from '../core/redact.js';
import { processRuntime } from '../core/runtime.js';
import { setExitCode } from './exit-code.js';
import type { GlobalArgs } from './flags/global.js';
import { stealLockOption } from './run/flags.js';

export const abandonCommand = {
  command: 'abandon <run-id>',
  describe: 'End a run on the record without finishing it, so a fresh recover can start',
  builder: (y: Argv<GlobalArgs>) =>
    stealLockOption(
      y
        .positional('run-id', { type: 'string', demandOption: true })
        .option('reason', { type: 'string', demandOption: true, describe: 'why the run is ended (kept in its journal)' }),
    ).example(
      '$0 abandon 20260317-180520-ab12 --reason "the space was recreated"',
      'end that run; a new recover may adopt the instance it created',
    ),
  handler: async (argv: GlobalArgs & { 'run-id': string; reason: string; 'steal-lock': boolean }) => {
    const { abandon } = await import('../engine/run/driver.js');
    const { loadRun } = await import('../engine/run/index.js');
    const { removePrivateCfHome } = await import('../systems/cf-home.js');
    setExitCode(
      abandon({
        stateDir: argv['state-dir'],
        runId: argv['run-id'],
        reason: argv.reason,
        stealLock: argv['steal-lock'],
        out: process.stdout,
        runtime: processRuntime(secrets.copy()),
      }),
    );
    // An abandoned run is never resumed: a copy of the operator's cf config its last session left goes now.
    removePrivateCfHome(loadRun(argv['state-dir'], argv['run-id']).dir);
  },
};
