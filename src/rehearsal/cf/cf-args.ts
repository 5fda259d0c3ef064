/** How the simulated cf CLI reads its argv: positional arguments, and flags with or without a value. */

export type CfFlags = Map<string, string | true>;

const VALUE_FLAGS = new Set(['-o', '-s', '-c', '-p', '-X', '-H', '-d', '-t', '-b', '--output']);

export function parseCfArgs(args: string[]): { positional: string[]; flags: CfFlags } {
  const positional: string[] = [];
  const flags: CfFlags = new Map();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-') && a.length > 1) {
      if (VALUE_FLAGS.has(a)) flags.set(a, args[++i] ?? '');
      else flags.set(a, true);
    } else positional.push(a);
  }
  return { positional, flags };
}
