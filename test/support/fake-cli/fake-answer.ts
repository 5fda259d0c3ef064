/**
 * One invocation of a fake CLI against its state: load the state file the environment names,
 * simulate the command, save the state, all under the file's lock (one run may call cf twice at
 * once, e.g. two `cf create-service`), and log the invocation in FAKE_CLI_LOG when set.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { lockState, writeStateFile } from './locked-state.js';

export interface FakeOut {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** The answer when the environment names no state file in `stateVar`. */
export const noState = (name: string, stateVar: string): FakeOut => ({
  stdout: '',
  stderr: `${name} (fake): ${stateVar} is not set\n`,
  exitCode: 2,
});

/** Logs the invocation `argv` (its command's name first) and its exit code in FAKE_CLI_LOG, when set. */
export function logInvocation(env: Record<string, string | undefined>, argv: string[], exitCode: number): void {
  if (env.FAKE_CLI_LOG) appendFileSync(env.FAKE_CLI_LOG, JSON.stringify({ argv, exitCode }) + '\n');
}

export function answerFake<S>(
  name: string,
  stateVar: string,
  args: string[],
  env: Record<string, string | undefined>,
  simulate: (state: S, argv: string[]) => FakeOut,
): FakeOut {
  const file = env[stateVar];
  if (!file) return noState(name, stateVar);
  const argv = [name, ...args];
  const release = lockState(file);
  let result: FakeOut;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as S;
    result = simulate(state, argv);
    writeStateFile(file, JSON.stringify(state, null, 2));
  } finally {
    release();
  }
  logInvocation(env, argv, result.exitCode);
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode };
}
