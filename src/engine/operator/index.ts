/** The operator: answers and their checks, prompts and confirmations, and the screen (one line a step, the live line, a for-each item's lines, the closing lines). What the rest of the program uses of it comes through here. */
export { type Answers, loadAnswers } from './answers.js';
export { checkAnswers, checkChoiceKeys, confirmIds } from './answers-check.js';
export { confirmationMatches, describeExpected } from './confirmation.js';
export { type Prompter, TerminalPrompter, UnattendedPrompter } from './prompts.js';
export { Reporter } from './reporter.js';
export { type ReporterOptions } from './reporter-options.js';
export { headline, refInWords } from './screen-text.js';
export { interactive } from './terminal.js';
