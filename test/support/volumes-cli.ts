/** The dingo-recover command line from source, for tests that run it as a child process (and may kill it). */
import { main } from '../../src/cli.js';

process.exitCode = await main(process.argv.slice(2));
