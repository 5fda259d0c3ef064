/** Runs dingo-recover as a real child process: the built bin/dingo-recover.js, or the source through tsx. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../../src/core/errors.js';
import { ONE_RUN_MS } from './live/shared.js';

/**
 * How a rehearsal of a PostgreSQL 9.x scenario whose archive holds its objects' sizes and ETags but
 * not their bytes (one recorded from a live run, later-broker, same-name-tenant, partial-wal,
 * space-scenario) ends when it reaches its end: done with warnings (exit 8). Neither this machine
 * (no 9.x server) nor the simulated cell can drill what it cannot fetch, and the step says so.
 * `test/engine/report/run-outcome.test.ts` checks the warning itself.
 */
export const DONE_UNDRILLED = EXIT.doneWithWarnings;
/**
 * How a recovery whose old archive holds real bytes ends: drilled on the cell, in the new
 * container's image, so it is done (exit 0). A live test's platform holds them (lzop files of a 9.5
 * data folder, live/old-archive.ts), and so does the bundled rehearsal (fixtures/seed-003's s3/,
 * written by make-seed-fixture.ts from the same generator), drilled on the simulated cell.
 */
export const DONE_DRILLED_ON_CELL = EXIT.done;

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = `${ROOT}bin/dingo-recover.js`;

/** The longest a CLI run of a test may take: as long as a whole live run. */
const RUN_LIMIT_MS = ONE_RUN_MS;

const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));

/**
 * The command line as operators run it: the built bin/dingo-recover.js, made again before the tests
 * when a source is newer (build-setup.ts). A child from source through tsx costs half a second more.
 */
export const CLI: readonly string[] = [process.execPath, BIN];

/**
 * The whole command line from source (test/support/source-cli.ts runs src/cli.ts `main`): what the
 * built bin's fast answers (bin/fast-answers.js) must agree with.
 */
export const SOURCE_CLI: readonly string[] = [
  process.execPath,
  '--import',
  `file://${TSX}`,
  fileURLToPath(new URL('./source-cli.ts', import.meta.url)),
];

export interface CliResult {
  code: number | null;
  /** The signal that ended it; absent when it exited. */
  signal?: NodeJS.Signals;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** What stdin gives; it is closed after it (no terminal either way). */
  input?: string;
  /** Program and leading arguments; default: CLI, the built bin/dingo-recover.js. */
  program?: readonly string[];
  /** Killed (SIGKILL) after this long, so a hung CLI does not outlive its test; default 5 minutes. */
  timeoutMs?: number;
  /** Told the child's PID once it is started (to signal it). */
  onStart?: (pid: number) => void;
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const [cmd, ...pre] = opts.program ?? CLI;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd ?? process.execPath, [...pre, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, CI: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) opts.onStart?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      stderr += `\n[killed by the test after ${String(opts.timeoutMs ?? RUN_LIMIT_MS)} ms]\n`;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? RUN_LIMIT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal: signal ?? undefined, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** The run id a CLI run announced ("... run <id>: ..."). */
export function runIdOf(stdout: string): string {
  const m = /(?:starts|resumes) run (\S+):/.exec(stdout);
  if (!m) throw new Error(`no run id in output:\n${stdout.slice(0, 2000)}`);
  return m[1]!;
}
