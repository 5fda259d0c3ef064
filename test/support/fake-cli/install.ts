/**
 * Puts the fake `cf` and `bosh` on a temporary PATH, each a small shell wrapper that works from any
 * working directory and runs the client of the set's daemon (./cli-daemon.ts, started here and ended
 * by `cleanup()` or this process's end), its name first.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CfWorld } from '../../../src/rehearsal/cf/index.js';
import type { BoshWorld } from '../../../src/rehearsal/bosh-sim.js';
import { bundleScript } from './bundle.js';
import { startDaemon, type DaemonProcess } from './daemon-process.js';
import { writeOperatorConfig } from './cf-config.js';
import { COMMAND_CLIENT } from '../client-setup.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Writes the executable `dir`/bin/`name` that runs `command`, then the invocation's arguments. */
async function installWrapper(dir: string, name: string, command: string): Promise<void> {
  const path = join(dir, 'bin', name);
  await writeFile(path, `#!/bin/sh\nexec ${command} "$@"\n`);
  await chmod(path, 0o755);
}

/** The daemon on `dir`/clis.sock, and for each of `names` the client that reaches it. */
async function installClis(dir: string, names: string[]): Promise<DaemonProcess> {
  const socket = join(dir, 'clis.sock');
  const daemon = await startDaemon(join(here, 'cli-daemon.ts'), dir, socket);
  for (const name of names) await installWrapper(dir, name, `'${COMMAND_CLIENT}' '${socket}' ${name}`);
  return daemon;
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
    await writeFile(cfState, JSON.stringify(worlds.cf));
    writeOperatorConfig(dir, worlds.cf);
  }
  if (worlds.bosh) await writeFile(boshState, JSON.stringify(worlds.bosh));
  const names = [...(worlds.cf ? ['cf'] : []), ...(worlds.bosh ? ['bosh'] : [])];
  const daemon =
    names.length === 0
      ? undefined
      : await installClis(dir, names).catch(async (err: unknown) => {
          await rm(dir, { recursive: true, force: true });
          throw err;
        });
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
    cleanup: async () => {
      daemon?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
