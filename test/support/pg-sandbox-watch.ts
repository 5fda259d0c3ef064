/**
 * The machine's processes as a drill is given them, with each scratch sandbox it opens watched: what
 * runs in it can be looked at (or answered) on its way, the sandboxes' accounts are kept, and the
 * processes of an account still on this machine are listed (none, once the tool is done with it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { basename, join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { LocalProcesses, ProcResult, RunAs, SandboxRunOptions, SandboxSpec, ScratchSandbox } from '../../src/core/seams.js';
import { localProcesses } from '../../src/systems/local-processes.js';
import { allPids, procFile, running } from './proc.js';

/** What a watcher is told of one program run in a sandbox, and how to run it (or anything else) there. */
export interface SandboxRun {
  argv: string[];
  spec: SandboxSpec;
  sandbox: ScratchSandbox;
  /** Runs the program as it was asked. */
  proceed: () => Promise<ProcResult>;
}

export interface WatchedProcesses extends LocalProcesses {
  /** The accounts of the sandboxes opened so far. */
  readonly accounts: RunAs[];
}

/**
 * The machine's processes, every program run in a scratch sandbox handed to `around` first; a server
 * started in one is started with the command line `starting` makes of its own (default: as it is).
 */
export function watchingSandboxes(
  around: (run: SandboxRun) => Promise<ProcResult>,
  starting: (argv: string[]) => string[] = (argv) => argv,
): WatchedProcesses {
  const accounts: RunAs[] = [];
  return {
    ...localProcesses,
    accounts,
    scratchSandbox: async (spec) => {
      const sandbox = await localProcesses.scratchSandbox(spec);
      accounts.push(sandbox.account);
      return {
        ...sandbox,
        run: (argv: string[], opts?: SandboxRunOptions) => around({ argv, spec, sandbox, proceed: () => sandbox.run(argv, opts) }),
        start: (argv, opts) => sandbox.start(starting(argv), opts),
        // A session's program starts at once; what it is fed waits until `around` lets it proceed.
        converse: (argv, opts) => {
          const talk = sandbox.converse(argv, opts);
          const held = new PassThrough();
          const proceed = (): Promise<ProcResult> => {
            held.pipe(talk.stdin);
            return talk.exited.then((code) => ({ code: code ?? 1, stdout: '', stderr: '' }));
          };
          void around({ argv, spec, sandbox, proceed });
          return { ...talk, stdin: held };
        },
      };
    },
  };
}

/**
 * The machine's processes, `look` called once with the first statement a scratch server is sent (a
 * psql of its own, or a session's, whose input waits), before it runs: the server is up and answering then, whatever told the
 * tool so (its control file, or the server itself).
 */
export function atFirstStatement(look: (run: SandboxRun) => Promise<void>): WatchedProcesses {
  let looked = false;
  return watchingSandboxes(async (run) => {
    if (!looked && basename(run.argv[0] ?? '') === 'psql' && !run.argv.includes('--version')) {
      looked = true;
      await look(run);
    }
    return run.proceed();
  });
}

/**
 * What the kernel shows of the postmaster serving DATA, read inside its sandbox (its postmaster.pid
 * names its PID in the sandbox's PID namespace): /proc/PID/FILE's text.
 */
export async function postmasterFile(sandbox: ScratchSandbox, data: string, file: string): Promise<string> {
  return (await sandbox.runOk(['sh', '-c', `cat /proc/$(head -n 1 ${data}/postmaster.pid)/${file} | tr '\\0' '\\n'`])).stdout;
}

/** The PIDs of this machine's processes running as `uid` (zombies left out). */
export function processesOf(uid: number): number[] {
  return allPids().filter((pid) => new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(procFile(pid, 'status')) && running(pid));
}

/**
 * A node process running `script` (an ES module; `dist` is the built tool's folder, for its imports),
 * once it wrote its first line: the process (for a test to kill as a crash would), and the line.
 */
export async function scriptProcess(script: (dist: string) => string): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script(join(process.cwd(), 'dist'))], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (b: Buffer) => {
      resolve(b.toString().trim());
    });
    child.once('exit', (code) => {
      reject(new Error(`the script exited with ${code} before it said anything`));
    });
  });
  return { child, line };
}
