/** `dingo-recover runs`: the runs in the state folder, newest last. */
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { messageOf } from '../core/errors.js';
import type { RunSummary } from '../engine/runs.js';
import type { GlobalArgs } from './global-options.js';

/** A run as `runs` lists it: its summary, without the journal. */
type RunRow = Pick<RunSummary, 'runId' | 'mode' | 'runbook' | 'status' | 'createdAt' | 'lastEventAt' | 'currentStep'> & {
  stepsDone: number;
  stepCount: number | null;
};

type Row = RunRow | { runId: string; status: 'unreadable'; error: string };

async function listRuns(stateDir: string): Promise<Row[]> {
  const { listRunIds, loadRun } = await import('../engine/runs.js');
  return listRunIds(stateDir).map((id): Row => {
    try {
      const r = loadRun(stateDir, id);
      return {
        runId: id,
        mode: r.mode,
        runbook: r.runbook,
        status: r.status,
        createdAt: r.createdAt,
        lastEventAt: r.lastEventAt,
        currentStep: r.currentStep,
        stepsDone: r.steps.finished,
        stepCount: r.steps.total,
      };
    } catch (err) {
      return { runId: id, status: 'unreadable', error: messageOf(err) };
    }
  });
}

function runLine(r: Row): string {
  const about =
    'mode' in r
      ? `${r.mode}  ${r.runbook}  steps ${r.stepsDone}/${r.stepCount ?? '?'}${r.currentStep ? `  at ${r.currentStep}` : ''}`
      : r.error;
  return `${r.runId}  ${r.status.padEnd(11)} ${about}\n`;
}

export const runsCommand = {
  command: 'runs',
  describe: 'List runs in the state folder',
  builder: (y: Argv<GlobalArgs>) => y.example('$0 runs --json', 'runs as JSON'),
  handler: async (argv: GlobalArgs) => {
    const stateDir = argv['state-dir'];
    const list = await listRuns(stateDir);
    if (argv.json) process.stdout.write(JSON.stringify({ runs: list }, null, 2) + '\n');
    else if (list.length === 0) process.stdout.write(`no runs in ${resolve(stateDir)}\n`);
    else for (const r of list) process.stdout.write(runLine(r));
  },
};
