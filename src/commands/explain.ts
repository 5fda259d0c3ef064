/** `dingo-recover explain <runbook>`: a runbook step by step: why, what it does, what it changes. */
import type { Argv } from 'yargs';
import type { ActionRegistry, ConfirmDef, Runbook } from '../engine/runbook.js';
import { actionRegistry } from './action-registry.js';
import type { GlobalArgs } from './global-options.js';
import { runbookPath } from './package-files.js';

/** What a confirmation accepts, in words: `${steps.x.outputs.instanceGuid}` → "the first 8 characters of x's instanceGuid". */
export function describeConfirm(c: Pick<ConfirmDef, 'typed' | 'alsoAccept'>): string {
  const words = (ref: string): string => {
    const step = /^\$\{steps\.([^.]+)\.outputs\.([^}]+)\}$/.exec(ref);
    if (step) return `the first 8 characters of ${step[2]} from step ${step[1]}`;
    const input = /^\$\{inputs\.([^}]+)\}$/.exec(ref);
    return input ? `the ${input[1]} input` : JSON.stringify(ref);
  };
  return words(c.typed) + (c.alsoAccept ? `, or ${words(c.alsoAccept)}` : '');
}

function explainJson(rb: Runbook, actions: ActionRegistry): string {
  const explained = {
    name: rb.name,
    title: rb.title,
    inputs: rb.inputs.map(({ line: _l, ...i }) => i),
    steps: rb.steps.map((s) => ({
      id: s.id,
      title: s.title,
      why: s.why,
      action: s.action,
      effect: actions.get(s.action)!.effect,
      confirm: s.confirm ?? null,
    })),
  };
  return JSON.stringify(explained, null, 2) + '\n';
}

async function explainText(rb: Runbook, actions: ActionRegistry): Promise<string> {
  const { wrap } = await import('../engine/screen-text.js');
  const lines = [rb.title, '', ...wrap(rb.description, 90), '', 'Asks:'];
  for (const i of rb.inputs) lines.push(`  - ${i.prompt}${i.default !== undefined ? ` (default ${JSON.stringify(i.default)})` : ''}`);
  for (const [n, s] of rb.steps.entries()) {
    const a = actions.get(s.action)!;
    lines.push('', `${n + 1}. ${s.title}  [${s.action}, ${a.effect}${s.confirm ? ', asks for a typed confirmation' : ''}]`);
    for (const l of wrap(s.why, 86)) lines.push(`   ${l}`);
    if (s.confirm) lines.push(`   confirm id: ${s.id} (type ${describeConfirm(s.confirm)}; in an answers file: confirm.${s.id})`);
  }
  return lines.join('\n') + '\n';
}

export const explainCommand = {
  command: 'explain <runbook>',
  describe: 'Explain a runbook step by step: why, what it does, what it changes',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('runbook', { type: 'string', demandOption: true })
      .example('$0 explain recover-deleted-service', 'walk through the bundled runbook'),
  handler: async (argv: GlobalArgs & { runbook: string }) => {
    const actions = await actionRegistry();
    const { loadRunbook } = await import('../engine/runbook.js');
    const rb = loadRunbook(runbookPath(argv.runbook), actions);
    process.stdout.write(argv.json ? explainJson(rb, actions) : await explainText(rb, actions));
  },
};
