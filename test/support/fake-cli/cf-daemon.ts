/**
 * The fake `cf`'s daemon (./command-daemon.ts), one per set of fake CLIs (./install.ts): each
 * invocation the `cf` client sends (./command-client, with its environment) is answered by the
 * rehearsal's cf simulator, against the state file FAKE_CF_STATE names, with the login and target
 * of cf's config file ($CF_HOME/.cf/config.json, else $HOME's: ./cf-config.ts), and the broker's
 * hooks of the module FAKE_CF_HOOKS names, if any; FAKE_CLI_LOG, when set, receives one JSON line
 * per invocation.
 *
 * The hooks read their settings from process.env: an invocation runs in the client's environment,
 * whole and synchronously, so no other invocation sees it.
 */
import { pathToFileURL } from 'node:url';
import type { CfHooks, CfWorld } from '../../../src/rehearsal/cf/index.js';
import { simulateCf } from '../../../src/rehearsal/cf/cf-sim.js';
import { withCfConfig } from './cf-config.js';
import { serveCommands } from './command-daemon.js';
import { answerFake, type FakeOut } from './fake-answer.js';

const hooks = new Map<string, Promise<CfHooks>>();

/** The hooks module at `file`, loaded once. */
function hooksAt(file: string): Promise<CfHooks> {
  let loaded = hooks.get(file);
  if (!loaded) {
    loaded = import(pathToFileURL(file).href).then((m: { default?: CfHooks } & CfHooks) => m.default ?? m);
    hooks.set(file, loaded);
  }
  return loaded;
}

/** Runs `fn` with process.env as `env`, and gives process.env back. */
function inEnvironment<T>(env: Record<string, string>, fn: () => T): T {
  const own = process.env;
  process.env = env;
  try {
    return fn();
  } finally {
    process.env = own;
  }
}

serveCommands(async ({ args, env }): Promise<FakeOut> => {
  const cfHooks = env.FAKE_CF_HOOKS ? await hooksAt(env.FAKE_CF_HOOKS) : {};
  return inEnvironment(env, () =>
    answerFake<CfWorld>('cf', 'FAKE_CF_STATE', args, env, (state, argv) =>
      withCfConfig(state, argv, env, () => simulateCf(state, { argv, writes: false }, cfHooks)),
    ),
  );
});
