/**
 * A lone `-` (stdin) among the values of a flag that takes several: yargs ends a flag's list of values
 * at the first word that starts with a dash, `-` included, and then refuses `-` as an unknown argument,
 * so `--logs -` and `--logs a.log -` failed where `--logs=-` worked. Each such `-` is given to its flag
 * as `--FLAG=-`, which yargs adds to the same list.
 */
const TAKE_STDIN: ReadonlySet<string> = new Set(['--logs']);

/** `args` with every lone `-` that follows a flag of TAKE_STDIN (`--FLAG` or `--FLAG=V`, and its values so far) written as `--FLAG=-`. */
export function stdinValues(args: readonly string[]): string[] {
  let open: string | undefined;
  const out: string[] = [];
  for (const arg of args) {
    if (arg === '--') {
      // After `--` every word is an operand, as yargs reads it.
      out.push(...args.slice(out.length));
      return out;
    }
    if (arg === '-' && open) out.push(`${open}=-`);
    else {
      out.push(arg);
      const flag = arg.split('=')[0]!;
      if (TAKE_STDIN.has(flag)) open = flag;
      else if (arg.startsWith('-')) open = undefined;
    }
  }
  return out;
}
