/** Running the drill's commands as real child processes, the way PostgreSQL runs restore_command. */
import { fileURLToPath } from 'node:url';

const tsxLoader = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));
const CLI_SCRIPT = fileURLToPath(new URL('./drill-cli.ts', import.meta.url));

/** Program and leading arguments that run test/support/drill-cli.ts (absolute, so any cwd works). */
export const SELF_COMMAND = [process.execPath, '--import', `file://${tsxLoader}`, CLI_SCRIPT];
