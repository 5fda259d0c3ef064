/**
 * A daemon for the test of the daemon and its client (test/systems/fake-docker-daemon.test.ts): it
 * answers each command with the arguments, input and working folder it got, as JSON, and its exit
 * code is the number after `exit`; `say TEXT` writes TEXT at once, before the answer; `sleep MS`
 * delays its answer, with the daemon free meanwhile.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { serveCommands } from '../fake-cli/command-daemon.js';

serveCommands(async ({ args, stdin, cwd, stdout }) => {
  const say = args.indexOf('say');
  if (say >= 0) stdout(Buffer.from(args[say + 1]!));
  const at = args.indexOf('sleep');
  if (at >= 0) await sleep(Number(args[at + 1]));
  const exit = args.indexOf('exit');
  return {
    stdout: JSON.stringify({ args, stdin: stdin.toString('base64'), cwd }),
    stderr: exit >= 0 ? `exit ${args[exit + 1]!}\n` : '',
    exitCode: exit >= 0 ? Number(args[exit + 1]) : 0,
  };
});
