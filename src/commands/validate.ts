/** `dingo-recover validate <runbook>`: check a runbook statically, without running it. */
import type { Argv } from 'yargs';
import type { StepDef } from '../engine/runbook/index.js';
import { actionRegistry } from './action-registry.js';
import type { GlobalArgs } from './flags/global.js';
import { runbookPath } from './package-files.js';
import { invocation } from '../core/invocation.js';

/** The runbooks whose steps `use` steps inlined, each with how many of the steps are theirs. */
function usedRunbooks(steps: StepDef[]): { runbook: string; steps: number }[] {
  const count = new Map<string, number>();
  for (const s of steps) if (s.from) count.set(s.from.file, (count.get(s.from.file) ?? 0) + 1);
  return [...count].map(([runbook, n]) => ({ runbook, steps: n }));
}

export const validateCommand = {
  command: 'validate <runbook>',
  describe: 'Check a runbook statically (actions, parameters, references) without running it',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('runbook', { type: 'string', demandOption: true, describe: 'runbook file, or the name of a bundled runbook' })
      .example('$0 validate recover-deleted-service', 'check the bundled runbook')
      .example('$0 validate ./my-runbook.yaml', 'check your own'),
  handler: async (argv: GlobalArgs & { runbook: string }) => {
    const file = runbookPath(argv.runbook);
    const { loadRunbook } = await import('../engine/runbook/runbook.js');
    const rb = loadRunbook(file, await actionRegistry());
    const forEach = rb.steps.flatMap((s) =>
      s.forEach ? [{ step: s.id, runbook: s.forEach.runbook.file, steps: s.forEach.runbook.steps.length }] : [],
    );
    const uses = usedRunbooks(rb.steps);
    if (argv.json)
      invocation().stdout.write(JSON.stringify({ ok: true, file, steps: rb.steps.length, inputs: rb.inputs.length, uses, forEach }) + '\n');
    else {
      invocation().stdout.write(`${file}: ok (${rb.inputs.length} inputs, ${rb.steps.length} steps)\n`);
      for (const u of uses) invocation().stdout.write(`  uses ${u.runbook}: ok (${u.steps} of its steps inlined)\n`);
      for (const f of forEach) invocation().stdout.write(`  for-each step ${f.step} runs ${f.runbook}: ok (${f.steps} steps per item)\n`);
    }
  },
};
