/** Running the drill's commands as real child processes, the way PostgreSQL runs restore_command. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const tsxLoader = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));
export const CLI_SCRIPT = fileURLToPath(new URL('./drill-cli.ts', import.meta.url));

/** Program and leading arguments that run test/support/drill-cli.ts (absolute, so any cwd works). */
export const SELF_COMMAND = [process.execPath, '--import', `file://${tsxLoader}`, CLI_SCRIPT];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...pre] = SELF_COMMAND;
    const child = spawn(cmd!, [...pre, ...args], {
      cwd,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
