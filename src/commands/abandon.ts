/** `dingo-recover abandon <run-id>`: end a run on the record without finishing it. */
import type { Argv } from 'yargs';
import { commandLine } from '../core/command-line.js';
import { UsageError } from '../core/errors.js';
import { secrets, invocation } from '../core/invocation.js';
import { processRuntime } from '../core/runtime.js';
import { setExitCode } from './exit-code.js';
import type { GlobalArgs } from './flags/global.js';
import { stealLockOption } from './run/flags.js';

/**
 * Why the run ends, kept in its journal: --reason, or asked at a terminal. Without either the
 * operator is told the line that gives it. A run that cannot be abandoned (done, or abandoned
 * already) is not asked about: abandon refuses it first.
 */
async function reasonFor(argv: GlobalArgs & { 'run-id': string; reason?: string }): Promise<string> {
  if (argv.reason !== undefined) return argv.reason;
  const id = argv['run-id'];
  const { loadRun } = await import('../engine/run/index.js');
  const run = loadRun(argv['state-dir'], id);
  if (run.status === 'done' || run.status === 'abandoned') return '';
  const { TerminalPrompter, interactive } = await import('../engine/operator/index.js');
  if (!interactive()) {
    throw new UsageError(`abandon needs a reason: ${commandLine(['abandon', id])} --reason "WHY THE RUN ENDS"`, {
      hint: `the reason is kept in run ${id}'s journal for whoever reads it later`,
    });
  }
  return new TerminalPrompter().input({
    key: 'reason',
    message: `Why does run ${id} end here (kept in its journal)?`,
    validate: (v) => (v.trim() ? true : 'a reason is needed: whoever reads the journal later learns why the run ended'),
  });
}

export const abandonCommand = {
  command: 'abandon <run-id>',
  describe: 'End a run on the record without finishing it, so a fresh recover can start',
  builder: (y: Argv<GlobalArgs>) =>
    stealLockOption(
      y
        .positional('run-id', { type: 'string', demandOption: true })
        .option('reason', { type: 'string', describe: 'why the run is ended (kept in its journal; asked at a terminal)' }),
    ).example(
      '$0 abandon 20260317-180520-ab12 --reason "the space was recreated"',
      'end that run; a new recover may adopt the instance it created',
    ),
  handler: async (argv: GlobalArgs & { 'run-id': string; reason?: string; 'steal-lock': boolean }) => {
    const { abandon } = await import('../engine/run/driver.js');
    const { loadRun } = await import('../engine/run/index.js');
    const { removePrivateCfHome } = await import('../systems/cf-home.js');
    const { removeScratchCopies } = await import('./run/scratch-copies.js');
    const { cellLeftoverLines, cellLeftovers } = await import('./run/cell-leftovers-said.js');
    const runtime = processRuntime(secrets().copy());
    setExitCode(
      abandon({
        stateDir: argv['state-dir'],
        runId: argv['run-id'],
        reason: await reasonFor(argv),
        stealLock: argv['steal-lock'],
        out: invocation().stdout,
        runtime,
      }),
    );
    // An abandoned run is never resumed: a copy of the operator's cf config its last session left goes now,
    // and so do its copies of the user's data.
    const run = loadRun(argv['state-dir'], argv['run-id']);
    removePrivateCfHome(run.dir);
    const plans = [...run.state.steps.values()].map((s) => s.plan ?? {});
    const removed = await removeScratchCopies({ runId: run.runId, runDir: run.dir, scratch: runtime.scratch, plans });
    invocation().stdout.write(removed.length ? `${removed.join('\n')}\n` : "no copy of the user's data was left to remove\n");
    // What a drill made on a cell is there until a resume removes it: abandoned, the run says where and how.
    for (const line of cellLeftoverLines(cellLeftovers(run.events))) invocation().stdout.write(`${line}\n`);
  },
};
