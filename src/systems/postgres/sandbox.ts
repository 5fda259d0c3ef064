/**
 * The sandbox a scratch PostgreSQL and every program of its identity run in: new PID, network, mount,
 * IPC and UTS namespaces made by `unshare` as root, a file system of its own (sandbox-script.ts), and
 * inside it only processes of the server's own uid (identity.ts), with no supplementary group, no
 * capability, no way to gain one (no_new_privs) and SIGKILL should the process that started them go.
 * Each program enters with `nsenter` into the sandbox's namespaces and root, then `setpriv` drops to
 * the identity: the server, and its clients too (psql, pg_dump, pg_restore, pg_isready, initdb), so no
 * process of that uid ever runs where this machine's files or processes are in view, and what the
 * server runs can reach nothing but what the sandbox holds. Root's `nsenter` stays outside, a process
 * the namespace does not show.
 *
 * The sandbox ends with its init (sandbox-script.ts): closed by `close`, by the tool's exit (the
 * children left are killed then, child-processes.ts), or by the tool's death of any kind (init's
 * standard input, held by the tool, closes). The kernel then kills everything left inside at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { lstat, mkdir, readFile, readdir, readlink, realpath, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, sep } from 'node:path';
import { StepFailed } from '../../core/errors.js';
import type {
  PipeStage,
  ProcResult,
  RunAs,
  SandboxSpec,
  ScratchSandbox,
  SandboxedConversation,
  SandboxedProcess,
  SandboxRunOptions,
} from '../../core/seams.js';
import { endsWithUs } from '../child-processes.js';
import { removeOnExit } from '../../core/exit-cleanup.js';
import { run, runOk } from '../processes.js';
import { newIdentity, SCRATCH_ACCOUNT, type ScratchIdentity } from './identity.js';
import { newSandboxFolder } from './sandbox-folders.js';
import { SANDBOX_SCRIPT } from './sandbox-script.js';

/** The machine's programs and libraries, mounted read-only in every sandbox as they are. */
const SYSTEM_FOLDERS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

const TOOLS_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Where the server's socket folder is inside every sandbox, whatever its path outside: short, so a
 * socket's path never passes the 107 bytes of a Unix socket's, however deep the scratch folder is.
 */
export const SANDBOX_SOCKET_DIR = '/run/postgresql';

/** Where the server's pg_hba.conf and pg_ident.conf are inside: read-only, of ours. */
const AUTH_DIR = '/etc/dingo-recover';
const MAP = 'scratch';

/** A name as a token of pg_hba.conf and pg_ident.conf: quoted, so no name is a keyword (all, sameuser). */
const token = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * The server's login rules: its account (`dingo-scratch` in the sandbox's passwd) logs in by peer as
 * each role given and no other, every other role with its password or not at all; nothing over TCP.
 */
function authFiles(logins: readonly string[], passwords: boolean): { hba: string; ident: string } {
  const hba = logins.map((r) => `local all ${token(r)} peer map=${MAP}`);
  if (passwords) hba.push('local all all scram-sha-256');
  return { hba: `${hba.join('\n')}\n`, ident: logins.map((r) => `${MAP} ${SCRATCH_ACCOUNT} ${token(r)}\n`).join('') };
}

const inSystem = (path: string): boolean => SYSTEM_FOLDERS.some((d) => path === d || path.startsWith(`${d}/`));

/**
 * The mounts of a sandbox, as SANDBOX_SCRIPT takes them: each path at its real place and, when it was
 * reached through a link, at its own place too, or as that link itself when the path is one (a
 * PostgreSQL's bin folder linked from a cache: its server finds lib and share beside its real path);
 * what lies in the system folders is there already. A bin folder brings the installs its programs'
 * links lead to (a PostgreSQL's lib and share folders beside its bin), at their real places and at
 * each place a link on the way names (an install linked through a linked folder, as a cache of
 * servers may be: the link is followed inside by the name it has).
 *
 * A place made only because a link names it, or a link made inside, is left out when it lies inside
 * another mount: that mount shows the machine's own folder there, and the script would make it
 * through the machine's folders and links, writing where the sandbox must never write.
 */
