/**
 * Build step (`npm run build`, after tsc): writes the top-level help that bin/fast-answers.js prints,
 * for no terminal and for each terminal width it answers, gzipped (yargs wraps at the width), with the
 * digest of the modules it was made from; and the command line's shape that a Tab completes from
 * (src/commands/completion/tree.ts).
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { HELP_FILE, HELP_WIDTHS, helpSourcesDigest } from './fast-answers.js';
import { topLevelHelp } from '../dist/src/cli.js';
import { completionTree } from '../dist/src/commands/completion/tree.js';
import { TREE_FILE } from '../dist/src/commands/completion/words.js';

const widths = Array.from({ length: HELP_WIDTHS.max - HELP_WIDTHS.min + 1 }, (_, i) => HELP_WIDTHS.min + i);
const texts = await topLevelHelp(widths);
writeFileSync(HELP_FILE, gzipSync(JSON.stringify({ sources: helpSourcesDigest(), texts }), { level: 9 }));
writeFileSync(TREE_FILE, JSON.stringify(await completionTree()));
