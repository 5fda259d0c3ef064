/**
 * A fake executable's script bundled with esbuild into one plain .mjs, which node starts in a
 * tenth of a second: through tsx's loader, compiling the TypeScript it imports takes three to five
 * times that on every call, and a live run makes a hundred of them.
 */
import { chmodSync } from 'node:fs';
import { buildSync } from 'esbuild';

/**
 * Bundles `entry` and what it imports (node's built-ins left out) into `outfile`, readable by every
 * user. A native addon cannot be bundled: it is left out, as the packages that may load one (ssh2,
 * under dockerode) load it in a try and go on without it.
 */
export function bundleScript(entry: string, outfile: string): void {
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'error', external: ['*.node'] });
  chmodSync(outfile, 0o644);
}