async function mountsOf(spec: SandboxSpec, auth: string): Promise<string[]> {
  const wanted = new Map<string, { how: 'ro' | 'rw' | 'ln'; from: string; named?: boolean }>();
  /** `named`: the path is one a link names, wanted only for that link's sake. */
  const add = async (path: string, how: 'ro' | 'rw', named = false): Promise<void> => {
    const real = await realpath(path);
    const at = path.replace(/\/+$/, '') || '/';
    const places = new Set([real]);
    if (at !== real) {
      // A link stays a link inside, so a program reached through it finds its own lib and share beside it.
      if ((await lstat(at)).isSymbolicLink()) {
        if (!inSystem(at)) wanted.set(at, { how: 'ln', from: real });
      } else places.add(at);
    }
    for (const place of places) {
      // The machine's whole tree is never one of them, whatever a link names.
      if (inSystem(place) || place === '/') continue;
      const known = wanted.get(place);
      if (!known || how === 'rw') wanted.set(place, { how, from: real, ...(named && place !== real ? { named } : {}) });
    }
  };
  for (const bin of spec.bins ?? []) {
    await add(bin, 'ro');
    for (const name of await readdir(bin).catch(() => [] as string[])) {
      const program = join(bin, name);
      const real = await realpath(program).catch(() => null);
      if (!real) continue;
      for (const hop of await linksOnTheWay(program)) await add(dirname(dirname(hop)), 'ro', true);
      await add(dirname(dirname(real)), 'ro');
    }
  }
  for (const path of spec.readable ?? []) await add(path, 'ro');
  for (const path of spec.writable) await add(path, 'rw');
  if (spec.socketDir) wanted.set(SANDBOX_SOCKET_DIR, { how: 'rw', from: await realpath(spec.socketDir) });
  wanted.set(AUTH_DIR, { how: 'ro', from: auth });
  for (const [at, m] of [...wanted]) {
    if ((m.how === 'ln' || m.named) && [...wanted.keys()].some((other) => at.startsWith(`${other}/`))) wanted.delete(at);
  }
  const depth = (p: string): number => p.split(sep).length;
  return [...wanted.entries()].sort(([a], [b]) => depth(a) - depth(b) || a.localeCompare(b)).flatMap(([at, m]) => [m.how, m.from, at]);
}

/**
 * Where each link from `path` on leads, until a path that is no link (at most 8): an absolute name as
 * the link gives it, a relative one from the real folder the link is in, as the kernel reads it (from
 * the folder it was reached by, a `..` would name another folder, which would then be mounted).
 */
async function linksOnTheWay(path: string): Promise<string[]> {
  const hops: string[] = [];
  for (let at = path; hops.length < 8;) {
    const named = await readlink(at).catch(() => null);
    if (named === null) break;
    const from = isAbsolute(named) ? null : await realpath(dirname(at)).catch(() => undefined);
    if (from === undefined) break;
    at = from === null ? named : join(from, named);
    hops.push(at);
  }
  return hops;
}

/** Reads the first line of a stream, or undefined when it ends first. */
async function firstLine(child: ChildProcess): Promise<{ line?: string; stderr: string }> {
  let out = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout!.setEncoding('utf8');
  for await (const chunk of child.stdout! as AsyncIterable<string>) {
    out += chunk;
    if (out.includes('\n')) return { line: out.split('\n')[0], stderr };
  }
  return { stderr };
}

/** The PID (on this machine) of the one child `pid` forked: the namespace's init, for `unshare --fork`. */
async function childOf(pid: number): Promise<number> {
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
  const child = Number(children.trim().split(/\s+/)[0]);
  if (!Number.isInteger(child) || child <= 0) throw new Error(`unshare (pid ${pid}) has no child`);
  return child;
}

/** Opens a sandbox with a new identity of its own; `close` ends everything in it and frees the identity. */
export async function openSandbox(spec: SandboxSpec): Promise<ScratchSandbox> {
  const identity = await newIdentity();
  let control: string | undefined;
  let release = (): void => undefined;
  try {
    control = await newSandboxFolder();
    // A signal ends the process at once: its exit removes the folder, as `close` would have.
    release = removeOnExit(control);
    const etc = join(control, 'etc');
    await mkdir(etc, { mode: 0o755 });
    await writeFile(join(etc, 'passwd'), identity.passwd, { mode: 0o644 });
    await writeFile(join(etc, 'group'), identity.group, { mode: 0o644 });
    await writeFile(join(etc, 'nsswitch.conf'), 'passwd: files\ngroup: files\n', { mode: 0o644 });
    await mkdir(join(control, 'root'), { mode: 0o700 });
    await mkdir(join(control, 'auth'), { mode: 0o755 });
    return await started(spec, identity, control, release);
  } catch (err) {
    if (control) await rm(control, { recursive: true, force: true });
    release();
    await identity.release();
    throw err;
  }
}

