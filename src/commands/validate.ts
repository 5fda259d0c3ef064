/** `dingo-recover validate <runbook>`: check a runbook statically, without running it. */
import type { Argv } from 'yargs';
import { actionRegistry } from './action-registry.js';
import type { GlobalArgs } from './global-options.js';
import { runbookPath } from './package-files.js';

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
    const { loadRunbook } = await import('../engine/runbook.js');
    const rb = loadRunbook(file, await actionRegistry());
    const forEach = rb.steps.flatMap((s) =>
      s.forEach ? [{ step: s.id, runbook: s.forEach.runbook.file, steps: s.forEach.runbook.steps.length }] : [],
    );
    if (argv.json)
      process.stdout.write(JSON.stringify({ ok: true, file, steps: rb.steps.length, inputs: rb.inputs.length, forEach }) + '\n');
    else {
      process.stdout.write(`${file}: ok (${rb.inputs.length} inputs, ${rb.steps.length} steps)\n`);
      for (const f of forEach) process.stdout.write(`  for-each step ${f.step} runs ${f.runbook}: ok (${f.steps} steps per item)\n`);
    }
  },
};
