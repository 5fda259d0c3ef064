/**
 * Flags checked before a command runs, with what the operator most likely meant: a flag given with no
 * value is refused (yargs would hand the command an empty string, and `--scenario` with no folder would
 * start a run on the default one), and an unknown flag is named with the nearest known one, or with ours
 * for what cf, bosh, kubectl and aws-cli users type by habit (`--dry-run`, `--endpoint-url`, `-o json`);
 * a flag of one value given twice is refused (yargs would hand the command both, in an array, where it
 * reads one: which of two endpoints, buckets or moments was meant is the operator's to say).
 */
import { closest, distance } from 'fastest-levenshtein';
import { UsageError } from '../../core/errors.js';

/** Flags of other tools an operator types by habit, and ours that do the same. */
const HABITS: Record<string, string> = {
  'dry-run': 'plan',
  'endpoint-url': 's3-endpoint',
  debug: 'verbose',
  y: 'yes',
  'assume-yes': 'yes',
  force: 'yes',
  o: 'json',
  output: 'json',
  q: 'quiet',
};

interface Known {
  /** Every option's name, its aliases included. */
  names: Set<string>;
  strings: Set<string>;
  /** The options that take several values (`--logs a --logs b`). */
  arrays: Set<string>;
}

/** What yargs hands a middleware as its second argument, and its types do not declare: the command's options. */
interface ParserView {
  getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]>; string: string[]; array: string[] };
}

function knownOf(y: ParserView): Known {
  const o = y.getOptions();
  const names = new Set<string>(Object.keys(o.key));
  for (const [key, aliases] of Object.entries(o.alias)) {
    names.add(key);
    for (const a of aliases) names.add(a);
  }
  return { names, strings: new Set(o.string), arrays: new Set(o.array) };
}

const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const dashed = (name: string): string => (name.length === 1 ? `-${name}` : `--${name}`);

/** The flags typed on the command line, as names without dashes (`--no-x` as `x`, `--a=b` as `a`). */
function typedFlags(args: readonly string[]): string[] {
  const flags: string[] = [];
  for (const arg of args) {
    if (arg === '--') break;
    const long = /^--(?:no-)?([^=]+)/.exec(arg);
    if (long) flags.push(long[1]!);
    else if (/^-[A-Za-z]+$/.test(arg)) flags.push(...arg.slice(1).split(''));
  }
  return flags;
}

function unknownFlag(flag: string, known: Known): UsageError {
  const habit = HABITS[flag];
  if (habit !== undefined && known.names.has(habit)) {
    return new UsageError(`unknown flag ${dashed(flag)}: this command's is ${dashed(habit)}`, { hint: `use ${dashed(habit)}` });
  }
  const long = [...known.names].filter((n) => n.length > 1 && !/[A-Z_]/.test(n));
  const starting = long.filter((n) => n.startsWith(flag));
  const nearest = starting.length === 1 ? starting[0] : long.length ? closest(flag, long) : undefined;
  if (nearest !== undefined && (starting.length === 1 || distance(flag, nearest) <= Math.max(1, Math.floor(flag.length / 4)))) {
    return new UsageError(`unknown flag ${dashed(flag)}: did you mean ${dashed(nearest)}?`, { hint: `use ${dashed(nearest)}` });
  }
  return new UsageError(`unknown flag ${dashed(flag)}`, { hint: 'see --help for the flags this command takes' });
}

/** The before-validation middleware: refuses empty values and a flag of one value given twice, and names unknown flags with what was meant. */
export function flagChecks(args: readonly string[]) {
  return (argv: Record<string, unknown>, ...parser: unknown[]): void => {
    const known = knownOf(parser[0] as ParserView);
    for (const flag of typedFlags(args)) {
      if (!known.names.has(flag) && !known.names.has(camel(flag))) throw unknownFlag(flag, known);
      if (known.strings.has(flag) && argv[flag] === '') {
        throw new UsageError(`${dashed(flag)} needs a value`, { hint: `give ${dashed(flag)} VALUE, or leave the flag out; see --help` });
      }
      const values = argv[flag];
      if (Array.isArray(values) && !known.arrays.has(flag) && !known.arrays.has(camel(flag))) {
        throw new UsageError(`${dashed(flag)} was given ${values.length} times, and takes one value`, {
          hint: `give ${dashed(flag)} once, with the value you mean`,
        });
      }
    }
  };
}
