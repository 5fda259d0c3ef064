/**
 * The actions as a replay gives them to the executor: every entry point refuses the call, naming the
 * step and the entry point, so no action's code runs, whatever the journal it replays holds.
 */
import type { ActionDef } from '../runbook/action.js';
import type { ActionRegistry } from '../runbook/runbook-model.js';
import type { StepContext } from './context.js';
import { refuse } from './replay-seams.js';

/** What the executor called of an action: the step (its full id) and the entry point. */
export interface ActionCall {
  step: string;
  entry: 'prepare' | 'run' | 'probe' | 'evidence' | 'reassert';
}

/**
 * The actions as a replay runs them: each entry point the executor calls is told to `seen`, then
 * refused before any of the action's code runs (an action may reach the machine's files and
 * programs directly, past the platform). A reassert is told and answered, so the replay goes on to
 * the steps after it: what a re-established target would have been is the platform's to say.
 */
export function refusingActions(actions: ActionRegistry, seen: (call: ActionCall) => void): ActionRegistry {
  const wrap = (a: ActionDef): ActionDef => {
    const entry =
      (name: Exclude<ActionCall['entry'], 'reassert'>) =>
      (ctx: StepContext): never => {
        seen({ step: ctx.stepId, entry: name });
        return refuse(`step ${ctx.stepId}: the action ${a.name}'s ${name}`);
      };
    return {
      ...a,
      run: entry('run'),
      prepare: a.prepare && entry('prepare'),
      probe: a.probe && entry('probe'),
      evidence: a.evidence && entry('evidence'),
      reassert:
        a.reassert &&
        ((ctx: StepContext) => {
          seen({ step: ctx.stepId, entry: 'reassert' });
          return Promise.resolve(`not re-established (replay): the action ${a.name}'s reassert`);
        }),
    };
  };
  return new Map([...actions].map(([name, a]) => [name, wrap(a)]));
}
