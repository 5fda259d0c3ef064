#!/usr/bin/env node
import { answerFast } from './fast-answers.js';

const args = process.argv.slice(2);
// `--version` and the top-level help are answered before the command line parser loads.
if (!answerFast(args)) {
  const { main } = await import('../dist/src/cli.js');
  process.exitCode = await main(args);
}
