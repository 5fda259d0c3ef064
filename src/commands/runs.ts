/** `dingo-recover runs`: the runs in the state folder, newest last. */
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { oneLine } from '../core/display.js';
import { truncate } from '../core/screen-lines.js';
import { messageOf } from '../core/errors.js';
import type { RunSummary } from '../engine/run/index.js';
import type { GlobalArgs } from './flags/global.js';
import { writeJson } from './terminal-out.js';
import { invocation } from '../core/invocation.js';

/** A run as `runs` lists it: its summary, without the journal. */
type RunRow = Pick<
  RunSummary,
  | 'runId'
  | 'mode'
  | 'runbook'
  | 'status'
  | 'stands'
  | 'runningAs'
  | 'service'
  | 'org'
  | 'space'
  | 'createdAt'
  | 'lastEventAt'
  | 'currentStep'
> & {
  stepsDone: number;
  stepCount: number | null;
};

type Row = RunRow | { runId: string; status: 'unreadable'; error: string };

async function listRuns(stateDir: string): Promise<Row[]> {
  const { listRunIds, loadRun } = await import('../engine/run/runs.js');
  return listRunIds(stateDir).map((id): Row => {
    try {
      const r = loadRun(stateDir, id);
      return {
        runId: id,
        mode: r.mode,
        runbook: r.runbook,
        status: r.status,
        stands: r.stands,
        runningAs: r.runningAs,
        service: r.service,
        org: r.org,
        space: r.space,
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

const HEADER = ['RUN', 'MODE', 'SERVICE', 'ORG/SPACE', 'STEPS', 'STATE'];
/** Where a run stands is cut to this on its line; `runs --json` and `show` keep it whole. */
const STATE_WIDTH = 120;

/** A run's columns: what it recovers, for whom, how far it got, and where it stands in words. */
function columns(r: Row): string[] {
  if (!('mode' in r)) return [r.runId, '?', '?', '?', '?', `unreadable: ${r.error}`];
  const where = r.org || r.space ? `${r.org || '?'}/${r.space || '?'}` : '-';
  return [r.runId, r.mode, r.service || '-', where, `${r.stepsDone}/${r.stepCount ?? '?'}`, truncate(r.stands, STATE_WIDTH)];
}

/** The runs as a table under a header, one line each (the last column, where a run stands, as long as it is). */
function table(rows: Row[]): string {
  const cells = [HEADER, ...rows.map(columns)].map((row) => row.map((c) => oneLine(c)));
  const widths = HEADER.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

export const runsCommand = {
  command: 'runs',
  describe: 'List runs in the state folder',
  builder: (y: Argv<GlobalArgs>) => y.example('$0 runs --json', 'runs as JSON'),
  handler: async (argv: GlobalArgs) => {
    const stateDir = argv['state-dir'];
    const list = await listRuns(stateDir);
    if (argv.json) writeJson({ runs: list });
    else if (list.length === 0) invocation().stdout.write(`no runs in ${resolve(stateDir)}\n`);
    else invocation().stdout.write(table(list));
  },
};
