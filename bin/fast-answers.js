/**
 * What the command line answers without loading yargs and the commands: the version (`--version`,
 * `-v`, `-V`) from package.json, and the top-level help (`--help`, `-h`, or no argument) from the
 * text that `npm run build` wrote from the real yargs definitions (bin/write-top-level-help.js).
 * Every other command line, and any doubt about that text, goes to yargs.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const ROOT = new URL('../', import.meta.url);
/** The help texts: `none` for no terminal (not wrapped), and one for each width of HELP_WIDTHS (gzipped JSON). */
export const HELP_FILE = new URL('dist/src/top-level-help.json.gz', ROOT);
/** The terminal widths the written help covers; a terminal outside them gets yargs. */
export const HELP_WIDTHS = { min: 40, max: 300 };
/**
 * The built modules the help is made from. The text is kept with a digest of their contents, and is used
 * only while they still have it: a build that skipped writing the text makes it stale. Contents, not
 * modification times: npm stamps every file of an installed package with one time.
 */
const HELP_SOURCES = ['dist/src/cli.js', 'dist/src/commands/index.js', 'dist/src/commands/flags/global.js'];

/** The digest of the modules the help is made from, as they are now. */
export function helpSourcesDigest() {
  const hash = createHash('sha256');
  for (const file of HELP_SOURCES) hash.update(readFileSync(new URL(file, ROOT)));
  return hash.digest('hex');
}
const VERSION_FLAGS = ['--version', '-v', '-V'];
const HELP_FLAGS = ['--help', '-h'];

/**
 * The written help text for a terminal of `columns` (undefined: none), if it was written from the
 * modules as they are.
 */
export function writtenHelp(columns) {
  try {
    const { sources, texts } = JSON.parse(gunzipSync(readFileSync(HELP_FILE)).toString('utf8'));
    if (sources !== helpSourcesDigest()) return undefined;
    const text = texts[columns === undefined ? 'none' : String(columns)];
    return typeof text === 'string' ? text : undefined;
  } catch {
    return undefined;
  }
}

function version() {
  return JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')).version;
}

/**
 * Answers `args` if it is `--version`, `--help` or nothing, writing to `out`; returns whether it
 * answered (false: yargs must).
 */
export function answerFast(args, out = process.stdout) {
  if (args.length === 1 && VERSION_FLAGS.includes(args[0])) {
    out.write(`${version()}\n`);
    return true;
  }
  if (args.length > 1 || (args.length === 1 && !HELP_FLAGS.includes(args[0]))) return false;
  // yargs wraps the help at a terminal's width: the text written for that width, if there is one.
  const help = writtenHelp(out.columns);
  if (help === undefined) return false;
  out.write(help);
  return true;
}
