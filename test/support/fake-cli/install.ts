/**
 * Puts the fake `cf` and `bosh` on a temporary PATH: each is a small shell wrapper that runs the
 * .mjs script, bundled with what it imports into the temporary folder (./bundle.ts), with node by
 * absolute path, so it works from any working directory.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CfWorld } from '../../../src/rehearsal/cf/index.js';
import type { BoshWorld } from '../../../src/rehearsal/bosh-sim.js';
import { bundleScript } from './bundle.js';
import { writeOperatorConfig } from './cf-config.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Writes an executable `name` into `dir`/bin that runs the fake CLI `name`.mjs, bundled into `dir`. */
async function installFakeCli(dir: string, name: 'cf' | 'bosh'): Promise<string> {
  const path = join(dir, 'bin', name);
  const bundle = join(dir, `${name}.mjs`);
  bundleScript(join(here, `${name}.mjs`), bundle);
  await writeFile(path, `#!/bin/sh\nexec '${process.execPath}' '${bundle}' "$@"\n`);
  await chmod(path, 0o755);
  return path;
}

export interface FakeClis {
  dir: string;
  binDir: string;
  /** PATH with the fake CLIs first, the state files, and CF_HOME: `dir`, whose .cf/config.json is the operator's cf login. */
  env: Record<string, string>;
  /** The operator's cf config (`dir`/.cf/config.json). */
  cfConfig: string;
  readCf(): Promise<CfWorld>;
  readBosh(): Promise<BoshWorld>;
  cleanup(): Promise<void>;
}

/**
 * A temp dir with bin/cf, bin/bosh and their state files seeded from the given worlds, and the
 * operator's cf login; `cfHooks` names a module exporting CfHooks, bundled beside them and handed
 * to the fake cf in FAKE_CF_HOOKS.
 */
export async function setUpFakeClis(worlds: { cf?: CfWorld; bosh?: BoshWorld; cfHooks?: string }): Promise<FakeClis> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-cli-'));
  const binDir = join(dir, 'bin');
  await mkdir(binDir);
  const cfState = join(dir, 'cf-state.json');
  const boshState = join(dir, 'bosh-state.json');
  if (worlds.cf) {
    await installFakeCli(dir, 'cf');
    await writeFile(cfState, JSON.stringify(worlds.cf));
    writeOperatorConfig(dir, worlds.cf);
  }
  if (worlds.bosh) {
    await installFakeCli(dir, 'bosh');
    await writeFile(boshState, JSON.stringify(worlds.bosh));
  }
  const hooks = join(dir, 'cf-hooks.mjs');
  if (worlds.cfHooks) bundleScript(worlds.cfHooks, hooks);
  return {
    dir,
    binDir,
    env: {
      PATH: `${binDir}:${process.env.PATH ?? ''}`,
      FAKE_CF_STATE: cfState,
      FAKE_BOSH_STATE: boshState,
      CF_HOME: dir,
      ...(worlds.cfHooks ? { FAKE_CF_HOOKS: hooks } : {}),
    },
    cfConfig: join(dir, '.cf', 'config.json'),
    readCf: async () => JSON.parse(await readFile(cfState, 'utf8')) as CfWorld,
    readBosh: async () => JSON.parse(await readFile(boshState, 'utf8')) as BoshWorld,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
