/** `dingo-recover explain <runbook>`: a runbook step by step: why, what it does, what it changes. */
import type { Argv } from 'yargs';
import type { ActionRegistry, ConfirmDef, Runbook, StepDef } from '../engine/runbook/index.js';
import { actionRegistry } from './action-registry.js';
import { refInWords } from '../engine/operator/index.js';
import type { GlobalArgs } from './flags/global.js';
import { runbookPath } from './package-files.js';
import { invocation } from '../core/invocation.js';

/**
 * What a confirmation accepts, in words: `${steps.x.outputs.instanceGuid}` → "instanceGuid from step x
 * (the first 8 characters do when it is a GUID)". The value is known only when the run gets there.
 */
export function describeConfirm(c: Pick<ConfirmDef, 'typed' | 'alsoAccept'>): string {
  const words = (ref: string): string => {
    const step = /^\$\{steps\.([^.]+)\.outputs\.([^}]+)\}$/.exec(ref);
    if (step) return `${step[2]} from step ${step[1]} (the first 8 characters do when it is a GUID)`;
    const input = /^\$\{inputs\.([^}]+)\}$/.exec(ref);
    return input ? `the ${input[1]} input` : JSON.stringify(ref);
  };
  return words(c.typed) + (c.alsoAccept ? `, or ${words(c.alsoAccept)}` : '');
}

function stepJson(s: StepDef, actions: ActionRegistry): Record<string, unknown> {
  const fe = s.forEach;
  return {
    id: s.id,
    title: s.title,
    why: s.why,
    action: fe ? null : s.action,
    effect: fe ? null : actions.get(s.action)!.effect,
    confirm: s.confirm ?? null,
    ...(s.exclusive === undefined ? {} : { exclusive: s.exclusive }),
    ...(s.from && { from: s.from.name }),
    ...(fe && {
      forEach: {
        items: fe.items,
        key: fe.key ?? null,
        concurrency: fe.concurrency,
        runbook: fe.runbook.name,
        confirmedBy: fe.confirmedBy ?? null,
        inputs: fe.inputs,
        steps: fe.runbook.steps.map((sub) => stepJson(sub, actions)),
      },
    }),
  };
}

function explainJson(rb: Runbook, actions: ActionRegistry): string {
  const explained = {
    name: rb.name,
    title: rb.title,
    inputs: rb.inputs.map(({ line: _l, ...i }) => i),
    steps: rb.steps.map((s) => stepJson(s, actions)),
  };
  return JSON.stringify(explained, null, 2) + '\n';
}

/** A step in words: number, title, what it does, why; a for-each's sub-runbook steps under it. */
function explainStep(s: StepDef, number: string, actions: ActionRegistry, wrap: (text: string, width: number) => string[]): string[] {
  const fe = s.forEach;
  const indent = ' '.repeat(number.length + 2);
  const what = fe
    ? `for each item of ${refInWords(fe.items)}, runbook ${fe.runbook.name}, ${fe.concurrency} at once${fe.confirmedBy ? `, confirmed with step ${fe.confirmedBy}` : ''}`
    : `${s.action}, ${actions.get(s.action)!.effect}${s.confirm ? ', asks for a typed confirmation' : ''}`;
  const lines = ['', `${number}. ${s.title}  [${what}]`, ...wrap(s.why, 86).map((l) => `${indent}${l}`)];
  if (s.confirm?.typedInput)
    lines.push(
      `${indent}confirm id: ${s.id} (type ${describeConfirm(s.confirm)}; never --yes: where no terminal asks, give it as ${describeConfirm({ typed: s.confirm.typedInput })}, or as confirm.${s.id} in an answers file)`,
    );
  else if (s.confirm) lines.push(`${indent}confirm id: ${s.id} (type ${describeConfirm(s.confirm)}; in an answers file: confirm.${s.id})`);
  for (const c of s.choose ?? [])
    lines.push(
      ...wrap(
        `choice: ${c.key} among ${c.candidates}, asked only when nothing settles it (in an answers file: choose.${c.key}); to decide it: ${c.hint}`,
        86,
      ).map((l, i) => `${indent}${i ? '  ' : ''}${l}`),
    );
  if (!fe) return lines;
  lines.push(`${indent}each item's steps are journaled as ${s.id}/KEY/STEP_ID (KEY: ${fe.key ? `the item's ${fe.key}` : 'the item'})`);
  for (const [m, sub] of fe.runbook.steps.entries()) {
    const subLines = [...usedHeading(fe.runbook.steps, m, `${number}.`), ...explainStep(sub, `${number}.${m + 1}`, actions, wrap)].map(
      (l) => (l ? `${indent}${l}` : l),
    );
    if (sub.confirm)
      subLines.push(
        `${indent}${' '.repeat(number.length + 4)}${fe.confirmedBy ? `covered by the confirmation of step ${fe.confirmedBy}; ` : ''}an answers file may say confirm.${sub.id} for every item`,
      );
    lines.push(...subLines);
  }
  return lines;
}

/** Before the first of the steps a `use` inlined: which runbook they come from. */
function usedHeading(steps: StepDef[], i: number, prefix: string): string[] {
  const from = steps[i]!.from;
  if (!from || steps[i - 1]?.from?.file === from.file) return [];
  let last = i;
  while (steps[last + 1]?.from?.file === from.file) last++;
  const which = last === i ? `Step ${prefix}${i + 1} comes` : `Steps ${prefix}${i + 1} to ${prefix}${last + 1} come`;
  return ['', `${which} from runbook ${from.name} (${from.file}):`];
}

/** When an input is asked only as earlier answers say: ` (asked only when into is "service")`. */
function askedOnly(i: Runbook['inputs'][number]): string {
  const said = (when: Record<string, unknown>, is: string): string =>
    Object.entries(when)
      .map(([name, v]) => `${name} ${is} ${JSON.stringify(v)}`)
      .join(is === 'is' ? ' and ' : ' or ');
  const parts = [i.askedWhen && said(i.askedWhen, 'is'), i.askedUnless && said(i.askedUnless, 'is not')].filter(Boolean);
  return parts.length ? ` (asked only when ${parts.join(', and ')})` : '';
}

async function explainText(rb: Runbook, actions: ActionRegistry): Promise<string> {
  const { wrap } = await import('../engine/operator/screen-text.js');
  const lines = [rb.title, '', ...wrap(rb.description, 90), '', 'Asks:'];
  for (const i of rb.inputs)
    lines.push(`  - ${i.prompt}${i.default !== undefined ? ` (default ${JSON.stringify(i.default)})` : ''}${askedOnly(i)}`);
  for (const [n, s] of rb.steps.entries()) lines.push(...usedHeading(rb.steps, n, ''), ...explainStep(s, String(n + 1), actions, wrap));
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
    const { loadRunbook } = await import('../engine/runbook/runbook.js');
    const rb = loadRunbook(runbookPath(argv.runbook), actions);
    invocation().stdout.write(argv.json ? explainJson(rb, actions) : await explainText(rb, actions));
  },
};
