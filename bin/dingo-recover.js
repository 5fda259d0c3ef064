#!/usr/bin/env node
import { answerFast } from './fast-answers.js';

const args = process.argv.slice(2);
// `--version`, the top-level help and a Tab's completions are answered before the command line parser loads.
if (args[0] === '__complete') {
  const { printCompletions } = await import('../dist/src/commands/completion/words.js');
  printCompletions(args.slice(1));
} else if (!answerFast(args)) {
  const { main } = await import('../dist/src/cli.js');
  process.exitCode = await main(args);
}
