/**
 * The daemon of the operator's fake CLIs (./command-daemon.ts), one per set of them (./install.ts):
 * each invocation a client sends (./command-client, with its environment and working folder, the
 * command's name first) is answered here:
 * - `cf` by the rehearsal's cf simulator, against the state file FAKE_CF_STATE names, with the login
 *   and target of cf's config file ($CF_HOME/.cf/config.json, else $HOME's: ./cf-config.ts), and the
 *   broker's hooks of the module FAKE_CF_HOOKS names, if any;
 * - `bosh` by the rehearsal's bosh simulator against FAKE_BOSH_STATE, and its `ssh`, `scp` and v1
 *   `download manifest` by ./bosh-session.ts against the sshds FAKE_BOSH_SSH names, their output
 *   streamed as it comes; a session only reads the state, so a long command holds no lock.
 * FAKE_CLI_LOG, when set, receives one JSON line per invocation.
 *
 * cf's hooks read their settings from process.env: a cf invocation runs in the client's
 * environment, whole and synchronously, so no other invocation sees it. A bosh session waits on
 * its ssh: it is given its caller's environment and folder instead.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { CfHooks, CfWorld } from '../../../src/rehearsal/cf/index.js';
import { simulateCf } from '../../../src/rehearsal/cf/cf-sim.js';
import { simulateBosh, type BoshWorld } from '../../../src/rehearsal/bosh-sim.js';
import { isSessionCommand, runSession, type BoshCaller, type BoshSshWorld } from './bosh-session.js';
import { withCfConfig } from './cf-config.js';
import { serveCommands, type CommandAnswer } from './command-daemon.js';
import { answerFake, logInvocation, noState } from './fake-answer.js';

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

async function cf(args: string[], env: Record<string, string>): Promise<CommandAnswer> {
  const cfHooks = env.FAKE_CF_HOOKS ? await hooksAt(env.FAKE_CF_HOOKS) : {};
  return inEnvironment(env, () =>
    answerFake<CfWorld>('cf', 'FAKE_CF_STATE', args, env, (state, argv) =>
      withCfConfig(state, argv, env, () => simulateCf(state, { argv, writes: false }, cfHooks)),
    ),
  );
}

async function bosh(args: string[], env: Record<string, string>, caller: BoshCaller, stdout: (b: Buffer) => void): Promise<CommandAnswer> {
  if (!(isSessionCommand(args) && env.FAKE_BOSH_SSH)) {
    return answerFake<BoshWorld>('bosh', 'FAKE_BOSH_STATE', args, env, (state, argv) => simulateBosh(state, { argv, writes: false }));
  }
  if (!env.FAKE_BOSH_STATE) return noState('bosh', 'FAKE_BOSH_STATE');
  const world = JSON.parse(readFileSync(env.FAKE_BOSH_STATE, 'utf8')) as BoshWorld;
  const sessions = JSON.parse(readFileSync(env.FAKE_BOSH_SSH, 'utf8')) as BoshSshWorld;
  const result = await runSession(world, sessions, args, caller, stdout);
  logInvocation(env, ['bosh', ...args], result.exitCode);
  return result;
}

serveCommands(({ args: [command, ...args], env, cwd, stdin, gone, stdout }) => {
  if (command === 'cf') return cf(args, env);
  if (command === 'bosh') return bosh(args, env, { env, cwd, stdin, gone }, stdout);
  return { stdout: '', stderr: `fake CLIs' daemon: no fake ${command ?? '(none)'}\n`, exitCode: 127 };
});
