/**
 * What a command that is not a run writes (a drill's report, an archive's, a volume's, an error):
 * text from outside (tenant names, S3 keys, database names, server messages, log lines) with its
 * control characters shown as escapes, so none can hide, recolour or rewrite what the operator
 * reads (`ESC[8m` hiding a warning, a carriage return overwriting a line); JSON with the controls
 * JSON itself leaves raw escaped too. A run's screen does the same in engine/operator/screen-lines.ts.
 */
import { printable, printableJson } from '../core/display.js';
import { invocation } from '../core/invocation.js';

/** Text to stdout, printable. */
export function writeOut(text: string): void {
  invocation().stdout.write(printable(text));
}

/** Text to stderr, printable. */
export function writeErr(text: string): void {
  invocation().stderr.write(printable(text));
}

/** A value as indented JSON on stdout, printable (it parses back to the same value). */
export function writeJson(value: unknown): void {
  invocation().stdout.write(printableJson(value, 2) + '\n');
}

/** Where a command that is not a run writes: its two streams, which a test may replace. */
export interface CommandOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** The screen's two streams, printable. */
export const screenOutput: CommandOutput = { stdout: writeOut, stderr: writeErr };
