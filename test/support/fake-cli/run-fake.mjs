// Shared body of the fake CLIs that run as a process of their own (bosh): one invocation against
// the state (./fake-answer.ts), then print what the simulator printed and exit with its code.
import { answerFake } from './fake-answer.ts';

export function runFake(name, stateVar, simulate) {
  const result = answerFake(name, stateVar, process.argv.slice(2), process.env, simulate);
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}
