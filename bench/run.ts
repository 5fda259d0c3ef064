/**
 * `npm run bench -- <name>...`: the benchmarks, each printing our figure beside its
 * reference tool measured on the same data in the same run. No name runs them all.
 */
const benches: Record<string, () => Promise<string>> = {
  logs: async () => (await import('./logs.js')).benchLogs(),
  inspect: async () => (await import('./swap.js')).benchInspectMoto(),
  swap: async () => (await import('./swap.js')).benchSwap(),
  'swap-sim': async () => (await import('./swap.js')).benchSwap('sim'),
  'swap-moto': async () => (await import('./swap.js')).benchSwap('moto'),
  drill: async () => (await import('./drill.js')).benchDrill(),
  step: async () => (await import('./step.js')).benchStep(),
  startup: async () => (await import('./startup.js')).benchStartup(),
  rehearse: async () => (await import('./startup.js')).benchRehearse(),
  merge: async () => (await import('./merge.js')).benchMerge(),
  'dump-toc': async () => (await import('./dump-toc.js')).benchDumpToc(),
  scratch: async () => (await import('./scratch.js')).benchScratch(),
};

/** What no name runs: each benchmark once. */
const DEFAULT = ['logs', 'swap', 'drill', 'step', 'startup', 'rehearse'];

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !(n in benches));
  if (unknown.length) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')} (known: ${Object.keys(benches).join(', ')})\n`);
    process.exit(2);
  }
  const summary: string[] = [];
  for (const name of names.length ? names : DEFAULT) {
    process.stdout.write(`\n== ${name} ==\n`);
    summary.push(await benches[name]!());
  }
  // Each benchmark's own last line, repeated so the figures close the output.
  process.stdout.write('\n' + summary.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
