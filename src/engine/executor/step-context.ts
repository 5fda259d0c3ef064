/** The context each step runs with: the platform through recording wrappers that journal under the step's own id. */
import type { CellSession } from '../../core/seams.js';
import { recordingRunner, type StepContext } from './context.js';
import type { ExecuteOptions } from './options.js';
import type { Prompter } from '../operator/prompts.js';
import { recordingStore } from './recording-store.js';
import { choiceAsker } from './choices.js';
import type { ChoiceDef } from '../runbook/runbook-model.js';
import type { StepScreen } from '../operator/step-screen.js';

export interface Contexts {
  contextFor(stepId: string, screen: StepScreen, prompts: Prompter, choose?: readonly ChoiceDef[]): StepContext;
  /** Closes the cell sessions opened. */
  close(): Promise<void>;
}

/** Contexts sharing one session per cell; each records its commands under its own step (steps of items run at once). */
export function stepContexts(opts: ExecuteOptions): Contexts {
  const { journal, platform, runtime } = opts;
  const { redactor } = runtime;
  const cells = new Map<string, Promise<CellSession>>();
  const openCell = (ip: string): Promise<CellSession> => {
    let session = cells.get(ip);
    if (!session) {
      session = platform.cells.open(ip);
      session.catch(() => cells.delete(ip));
      cells.set(ip, session);
    }
    return session;
  };
  const contextFor = (stepId: string, screen: StepScreen, prompts: Prompter, choose: readonly ChoiceDef[] = []): StepContext => {
    const warnings: string[] = [];
    const sources = opts.choices ?? { given: {} };
    return {
      platform,
      runId: opts.runId,
      runDir: opts.runDir,
      stepId,
      settings: opts.settings,
      runtime,
      answers: { inputs: opts.answers.inputs, secrets: opts.answers.secrets },
      choices: choiceAsker({ runId: opts.runId, stepId, declared: choose, sources, prompts, journal }),
      adoptable: opts.adoptable ?? [],
      cf: recordingRunner(platform.cf, 'cf', journal, screen, redactor, stepId),
      bosh: recordingRunner(platform.bosh, 'bosh', journal, screen, redactor, stepId),
      s3: recordingStore(platform.s3, screen),
      async cell(ip: string): Promise<CellSession> {
        const inner = await openCell(ip);
        const rec = recordingRunner(inner, 'cell', journal, screen, redactor, stepId);
        return { where: inner.where, run: (spec) => rec.run(spec), etcd: (hp: string) => inner.etcd(hp), close: () => inner.close() };
      },
      warn(why: string): void {
        warnings.push(why);
      },
      warnings,
      note(text: string): void {
        screen.note(text);
        journal.append({ type: 'note', step: stepId, text });
      },
      evidence(text: string): void {
        screen.evidence(text);
        journal.append({ type: 'note', step: stepId, text: `evidence: ${text}` });
      },
      progress(text: string): void {
        screen.progress(text);
      },
      sleep: (ms: number) => opts.sleep(ms),
      now: () => runtime.clock.now(),
    };
  };
  const close = async (): Promise<void> => {
    for (const s of cells.values()) await s.then((c) => c.close()).catch(() => undefined);
  };
  return { contextFor, close };
}
