/**
 * Puts the fake `cf` and `bosh` on a temporary PATH: each is a small shell wrapper that runs the
 * .mjs script with node and tsx's loader by absolute path, so it works from any working directory.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CfWorld } from '../../../src/rehearsal/cf/index.js';
import type { BoshWorld } from '../../../src/rehearsal/bosh-sim.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Writes an executable `name` into `binDir` that runs the fake CLI `name`.mjs. */
async function installFakeCli(binDir: string, name: 'cf' | 'bosh'): Promise<string> {
  const path = join(binDir, name);
  const script = join(here, `${name}.mjs`);
  await writeFile(path, `#!/bin/sh\nexec '${process.execPath}' --import '${tsxLoader}' '${script}' "$@"\n`);
  await chmod(path, 0o755);
  return path;
}

export interface FakeClis {
  dir: string;
  binDir: string;
  /** PATH with the fake CLIs first, and the state files. */
  env: Record<string, string>;
  readCf(): Promise<CfWorld>;
  readBosh(): Promise<BoshWorld>;
  cleanup(): Promise<void>;
}

/** cf's config.json (cli util/configv3/json_config.go) for the world's logged-in user and target. */
function cfConfig(cf: CfWorld): Record<string, unknown> {
  return {
    ConfigVersion: 3,
    Target: cf.api.url,
    APIVersion: cf.api.version,
    AccessToken: 'bearer fake-cli-access-token',
    RefreshToken: 'fake-cli-refresh-token',
    OrganizationFields: { GUID: '', Name: cf.target.org ?? '' },
    SpaceFields: { GUID: '', Name: cf.target.space ?? '', AllowSSH: false },
  };
}

/** A temp dir with bin/cf, bin/bosh and their state files seeded from the given worlds. */
export async function setUpFakeClis(worlds: { cf?: CfWorld; bosh?: BoshWorld }): Promise<FakeClis> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-cli-'));
  const binDir = join(dir, 'bin');
  await mkdir(binDir);
  const cfState = join(dir, 'cf-state.json');
  const boshState = join(dir, 'bosh-state.json');
  // The operator's cf login, where a real cf keeps it: CF_HOME/.cf/config.json.
  const cfHome = join(dir, 'cf-home');
  if (worlds.cf) {
    await installFakeCli(binDir, 'cf');
    await writeFile(cfState, JSON.stringify(worlds.cf));
    await mkdir(join(cfHome, '.cf'), { recursive: true });
    await writeFile(join(cfHome, '.cf', 'config.json'), JSON.stringify(cfConfig(worlds.cf)));
  }
  if (worlds.bosh) {
    await installFakeCli(binDir, 'bosh');
    await writeFile(boshState, JSON.stringify(worlds.bosh));
  }
  return {
    dir,
    binDir,
    env: { PATH: `${binDir}:${process.env.PATH ?? ''}`, FAKE_CF_STATE: cfState, FAKE_BOSH_STATE: boshState, CF_HOME: cfHome },
    readCf: async () => JSON.parse(await readFile(cfState, 'utf8')) as CfWorld,
    readBosh: async () => JSON.parse(await readFile(boshState, 'utf8')) as BoshWorld,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