async function started(spec: SandboxSpec, identity: ScratchIdentity, control: string, release: () => void): Promise<ScratchSandbox> {
  const auth = join(control, 'auth');
  const logins = [...(spec.logins ?? [])];
  const writeAuth = async (): Promise<void> => {
    const files = authFiles(logins, spec.passwords ?? false);
    await writeFile(join(auth, 'pg_hba.conf'), files.hba, { mode: 0o644 });
    await writeFile(join(auth, 'pg_ident.conf'), files.ident, { mode: 0o644 });
  };
  await writeAuth();
  const mounts = await mountsOf(spec, auth);
  // Its own session: a Ctrl-C at the terminal reaches the tool, which decides, not the sandbox.
  const unshare = endsWithUs(
    spawn(
      'unshare',
      ['--pid', '--fork', '--kill-child', '--net', '--mount', '--ipc', '--uts', '--propagation', 'private', '--'].concat([
        '/bin/sh',
        '-c',
        SANDBOX_SCRIPT,
        'dingo-recover-sandbox',
        join(control, 'root'),
        join(control, 'etc'),
        ...mounts,
      ]),
      { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: TOOLS_PATH, LC_ALL: 'C' } },
    ),
  );
  unshare.stdin.on('error', () => undefined);
  const ended = once(unshare, 'close').then(() => undefined);
  const { line, stderr } = await firstLine(unshare);
  if (line !== 'ready') {
    await ended;
    throw new StepFailed(
      `could not make the sandbox a scratch PostgreSQL runs in: ${stderr.trim() || `unshare exited with ${unshare.exitCode}`}`,
      {
        hint: 'it needs root, util-linux (unshare, nsenter, setpriv, pivot_root) and a kernel with PID, network and mount namespaces',
      },
    );
  }
  const self = { init: await childOf(unshare.pid!) };
  const account: RunAs = { name: identity.name, uid: identity.uid, gid: identity.gid, home: identity.home };
  const wrap = (argv: string[], cwd?: string): string[] => [
    'nsenter',
    `--target=${self.init}`,
    '--pid',
    '--net',
    '--mount',
    '--ipc',
    '--uts',
    '--root',
    '--wd',
    '--',
    'setpriv',
    `--reuid=${identity.uid}`,
    `--regid=${identity.gid}`,
    '--clear-groups',
    '--no-new-privs',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--pdeathsig=KILL',
    '--',
    ...(cwd ? ['env', '-C', cwd, '--'] : []),
    ...argv,
  ];
  const env = (given?: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ PATH: TOOLS_PATH, ...given, HOME: '/nonexistent', USER: identity.name });
  /** `argv`'s command and arguments as `spawn` takes them, run inside. */
  const inside = (argv: string[]): [string, string[]] => {
    const [command, ...args] = wrap(argv);
    return [command!, args];
  };
  let closing: Promise<void> | undefined;
  return {
    account,
    passwdFile: join(control, 'etc', 'passwd'),
    groupFile: join(control, 'etc', 'group'),
    hbaFile: `${AUTH_DIR}/pg_hba.conf`,
    identFile: `${AUTH_DIR}/pg_ident.conf`,
    authFolder: auth,
    async permit(role: string) {
      if (logins.includes(role)) return;
      logins.push(role);
      await writeAuth();
    },
    command: wrap,
    run: (argv: string[], o: SandboxRunOptions = {}): Promise<ProcResult> => run(wrap(argv, o.cwd), { env: env(o.env), stdin: o.stdin }),
    runOk: (argv: string[], o: SandboxRunOptions = {}): Promise<ProcResult> =>
      runOk(wrap(argv, o.cwd), { env: env(o.env), stdin: o.stdin }),
    stage: (argv: string[], o: SandboxRunOptions = {}): PipeStage => ({ argv: wrap(argv, o.cwd), opts: { env: env(o.env) } }),
    start(argv: string[], o: { env?: NodeJS.ProcessEnv; output: number }): SandboxedProcess {
      return sandboxed(endsWithUs(spawn(...inside(argv), { detached: true, stdio: ['ignore', o.output, o.output], env: env(o.env) })));
    },
    converse(argv: string[], o: { env?: NodeJS.ProcessEnv } = {}): SandboxedConversation {
      const child = endsWithUs(spawn(...inside(argv), { stdio: ['pipe', 'pipe', 'pipe'], env: env(o.env) }));
      const exited = new Promise<number | null>((resolve) => {
        child.once('error', () => {
          resolve(null);
        });
        // 'close': its output has been read to the end.
        child.once('close', (c: number | null) => {
          resolve(c);
        });
      });
      return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, exited };
    },
    close(): Promise<void> {
      closing ??= (async () => {
        unshare.stdin.end();
        const late = setTimeout(() => {
          try {
            process.kill(self.init, 'SIGKILL');
          } catch {
            // Ended already.
          }
        }, 5000);
        await ended;
        clearTimeout(late);
        await rm(control, { recursive: true, force: true });
        release();
        await identity.release();
      })();
      return closing;
    },
  };
}

/** A long-running program in the sandbox: its PID on this machine (nsenter's one child), its end, and signals to it. */
function sandboxed(child: ChildProcess): SandboxedProcess {
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', () => {
      resolve((code = null));
    });
    child.once('exit', (c) => {
      resolve((code = c));
    });
  });
  const pid = (async (): Promise<number> => {
    for (let i = 0; i < 200 && code === undefined; i++) {
      const found = await childOf(child.pid!).catch(() => 0);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
    return 0;
  })();
  return {
    pid,
    exited,
    running: () => code === undefined,
    async signal(signal: NodeJS.Signals) {
      const target = await pid;
      if (code !== undefined || !target) return;
      try {
        process.kill(target, signal);
      } catch {
        // Ended meanwhile.
      }
    },
  };
}
