/** The real command line (src/cli.ts) from source, as a child process: `node --import tsx test/support/source-cli.ts ARGS`. */
import { main } from '../../src/cli.js';

process.exitCode = await main(process.argv.slice(2));
