// Shared body of the fake CLIs: load the state, simulate one command, save the state, all under
// the state file's lock (one run may call cf twice at once, e.g. two `cf create-service`), then
// print what the simulator printed and exit with its code.
import { appendFileSync, readFileSync } from 'node:fs';
import { lockState, writeStateFile } from './locked-state.ts';

export async function runFake(name, stateVar, simulate) {
  const file = process.env[stateVar];
  if (!file) {
    process.stderr.write(`${name} (fake): ${stateVar} is not set\n`);
    process.exit(2);
  }
  const argv = [name, ...process.argv.slice(2)];
  const release = lockState(file);
  let result;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8'));
    result = await simulate(state, argv);
    writeStateFile(file, JSON.stringify(state, null, 2));
  } finally {
    release();
  }
  if (process.env.FAKE_CLI_LOG) {
    appendFileSync(process.env.FAKE_CLI_LOG, JSON.stringify({ argv, exitCode: result.exitCode }) + '\n');
  }
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}
