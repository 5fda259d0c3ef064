/**
 * Runs dingo-recover: the built command line, inside the test's own process where it can run there
 * (cli.ts `runInProcess`), else as a real child process (the built bin/dingo-recover.js, or the source
 * through tsx).
 */
import { spawn } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
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
  /** Told the child's PID once it is started (to signal it): the run is a child process. */
  onStart?: (pid: number) => void;
}

/**
 * What only a process of its own can be given: variables read from the process's environment, not the
 * command line's: by `os.homedir()` and `os.tmpdir()`, Node itself, libc and ICU (the locale and time
 * zone; the zone files are read once a process), Docker's client, the AWS SDK's credential chain past the
 * keys (profiles, their files, the instance role: the keys, region, endpoint and CA bundle the tool reads
 * itself, src/systems/s3/s3-client.ts), and the failpoints, which kill the process.
 */
const PROCESS_WIDE =
  /^(HOME|USER|LOGNAME|TMPDIR|TZ|TZDIR|LANG|LANGUAGE|LC_\w+|NODE_\w+|UV_\w+|DOCKER_\w+|SSL_CERT_\w+|DINGO_RECOVER_FAILPOINT\w*|AWS_(?!(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|REGION|DEFAULT_REGION|ENDPOINT_URL|ENDPOINT_URL_S3|CA_BUNDLE)$)\w+)$/;
/** Set to 1, every run of a test is a child process, as an operator's is. */
const CHILD_VAR = 'DINGO_TEST_CLI_CHILD';
/** What yargs answers by printing to the process's console (cli.ts `runInProcess`). */
const YARGS_PRINTS = new Set(['--help', '-h', '--version', '-v', '-V']);

/** Whether a run can be made inside this process: the built command line, this process's folder, nothing process-wide changed, no PID wanted. */
function inProcess(args: string[], opts: CliOptions, env: Record<string, string | undefined>): boolean {
  if (process.env[CHILD_VAR] === '1' || opts.program || opts.onStart || (opts.cwd !== undefined && opts.cwd !== process.cwd()))
    return false;
  // A Tab's completions are answered by bin/dingo-recover.js before the command line loads.
  if (args.some((a) => YARGS_PRINTS.has(a)) || args.length === 0 || args[0] === '__complete') return false;
  return Object.entries(env).every(([name, value]) => !PROCESS_WIDE.test(name) || process.env[name] === value);
}

/** The built command line's entry for a run inside this process, loaded once per test file. */
let built: Promise<{ runInProcess: (args: string[], io: unknown) => Promise<number> }> | undefined;

/** A stream that keeps what is written to it as text. */
function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

async function runHere(args: string[], opts: CliOptions, env: NodeJS.ProcessEnv): Promise<CliResult> {
  built ??= import(`${ROOT}dist/src/cli.js`) as Promise<{ runInProcess: (args: string[], io: unknown) => Promise<number> }>;
  const { runInProcess } = await built;
  const stdout = collector();
  const stderr = collector();
  const stdin = Readable.from([Buffer.from(opts.input ?? '')]);
  const limit = opts.timeoutMs ?? RUN_LIMIT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<null>((resolve) => {
    timer = setTimeout(() => {
      resolve(null);
    }, limit);
  });
  try {
    const code = await Promise.race([runInProcess(args, { env, stdin, stdout: stdout.stream, stderr: stderr.stream }), timedOut]);
    const late = code === null ? `\n[still running in the test's process after ${String(limit)} ms]\n` : '';
    return { code, stdout: stdout.text(), stderr: stderr.text() + late };
  } finally {
    clearTimeout(timer);
  }
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...opts.env };
  if (inProcess(args, opts, env)) return runHere(args, opts, env);
  const [cmd, ...pre] = opts.program ?? CLI;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd ?? process.execPath, [...pre, ...args], {
      cwd: opts.cwd ?? ROOT,
      env,
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
