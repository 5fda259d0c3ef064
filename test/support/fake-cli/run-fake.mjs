// Shared body of the fake CLIs: load the state, simulate one command, save the state
// atomically, print what the simulator printed and exit with its code.
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export async function runFake(name, stateVar, simulate) {
  const file = process.env[stateVar];
  if (!file) {
    process.stderr.write(`${name} (fake): ${stateVar} is not set\n`);
    process.exit(2);
  }
  const state = JSON.parse(readFileSync(file, 'utf8'));
  const argv = [name, ...process.argv.slice(2)];
  const result = await simulate(state, argv);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2));
  renameSync(tmp, file);
  if (process.env.FAKE_CLI_LOG) {
    appendFileSync(process.env.FAKE_CLI_LOG, JSON.stringify({ argv, exitCode: result.exitCode }) + '\n');
  }
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}
