/**
 * The drill's commands under yargs, for tests and development (the real entry
 * point is src/cli.ts). restore_command calls back into this script once per
 * WAL file, so the drill command is only loaded when it is the one asked for.
 */
import yargs from 'yargs';
import { walFetchCommand } from '../../src/commands/archive/wal-fetch.js';
import { takeExitCode } from '../../src/commands/exit-code.js';

const args = process.argv.slice(2);
const cli = yargs(args).scriptName('dingo-recover').command(walFetchCommand);
if (args[0] === 'drill') cli.command((await import('../../src/commands/drill/drill.js')).drillCommand);
await cli.strict().demandCommand(1).parseAsync();
process.exitCode = takeExitCode();
