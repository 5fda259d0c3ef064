/** The user's answers to the runbook's inputs as the screen shows them: each value in words, and where it came from. */

/** An answer to one of the runbook's inputs, and where it came from. */
export interface AnswerShown {
  name: string;
  prompt: string;
  value: unknown;
  source: 'prompt' | 'answers' | 'default';
}

/** An answer's value in words: a list joined by commas, nothing as "(none)". */
export function answerValue(v: unknown): string {
  return Array.isArray(v) ? v.join(', ') || '(none)' : v === '' ? '(none)' : String(v);
}

/** The answers (none typed at a prompt) packed into lines of at most `width`, a whole answer at a time, so none is split. */
export function packAnswers(shown: AnswerShown[], width: number): string[] {
  const fromFile = shown.some((a) => a.source === 'answers');
  const parts = shown.map(
    (a, i) => `${a.name} ${answerValue(a.value)}${a.source === 'default' ? ' (default)' : ''}${i < shown.length - 1 ? ',' : ''}`,
  );
  const lines = [`The user's answers${fromFile ? ' (answers file)' : ''}:`];
  for (const part of parts) {
    const last = lines[lines.length - 1]!;
    if (last.length + 1 + part.length > width && last.trim()) lines.push(`    ${part}`);
    else lines[lines.length - 1] = `${last} ${part}`;
  }
  return lines;
}
