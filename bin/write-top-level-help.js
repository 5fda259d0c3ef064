/** Build step (`npm run build`, after tsc): writes the top-level help that bin/fast-answers.js prints. */
import { writeFileSync } from 'node:fs';
import { HELP_FILE } from './fast-answers.js';
import { topLevelHelp } from '../dist/src/cli.js';

writeFileSync(HELP_FILE, await topLevelHelp());
