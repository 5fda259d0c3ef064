/**
 * The processes of a crash sweep: a rehearsal (or its resume) run as the leader of its own process
 * group with a temporary folder (TMPDIR) of its own, and what it left running there stopped.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { BIN, ROOT } from '../cli.js';

/**
 * A rehearsal that has not ended by then is killed and the test fails. A restore-to-time run restores
 * a real archive and starts scratch clusters, beside a sweep's other runs on a loaded machine.
 */
export const WATCHDOG_MS = 120_000;

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  /** Killed by the watchdog, not by a failpoint or on its own. */
  timedOut: boolean;
}

export interface RehearsalOptions {
  /** DINGO_RECOVER_FAILPOINTS of the run. */
  failpoints?: string;
  /** Its TMPDIR: where the run keeps its scratch copies and clusters. */
  tmp: string;
  /** Node options before the program (`--import` of a hook), and the environment they need. */
  node?: string[];
  env?: Record<string, string>;
}

/**
 * Runs the CLI as the leader of its own process group. When it dies by SIGKILL (a failpoint), the
 * rest of its group is killed too, as a crash of the machine or of the session would.
 */
export function rehearsal(args: string[], o: RehearsalOptions): Promise<Ended> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...(o.node ?? []), BIN, ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...o.env,
        CI: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        DINGO_RECOVER_FAILPOINTS: o.failpoints ?? '',
        TMPDIR: o.tmp,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const killGroup = (): void => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    };
    let output = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const watchdog = setTimeout(() => {
      timedOut = true;
      output += `\n[killed by the test after ${WATCHDOG_MS} ms]\n`;
      killGroup();
    }, WATCHDOG_MS);
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') killGroup();
    });
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      resolvePromise({ code, signal, output, timedOut });
    });
  });
}

/**
 * Kills (SIGKILL) every process working in DIR or naming it on its command line: what a killed run
 * left running in its temporary folder (a scratch PostgreSQL, which pg_ctl detached from the run's
 * process group, and its backends, whose working folder is its data folder). Returns how many.
 */
export function killProcessesIn(dir: string): number {
  let killed = 0;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cwd === dir || cwd.startsWith(`${dir}/`) || cmdline.includes(dir)) {
        process.kill(pid, 'SIGKILL');
        killed++;
      }
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return killed;
}
