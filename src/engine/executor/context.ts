/**
 * The one context every step receives: the platform (live or simulated), recording
 * wrappers around it, prompts, settings and the operator-facing output.
 */
import type { CellSession, CommandRunner, CommandSpec, CommandResult, ObjectStore, Platform } from '../../core/seams.js';
import type { Journal } from '../journal/journal.js';
import { messageOf } from '../../core/errors.js';
import type { Answers } from '../operator/answers.js';
import type { Redactor } from '../../core/redact.js';
import type { Runtime } from '../../core/runtime.js';
import type { StepScreen } from '../operator/step-screen.js';
import type { Settings } from '../runbook/settings.js';
import type { ChoiceAsker } from './choices.js';

/** A service instance created by a run that was later abandoned: a new run may adopt it. */
export interface AdoptableInstance {
  runId: string;
  instanceGuid: string;
  reason: string;
}

export interface StepContext {
  readonly platform: Platform;
  readonly runId: string;
  readonly runDir: string;
  readonly stepId: string;
  readonly settings: Settings;
  /** The run's clock, environment, redactor and operator: steps read the environment and register secrets here. */
  readonly runtime: Runtime;
  /** The answers file's inputs and secrets; its choices reach the step only through `choose`. */
  readonly answers: Pick<Answers, 'inputs' | 'secrets'>;
  /**
   * The choices the step declares (`choose:`): `choose` decides one (given before the run, else asked
   * at a terminal, else the run waits for the operator), `given` says whether one was given before it is asked.
   */
  readonly choices: ChoiceAsker;
  /** Instances created by abandoned runs of the same state folder. */
  readonly adoptable: readonly AdoptableInstance[];
  /** cf and bosh runners that record every command in the journal. */
  readonly cf: CommandRunner;
  readonly bosh: CommandRunner;
  readonly s3: ObjectStore;
  /** A recorded session to a cell, opened once per run and reused. */
  cell(ip: string): Promise<CellSession>;
  /** Tell the operator something, and keep it in the journal. */
  note(text: string): void;
  /**
   * The step could not do all its work (nothing restored, a check it could not make) and goes on:
   * it ends "done, with a warning" on the screen, in the journal and the report, and the run ends
   * done with warnings. Never for what the operator must fix first: that is a failure.
   */
  warn(why: string): void;
  /** The warnings of this attempt so far. */
  readonly warnings: readonly string[];
  /** Show a piece of evidence behind a decision. */
  evidence(text: string): void;
  /** Progress for long waits (not journaled). */
  progress(text: string): void;
  sleep(ms: number): Promise<void>;
  /** The runtime's clock. */
  now(): Date;
}

/** Wraps a runner so every command is shown and journaled, redacted, with exit code and duration. */
export function recordingRunner(
  inner: CommandRunner,
  system: string,
  journal: Journal,
  reporter: Pick<StepScreen, 'command' | 'commandResult'>,
  redactor: Redactor,
  step: string,
): CommandRunner {
  return {
    where: inner.where,
    async run(spec: CommandSpec): Promise<CommandResult> {
      reporter.command(system, inner.where, spec);
      const argv = spec.sudo ? ['sudo', '-n', ...spec.argv] : spec.argv;
      const record = (outcome: { exitCode: number; durationMs: number; output: string; lost?: true }): void => {
        journal.append({ type: 'command', step, system, where: inner.where, argv, writes: spec.writes, ...outcome });
      };
      const started = performance.now();
      let result: CommandResult;
      try {
        result = await inner.run(spec);
      } catch (err) {
        // Sent, but its answer was lost (a dropped connection): the command may have taken effect.
        record({ exitCode: -1, durationMs: Math.round(performance.now() - started), output: redactor.redact(messageOf(err)), lost: true });
        throw err;
      }
      const output = summarise(result, spec.stdout !== undefined);
      record({ exitCode: result.exitCode, durationMs: result.durationMs, output: redactor.redact(output) });
      reporter.commandResult(result, output);
      return result;
    },
  };
}

/** A short summary of a command's output for the transcript: first and last lines, bounded. */
function summarise(result: CommandResult, streamed: boolean): string {
  const stdout = streamed && result.stdout === '' ? '(standard output read by the step as it came)' : result.stdout.trim();
  const text = [stdout, result.stderr.trim()].filter(Boolean).join('\n');
  const lines = text.split('\n');
  const head = lines.length > 12 ? [...lines.slice(0, 8), `… ${lines.length - 10} more lines …`, ...lines.slice(-2)] : lines;
  return head.map((l) => (l.length > 300 ? l.slice(0, 300) + '…' : l)).join('\n');
}
