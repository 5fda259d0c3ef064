/** The command line on a real terminal, through script(1). */
import { spawn } from 'node:child_process';
import { CLI, type CliResult } from './cli.js';

/** Printable text of a terminal's output: escape sequences and line wrapping removed. */
function screenText(raw: string): string {
  // eslint-disable-next-line no-control-regex -- terminal escape sequences are what is taken out
  return raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r?\n/g, '');
}

/** How long a prompt may take to come, and the command to end once every answer is typed. */
const PROMPT_MS = 60_000;
const FINISH_MS = 180_000;

/**
 * On a pseudo-terminal (script -qec): each time the screen text, since the last answer,
 * contains `when`, `type` is typed followed by Enter. A prompt that does not come within a minute, or a
 * command still running three minutes after its last answer, is hung up: the result then has no exit code
 * (script(1) itself exits 0 when its terminal is hung up) and the screen says so.
 */
export function runOnTerminal(
  args: string[],
  answers: { when: string; type: string }[],
  env: Record<string, string> = {},
): Promise<CliResult & { screen: string }> {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  return new Promise((resolve, reject) => {
    // The terminal is as wide as COLUMNS says, and wider than any prompt: screenText joins wrapped lines, so a
    // prompt wrapped at a space (at 200 columns, one naming a bucket whose name holds the pid) would lose it.
    const command = `stty cols 1000 rows 50; exec ${[...CLI, ...args].map(quote).join(' ')}`;
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', CI: '', COLUMNS: '1000', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // A prompt that never comes must not hang the suite: SIGTERM makes script(1) hang up its terminal.
    let hungUp = '';
    let timer: NodeJS.Timeout | undefined;
    const wait = (ms: number, what: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        hungUp = `[hung up by the test: ${what} within ${ms / 1000} s]`;
        child.kill('SIGTERM');
      }, ms);
    };
    let raw = '';
    let since = 0;
    const pending = [...answers];
    const waitForNext = () => {
      if (pending[0]) wait(PROMPT_MS, `no "${pending[0].when}"`);
      else wait(FINISH_MS, 'the command did not end');
    };
    waitForNext();
    child.stdout.on('data', (d: Buffer) => {
      raw += d.toString();
      const next = pending[0];
      if (next && screenText(raw.slice(since)).includes(next.when)) {
        pending.shift();
        since = raw.length;
        // Ctrl-U clears what an earlier answer left on the line.
        child.stdin.write(`\x15${next.type}\r`);
        waitForNext();
      }
    });
    child.stderr.on('data', (d: Buffer) => (raw += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      child.stdin.destroy();
      const screen = screenText(raw) + hungUp;
      resolve({ code: hungUp ? null : code, signal: signal ?? undefined, stdout: raw, stderr: '', screen });
    });
  });
}
