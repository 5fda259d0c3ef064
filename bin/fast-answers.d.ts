/** Types of fast-answers.js, for the tests that import it. */
export declare const HELP_FILE: URL;
export declare const HELP_WIDTHS: { min: number; max: number };
export declare function writtenHelp(columns?: number): string | undefined;
export declare function answerFast(args: readonly string[], out?: { columns?: number; write(text: string): unknown }): boolean;
