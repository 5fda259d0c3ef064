/** What the executor tells the operator's screen about a step: the reporter for the run's own steps, an item screen for a for-each item's. */
import type { CommandResult, CommandSpec } from '../../core/seams.js';

/** The mark of a step that ended done, with a warning. */
export const WARNED_MARK = '⚠';

/** A warned step's status text: the words say it where no colour or mark is seen. */
export function warnedText(warnings: readonly string[]): string {
  return `done, with a warning: ${warnings.join('; ')}`;
}

export interface StepScreen {
  readonly verbose: boolean;
  stepHeader(index: number, total: number, title: string, why: string): void;
  command(system: string, where: string, spec: CommandSpec): void;
  commandResult(result: CommandResult, summary: string): void;
  api(text: string): void;
  evidence(text: string): void;
  /** The facts a confirmation is about; `asked`: the operator is asked to confirm them now. */
  confirmation(facts: Record<string, string>, asked?: boolean): void;
  confirmedBy(text: string, seen?: boolean): void;
  note(text: string): void;
  notice(text: string): void;
  progress(text: string): void;
  done(text: string, durationMs?: number): void;
  /** The step did all it could but not all its work: "done, with a warning: WHY", in a mark and colour of its own. */
  warned(warnings: readonly string[], durationMs?: number): void;
  skipped(text: string, notice?: string): void;
  failed(text: string, hint?: string, durationMs?: number): void;
  /** The step waits for the operator (an answer, a choice or a confirmation with no terminal to ask on). */
  waiting(text: string, durationMs?: number): void;
  stopped(): void;
}
