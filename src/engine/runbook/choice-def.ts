/**
 * A choice the step's action asks the operator to make (`choose:` beside `confirm:`): which of the
 * candidates it finds, a moment, whether to go on. The engine decides it (executor/choices.ts): the
 * answers file's `choose.KEY`, else the command line's twin, else a question at a terminal, else the
 * run waits for the operator with `hint`; the action reads the decided value and never asks itself.
 */
export interface ChoiceDef {
  key: string;
  /** Where the candidates come from, in the operator's words (shown with the question). */
  candidates: string;
  /** What the operator does to decide it, shown when the run stops for it. */
  hint: string;
  /** The values it may take when they are known before the run (from the action): an answer is checked against them as it loads. */
  values?: readonly string[];
  line: number;
}
