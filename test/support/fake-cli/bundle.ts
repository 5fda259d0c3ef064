/**
 * A fake executable's script bundled with esbuild into one plain .mjs, which node starts in a
 * tenth of a second: through tsx's loader, compiling the TypeScript it imports takes three to five
 * times that on every call, and a live run makes a hundred of them.
 *
 * A bundle is kept for the test run, in the run's folder (ENV_PARENT_VAR, suite-setup.ts), by the
 * content of every file that went into it: each live case bundles the same scripts again, and
 * esbuild took a CPU-second of each live test file. A change to any of those files bundles again.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { ENV_PARENT_VAR } from '../test-environment.js';
import { writeWhole } from '../write-whole.js';

/** What a kept bundle was made of: the files esbuild read (from the working folder), and their digest. */
interface Kept {
  inputs: string[];
  digest: string;
}

/** The digest of ENTRY's name and of the name and text of each file in INPUTS. */
const digestOf = (entry: string, inputs: readonly string[]): string => {
  const h = createHash('sha256').update(entry);
  for (const file of inputs) h.update(`\0${file}\0`).update(readFileSync(file));
  return h.digest('hex');
};

/** The run's bundle folder, or undefined outside a test run (a bench): then each bundle is made anew. */
function keptDir(): string | undefined {
  const parent = process.env[ENV_PARENT_VAR];
  if (!parent) return undefined;
  const dir = join(parent, 'bundles');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The kept bundle of `entry` in `dir` when every file it was made of is as it was, else undefined. */
function keptBundle(dir: string, entry: string, name: string): string | undefined {
  try {
    const kept = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Kept;
    return digestOf(entry, kept.inputs) === kept.digest ? join(dir, `${kept.digest}.mjs`) : undefined;
  } catch {
    // Not kept yet, or a file it was made of is gone.
    return undefined;
  }
}

/**
 * Bundles `entry` and what it imports (node's built-ins left out) into `outfile`, readable by every
 * user. A native addon cannot be bundled: it is left out, as the packages that may load one (ssh2,
 * under dockerode) load it in a try and go on without it.
 */
export function bundleScript(entry: string, outfile: string): void {
  const dir = keptDir();
  const name = createHash('sha256').update(entry).digest('hex').slice(0, 24);
  const kept = dir && keptBundle(dir, entry, name);
  if (kept) {
    copyFileSync(kept, outfile);
  } else {
    const cwd = process.cwd();
    const built = buildSync({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile,
      logLevel: 'error',
      external: ['*.node'],
      absWorkingDir: cwd,
      metafile: true,
    });
    if (dir) {
      const inputs = Object.keys(built.metafile.inputs).map((p) => resolve(cwd, p));
      const digest = digestOf(entry, inputs);
      // Named for what it was made of, so the entry's record never names a bundle of other sources.
      writeWhole(join(dir, `${digest}.mjs`), readFileSync(outfile));
      writeWhole(join(dir, `${name}.json`), JSON.stringify({ inputs, digest } satisfies Kept));
    }
  }
  chmodSync(outfile, 0o644);
}
