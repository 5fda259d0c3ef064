/**
 * The `bosh ssh`, `bosh scp` and (v1) `bosh download manifest` of the bosh double: flags and
 * output of each era as the real CLIs have them (bosh-cli `cmd/opts`, `ssh/`; the Ruby CLI's
 * `commands/ssh.rb`), and the command really run by OpenSSH's `ssh`/`scp` against a private sshd
 * that stands for the cell (FAKE_BOSH_SSH names one per cell IP, and the gateways), through the
 * gateway given or the director's; v2's interactive `bosh ssh` (no `-c`) runs ssh with the `--opts` given
 * (interactive). Like the real CLIs, each session logs a temporary `bosh_…`
 * user's setup and cleanup (in FAKE_BOSH_SSH's `sessionsLog`), waits for the director's tasks as the
 * CLI does (taskPollMs: the setup's, and v1's cleanup's too), fails the setup after the director's
 * agent timeout on a cell whose agent does not answer (agentTimedOut, v1AgentTimedOut), and input is never fed to a
 * non-interactive command (bosh-cli ssh/non_interactive.go gives ssh no Stdin, so Go's exec
 * gives it /dev/null; the Ruby CLI's Net::SSH never ends it: exec below). The cells' /tmp is the
 * 128 MB bosh-agent mounts there, which a copy fills (CELL_TMP_FREE_BYTES). Unknown flags are
 * refused. It runs in the fake CLIs' daemon (./cli-daemon.ts): the invocation's environment and
 * working folder are the caller's, given with each call.
 *
 * v2's `ssh` always asks for a terminal, from bosh-cli 2.0.1 to today: ssh/provider.go makes its
 * ssh sessions with `SessionImplOpts{ForceTTY: true}` (scp's without), and ssh/session.go (later
 * ssh/ssh_args.go) puts `-tt` first on ssh's command line. The double runs `ssh -tt` the same, so
 * the cell's sshd allocates a real pseudo-terminal: the command's error comes inside ssh's output,
 * every newline as CRLF, and ssh's own `Connection to … closed.` on its error, all as the real
 * terminal makes them. Its `--json` tables have the era's shape (rehearsal/bosh-formats.ts).
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, resolve } from 'node:path';
import type { BoshWorld } from '../../../src/rehearsal/bosh-sim.js';
import { renderJsonUi, type JsonTable } from '../../../src/rehearsal/bosh-formats.js';

interface SshTarget {
  port: number;
  user: string;
  identityFile: string;
  /** `ssh-ed25519 AAAA…`, as the director hands it out. */
  hostPublicKey: string;
}

/** Who called bosh: its environment and working folder. */
export interface BoshCaller {
  env: Record<string, string | undefined>;
  cwd: string;
  /** What the caller gave on standard input (an interactive `bosh ssh` hands it to ssh). */
  stdin?: Buffer;
  /** Aborted when the caller is gone before its answer (killed): its ssh goes with it. */
  gone?: AbortSignal;
}

export interface BoshSshWorld {
  /** A cell's IP (as `bosh vms` shows it) → the sshd standing for it on 127.0.0.1. */
  cells: Record<string, SshTarget>;
  /** A gateway's host name → its sshd on 127.0.0.1 (user and key come from the flags). */
  gateways: Record<string, { port: number }>;
  /** The gateway the director names in its ssh setup result, if any. */
  directorGateway?: { host: string; user: string };
  /** One JSON line per temporary user made and removed. */
  sessionsLog: string;
  /** The IPs of cells whose BOSH agent does not answer the director: v2's ssh setup task fails there (agentTimedOut). */
  unresponsiveAgents?: string[];
  /** What the cells' /tmp has free for scp to fill (default CELL_TMP_FREE_BYTES; a test may model a smaller one, to copy less). */
  cellTmpFreeBytes?: number;
}

/**
 * The cells' /tmp as bosh-agent makes it on the era's stemcells (cloudfoundry/bosh-agent
 * platform/linux_platform.go `SetupTmpDir`: `truncate -s 128M` /var/vcap/data/root_tmp, `mke2fs -t
 * ext4 -m 1` on it, mounted on /tmp with `-o loop`, root:vcap 0770): 128 MiB, of which about 117 MiB
 * are free to a user when it is fresh (what mke2fs gives a file system that small: 1 KiB blocks, a
 * 128-byte inode per 4 KiB, a 4 MiB journal and the reserved GDT blocks, and 1% kept for root; a
 * derivation from its defaults, not a measurement). The double's cell is this machine, whose /tmp is
 * larger and shared, so its scp counts what it copied under /tmp and is still there against that
 * room (cellTmp), and refuses a copy past it as the full disk does: OpenSSH's `scp -t` on the cell
 * writes what fits, leaves it there, and says `scp: PATH: No space left on device`. What the
 * cell's commands write there themselves is not counted, and `df` on the cell says this machine's.
 */
export const CELL_TMP_FREE_BYTES = 117 * 1024 * 1024;

/** The sessions' world as one invocation sees it: its caller's environment and folder with it. */
type Ssh = BoshSshWorld & BoshCaller & { era: 'v1' | 'v2' };

interface Out {
  stdout: string;
  stderr: string;
  exitCode: number;
}

interface Vm {
  job: string;
  id: string;
  index: number;
  ips: string[];
}

interface Gateway {
  host?: string;
  user?: string;
  key?: string;
  disable: boolean;
  /** v2's SOCKS5 proxy (`--gw-socks5`, else BOSH_ALL_PROXY), which wins over every gateway flag (ssh/ssh_args.go). */
  socks5?: string;
}

const fail = (stderr: string, stdout = ''): Out => ({ stdout, stderr, exitCode: 1 });

/** True when `argv` (after `bosh`) is a command this module answers. */
export function isSessionCommand(args: string[]): boolean {
  const words = args.filter((a) => !a.startsWith('-'));
  return words.includes('ssh') || words.includes('scp') || (words.includes('download') && words.includes('manifest'));
}

/**
 * `write`: bosh's standard output as it is written (v2's `ssh -c` without `--results` or `--json`
 * prints the command's output as it comes); without it, the whole output is in the answer.
 */
export async function runSession(
  world: BoshWorld,
  sessions: BoshSshWorld,
  args: string[],
  caller: BoshCaller,
  write?: (b: Buffer) => void,
): Promise<Out> {
  const era = /^1\./.test(world.version) ? 'v1' : 'v2';
  const ssh: Ssh = { ...sessions, ...caller, era };
  return era === 'v1' ? v1(world, ssh, args) : v2(world, ssh, args, write);
}

// ---- v2 (Go): go-flags, `-d NAME`, `INSTANCE-GROUP[/INSTANCE-ID]` -------------------------------

const V2_VALUE = new Set([
  '-d',
  '--deployment',
  '-e',
  '--environment',
  '-c',
  '--command',
  '--gw-host',
  '--gw-user',
  '--gw-private-key',
  '--gw-socks5',
  '--opts',
]);
const V2_BOOL = new Set(['--json', '-n', '--non-interactive', '--tty', '-r', '--results', '--gw-disable', '--recursive']);

async function v2(world: BoshWorld, ssh: Ssh, args: string[], write?: (b: Buffer) => void): Promise<Out> {
  const flags = new Map<string, string[]>();
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    // go-flags (parser.go): `--name=VALUE`, or the next argument unless it looks like an option.
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    if (eq > 0 && V2_VALUE.has(a.slice(0, eq))) {
      const name = a.slice(0, eq);
      flags.set(name, [...(flags.get(name) ?? []), a.slice(eq + 1)]);
    } else if (V2_VALUE.has(a)) {
      if (i + 1 >= args.length) return fail(`expected argument for flag \`${a}'\n`);
      if (args[i + 1]!.startsWith('-')) return fail(`expected argument for flag \`${a}', but got option \`${args[i + 1]!}'\n`);
      flags.set(a, [...(flags.get(a) ?? []), args[++i]!]);
    } else if (V2_BOOL.has(a)) flags.set(a, ['']);
    else if (a.startsWith('-')) return fail(`unknown flag \`${a.replace(/^-+/, '')}'\n`);
    else words.push(a);
  }
  const one = (...names: string[]) => names.map((n) => flags.get(n)?.[0]).find((v) => v !== undefined);
  const has = (...names: string[]) => names.some((n) => flags.has(n));
  const [command, ...rest] = words;
  const deploymentName = one('-d', '--deployment') ?? ssh.env.BOSH_DEPLOYMENT;
  const lines = [`Using environment '${world.director.url}' as client '${world.director.user}'`];
  const json = has('--json');
  const finish = (o: {
    tables?: JsonTable[];
    lines: string[];
    exitCode: number;
    stderr?: string;
    text?: string;
    blocks?: string[];
  }): Out => {
    const all = [...o.lines, o.exitCode === 0 ? 'Succeeded' : 'Exit code 1'];
    if (json) return { ...renderJsonUi(world.version, o.tables ?? [], all, o.exitCode, o.blocks), stderr: o.stderr ?? '' };
    return {
      stdout: [...o.lines, o.text ?? '', all.at(-1)].filter((l) => l !== '').join('\n\n') + '\n',
      stderr: o.stderr ?? '',
      exitCode: o.exitCode,
    };
  };
  if (command === 'download') return fail("Unknown command `download'. Please specify one command of: ...\n");
  if (!deploymentName) return finish({ lines: [...lines, 'Expected non-empty deployment name'], exitCode: 1 });
  lines.push(`Using deployment '${deploymentName}'`);
  const dep = world.deployments.find((d) => d.name === deploymentName);
  if (!dep) {
    const why = `Director responded with non-successful status code '404' response '{"code":70000,"description":"Deployment '${deploymentName}' doesn't exist"}'`;
    return finish({ lines: [...lines, why], exitCode: 1 });
  }
  // cmd/ssh.go, before the director is asked: no command with --results, or a UI made non-interactive (-n, or
  // go-flags' BOSH_NON_INTERACTIVE, a bool as strconv reads it).
  const cmd = flags.get('-c') ?? flags.get('--command');
  const nonInteractive = has('-n', '--non-interactive') || /^(1|t|T|TRUE|true|True)$/.test(ssh.env.BOSH_NON_INTERACTIVE ?? '');
  if (command === 'ssh' && !cmd && (nonInteractive || has('-r', '--results')))
    return finish({ lines: [...lines, 'Non-interactive SSH requires non-empty command'], exitCode: 1 });
  const gw = gatewayOf(ssh, {
    host: one('--gw-host'),
    user: one('--gw-user'),
    key: one('--gw-private-key'),
    disable: has('--gw-disable'),
    socks5: one('--gw-socks5') ?? ssh.env.BOSH_ALL_PROXY,
  });
  const slug = command === 'ssh' ? rest[0] : rest.find((w) => w.includes(':'))?.split(':')[0];
  if (!slug) return finish({ lines: [...lines, `Expected instance slug for ${command ?? 'a command'}`], exitCode: 1 });
  const [group, id] = slug.split('/') as [string, string | undefined];
  const vms = dep.vms.filter((v) => v.job === group && (id === undefined || v.id === id || String(v.index) === id));
  const task = 1000 + Math.floor(Math.random() * 9000);
  lines.push(`Task ${String(task)}`);
  if (vms.length === 0) {
    return finish({
      lines: [...lines, `Task ${String(task)} error`, `Instance group '${slug}' doesn't exist or has no instances`],
      exitCode: 1,
    });
  }
  const silent = silentAgent(ssh, vms);
  if (silent) {
    const failed = await agentTimedOut(task, deploymentName, silent, json);
    return finish({ lines: [...lines, ...failed.lines], blocks: failed.blocks, exitCode: 1 });
  }
  if (command === 'scp') {
    const [from, to] = rest;
    if (!from || !to || rest.length !== 2) return finish({ lines: [...lines, 'Expected exactly two paths'], exitCode: 1 });
    const remote = to.slice(to.indexOf(':') + 1);
    const results = await withSessions(ssh, vms, (vm, user) => scp(ssh, vm, gw, user, from, remote));
    const failed = results.find((r) => r.exitCode !== 0);
    return finish({ lines: failed ? [...lines, `Running SCP: ${failed.stderr.trim()}`] : lines, exitCode: failed ? 1 : 0 });
  }
  if (!cmd) return interactive(ssh, vms, gw, flags.get('--opts') ?? [], (o) => finish({ ...o, lines: [...lines, ...o.lines] }));
  if (write && !json && !has('-r', '--results')) {
    // The output as it comes, through one prefixing writer for both streams, as bosh-cli's ComboWriter.
    write(Buffer.from(lines.join('\n\n') + '\n\n'));
    const combo = new ComboWriter(write);
    const streamed = await withSessions(ssh, vms, (vm, user) =>
      execStreamed(
        ssh,
        vm,
        gw,
        user,
        cmd.join(' '),
        combo.writer(`${vm.job}/${vm.id}: stdout | `),
        combo.writer(`${vm.job}/${vm.id}: stderr | `),
      ),
    );
    const failed = streamed.some((r) => r.exitCode !== 0);
    write(Buffer.from(`${combo.onNL ? '' : '\n'}\n${failed ? 'Exit code 1' : 'Succeeded'}\n`));
    return { stdout: '', stderr: '', exitCode: failed ? 1 : 0 };
  }
  const results = await withSessions(ssh, vms, (vm, user) => exec(ssh, vm, gw, user, cmd.join(' ')));
  const failed = results.some((r) => r.exitCode !== 0);
  const errorOf = (r: Out) => (r.exitCode === 0 ? '' : `Running command: 'ssh', stdout: '', stderr: '': exit status ${String(r.exitCode)}`);
  if (has('-r', '--results')) {
    // ssh/results_writer.go: one row per instance, sorted by it; ssh's output and error as they came.
    const table: JsonTable = {
      content: 'results',
      headers: ['Instance', 'Stdout', 'Stderr', 'Exit Code', 'Error'],
      rows: vms.map((vm, i) => [
        `${vm.job}/${vm.id}`,
        results[i]!.stdout,
        results[i]!.stderr,
        String(results[i]!.exitCode),
        errorOf(results[i]!),
      ]),
    };
    return finish({
      tables: [table],
      lines: failed ? [...lines, results.map(errorOf).filter(Boolean).join('\n')] : lines,
      exitCode: failed ? 1 : 0,
    });
  }
  const prefixed = vms
    .flatMap((vm, i) => [
      ...streamLines(results[i]!.stdout).map((l) => `${vm.job}/${vm.id}: stdout | ${l}`),
      ...streamLines(results[i]!.stderr).map((l) => `${vm.job}/${vm.id}: stderr | ${l}`),
    ])
    .join('\n');
  return finish({ lines, text: prefixed, exitCode: failed ? 1 : 0 });
}

/**
 * v2's interactive `bosh ssh` (no `-c`): bosh-cli's InteractiveRunner (ssh/interactive.go) takes one instance
 * only and runs `ssh` attached to bosh's own standard streams, with `-tt` and its options (ssh/ssh_args.go)
 * and then the `--opts` given, each trimmed of spaces (cmd/opts.go `TrimmedSpaceArgs`). ssh's exit other
 * than 0 is bosh's error (boshsys: "Running command: 'ssh', …: exit status N"). The session's user is set up
 * before and cleaned up after, as for a command. A caller gone (its client killed, by whatever signal: the
 * client cannot say which) takes its ssh with it and asks for no cleanup, as a bosh-cli killed outright;
 * bosh-cli stopped by SIGTERM or Ctrl-C (combo_runner.go setUpInterrupt) would still have the user removed.
 */
async function interactive(
  ssh: Ssh,
  vms: Vm[],
  gw: Gateway,
  rawOpts: string[],
  finish: (o: { lines: string[]; exitCode: number; text?: string; stderr?: string }) => Out,
): Promise<Out> {
  const [vm] = vms;
  if (!vm || vms.length !== 1) return finish({ lines: ['Interactive SSH only works for a single host at a time'], exitCode: 1 });
  const [r] = await withSessions(ssh, vms, () =>
    withDir(ssh, (dir) => {
      const cell = cellOf(ssh, vm);
      const opts = rawOpts.map((o) => o.trim());
      const args = ['-tt', ...sshOptions(ssh, cell, gw, dir), ...opts, '-p', String(cell.port), '-l', cell.user, '127.0.0.1'];
      // Attached to bosh's streams: the caller's input, and the caller's life.
      return spawnOut(ssh, 'ssh', args, { stdin: ssh.stdin ?? Buffer.alloc(0), ...(ssh.gone && { signal: ssh.gone }) });
    }),
  );
  const exitCode = r?.exitCode ?? 255;
  const failed = exitCode === 0 ? [] : [`Running command: 'ssh', stdout: '', stderr: '': exit status ${String(exitCode)}`];
  return finish({ lines: failed, text: r?.stdout, stderr: r?.stderr, exitCode: exitCode === 0 ? 0 : 1 });
}

const streamLines = (text: string): string[] => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

// ---- v1 (Ruby): OptionParser, `-d MANIFEST`, `JOB/INDEX` or `JOB INDEX` --------------------------

const V1_VALUE = new Set([
  '-d',
  '--deployment',
  '--gateway_host',
  '--gateway_user',
  '--gateway_identity_file',
  '--default_password',
  '--strict_host_key_checking',
  '--public_key',
]);
const V1_BOOL = new Set(['-n', '--non-interactive', '--no_gateway', '--upload', '--download']);

async function v1(world: BoshWorld, ssh: Ssh, args: string[]): Promise<Out> {
  const flags = new Map<string, string>();
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (V1_VALUE.has(a)) {
      if (i + 1 >= args.length) return fail('', `missing argument: ${a}\n`);
      flags.set(a, args[++i]!);
    } else if (V1_BOOL.has(a)) flags.set(a, '');
    else if (a.startsWith('-')) return fail('', `invalid option: ${a}\n`);
    else words.push(a);
  }
  const d = world.director;
  const [command, ...rest] = words;
  if (command === 'download') {
    const [what, name, file] = rest;
    const dep = world.deployments.find((x) => x.name === name);
    if (what !== 'manifest' || !name) return fail('', 'Usage: download manifest <deployment_name> [<save_as>]\n');
    if (!dep) return fail('', `Acting as user '${d.user}' on '${d.name}'\nError 70000: Deployment '${name}' doesn't exist\n`);
    const jobs = [...new Set(dep.vms.map((v) => v.job))].map(
      (j) => `- name: ${j}\n  instances: ${String(dep.vms.filter((v) => v.job === j).length)}\n`,
    );
    const manifest = `---\nname: ${dep.name}\ndirector_uuid: 6f1d0b3c-5a4e-4f8e-9d2c-1b0a9e8d7c6b\njobs:\n${jobs.join('')}`;
    if (!file) return { stdout: manifest, stderr: '', exitCode: 0 };
    writeFileSync(resolve(ssh.cwd, file), manifest, { mode: 0o600 });
    return { stdout: `Acting as user '${d.user}' on '${d.name}'\nDeployment manifest saved to \`${file}'\n`, stderr: '', exitCode: 0 };
  }
  const manifestFile = flags.get('-d') ?? flags.get('--deployment');
  if (!manifestFile) return fail('', 'Please choose deployment first\n');
  const manifest = readFileSync(resolve(ssh.cwd, manifestFile), 'utf8');
  const name = /^name:\s*(\S+)/m.exec(manifest)?.[1];
  const dep = world.deployments.find((x) => x.name === name);
  const acting = `Acting as user '${d.user}' on deployment '${name ?? ''}' on '${d.name}'\n`;
  if (!dep) return fail('', `${acting}Error 70000: Deployment '${name ?? ''}' doesn't exist\n`);
  const [first = '', ...after] = rest;
  const [job, index] = first.includes('/') ? first.split('/', 2) : [first, /^\d+$/.test(after[0] ?? '') ? after.shift() : undefined];
  if (!job) return fail('', 'Please provide job name\n');
  if (index !== undefined && !/^\d+$/.test(index)) return fail('', 'Invalid job index, integer number expected\n');
  // ssh.rb's job_must_exist_in_deployment: the manifest file given, as it was downloaded, before the director is asked.
  if (!manifest.split('\n').includes(`- name: ${job}`)) return fail(`Job \`${job}' doesn't exist`, acting);
  const vms = dep.vms.filter((v) => v.job === job && (index === undefined || String(v.index) === index));
  const gw = gatewayOf(ssh, {
    host: flags.get('--gateway_host'),
    user: flags.get('--gateway_user'),
    key: flags.get('--gateway_identity_file'),
    disable: flags.has('--no_gateway'),
  });
  const task = 1000 + Math.floor(Math.random() * 9000);
  const head = `${acting}Target deployment is '${dep.name}'\n\nSetting up ssh artifacts\n`;
  // ssh.rb's `err`, which runner.rb prints on stderr (`say_err`, no newline of its own) and a newline after it on stdout.
  const setupFailed = `Failed to set up SSH: see task ${String(task)} log for details`;
  if (vms.length === 0) {
    const deploymentId = world.deployments.indexOf(dep) + 1;
    return fail(setupFailed, `${head}${await v1InstanceNotFound(ssh, task, { deploymentId, job, index })}\n`);
  }
  const silent = silentAgent(ssh, vms);
  if (silent) return fail(setupFailed, `${head}${await v1AgentTimedOut(task)}\n`);
  if (command === 'scp') {
    const [from, to] = after;
    if (!flags.has('--upload') || !from || !to) return fail('', 'Please enter valid source and destination paths\n');
    const results = await withSessions(ssh, vms, (vm, user) => scp(ssh, vm, gw, user, from, to));
    const failed = results.find((r) => r.exitCode !== 0);
    const out = `Executing file operations on job ${job}\n${head}\nCleaning up ssh artifacts\n`;
    return failed ? fail(failed.stderr, out) : { stdout: out, stderr: '', exitCode: 0 };
  }
  if (command !== 'ssh') return fail('', `Unknown command: ${words.join(' ')}\n`);
  const cmd = after.join(' ');
  if (!cmd) return fail('', 'the bosh double runs commands only non-interactively: give the command after the instance\n');
  // Net::SSH's exec! returns stdout and stderr mixed, and the command's exit status is lost.
  const results = await withSessions(ssh, vms, (vm, user) => exec(ssh, vm, gw, user, cmd, true));
  const body = vms.map((vm, i) => `\n${vm.job}/${String(vm.index)}\n${results[i]!.stdout}\n`).join('');
  return { stdout: `Executing '${cmd}' on ${job}/${index ?? ''}\n${head}${body}\nCleaning up ssh artifacts\n`, stderr: '', exitCode: 0 };
}

// ---- the sessions, over real OpenSSH -----------------------------------------------------------

function gatewayOf(ssh: Ssh, given: Gateway): Gateway {
  if (given.socks5) return { disable: true, socks5: given.socks5 };
  if (given.disable) return { disable: true };
  const director = ssh.directorGateway;
  return { host: given.host ?? director?.host, user: given.user ?? director?.user, key: given.key, disable: false };
}

/**
 * How long the CLI waits for each of the director's tasks of a session, at the least: the task is never
 * done at its first look (the director queues it, then an agent makes or removes the user), and the CLI
 * looks again after its poll interval. bosh-cli polls a task every 500 ms (director/client.go,
 * `NewTaskClientRequest(…, 500*time.Millisecond)`; task_client_request.go `WaitForCompletion`); the Ruby
 * CLI every second (lib/cli/task_tracking/task_tracker.rb, `POLL_INTERVAL = 1`). A real director takes
 * longer still, seconds each under load; this is its floor, not its mean.
 */
const taskPollMs = (ssh: Ssh): number => (ssh.era === 'v1' ? 1000 : 500);

/**
 * One temporary user per instance, set up before and cleaned up after, as the director does: one task
 * sets up the users of every instance named, waited for (taskPollMs), and one removes them. bosh-cli
 * does not wait for the removal (director/ssh.go `CleanUpSSH` posts it with `clientRequest`, "since we
 * don't want to wait for cleanup to finish"); the Ruby CLI is taken to wait for it a poll.
 */
async function withSessions(ssh: Ssh, vms: Vm[], each: (vm: Vm, user: string) => Promise<Out>): Promise<Out[]> {
  await sleep(taskPollMs(ssh));
  try {
    return await eachSession(ssh, vms, each);
  } finally {
    if (ssh.era === 'v1') await sleep(taskPollMs(ssh));
  }
}

/** The first instance named whose agent the world says does not answer. */
const silentAgent = (ssh: Ssh, vms: Vm[]): Vm | undefined => vms.find((vm) => vm.ips.some((ip) => ssh.unresponsiveAgents?.includes(ip)));

/** How long the director waits for an agent's answer to a message (agent_client.rb, `options[:timeout] || 45`). */
const AGENT_TIMEOUT_S = 45;

/**
 * v2's `bosh ssh` to an instance whose agent does not answer: the director's setup task sends `ssh`
 * to the agent and fails after AGENT_TIMEOUT_S with agent_client.rb's RpcTimeout; bosh-cli polls the
 * task until then (taskPollMs), its reporter (ui/task/reporter.go) printing the task's one event, the
 * error, as blocks, then the task's times and state as lines, and the error director/ssh.go wraps
 * (`Setting up SSH in deployment`) around task_client_request.go's. No user is made, so none is logged.
 */
async function agentTimedOut(task: number, deployment: string, vm: Vm, json: boolean): Promise<{ lines: string[]; blocks: string[] }> {
  await sleep(AGENT_TIMEOUT_S * 1000);
  const at = new Date();
  // boshuifmt's TimeFullFmt, "Mon Jan _2 15:04:05 UTC 2006".
  const [day, date, month, year, time] = at.toUTCString().replace(',', '').split(' ') as [string, string, string, string, string];
  const full = `${day} ${month} ${String(Number(date)).padStart(2)} ${time} UTC ${year}`;
  const error = `Error: Timed out sending 'ssh' to instance: '${vm.job}/${vm.id}', agent-id: '${randomUUID()}' after ${String(AGENT_TIMEOUT_S)} seconds`;
  const event = `Task ${String(task)} | ${at.toISOString().slice(11, 19)} | `;
  const times = `Task ${String(task)} Started  ${full}\nTask ${String(task)} Finished ${full}\nTask ${String(task)} Duration 00:00:00`;
  const wrapped = `Setting up SSH in deployment '${deployment}':\n  Expected task '${String(task)}' to succeed but state is 'error'`;
  if (json) return { lines: ['\n', `\n\n${times}`, `\nTask ${String(task)} error\n`, wrapped], blocks: [`\n${event}`, error] };
  return { lines: [`${event}${error}`, times, `Task ${String(task)} error`, wrapped], blocks: [] };
}

/**
 * v1's `bosh ssh` to an instance whose agent does not answer: the setup task fails after
 * AGENT_TIMEOUT_S with agent_client.rb's RpcTimeout (error 450002, "Timed out sending `ssh' to
 * AGENT-ID after 45 seconds"), the Ruby CLI polling it every second meanwhile. Its task tracker
 * (task_tracking/task_tracker.rb) prints `Director task N`, the event log's error as
 * event_log_renderer.rb's `add_error` renders it, and `Task N error`; no user was made, so none is logged.
 */
async function v1AgentTimedOut(task: number): Promise<string> {
  await sleep(AGENT_TIMEOUT_S * 1000);
  return v1TaskFailed(task, `Error 450002: Timed out sending \`ssh' to ${randomUUID()} after ${String(AGENT_TIMEOUT_S)} seconds`);
}

/** A director task that failed, as the Ruby CLI's task tracker prints it: `Director task N`, the event log's error, `Task N error`. */
const v1TaskFailed = (task: number, error: string): string => `\nDirector task ${String(task)}\n\n${error}\n\nTask ${String(task)} error\n`;

/**
 * v1's setup task when no instance matches what the manifest still names (its VM deleted since the manifest was
 * downloaded): the director's ssh job (director/lib/director/jobs/ssh.rb) filters the instances by deployment, the
 * indexes the CLI sent (`[index]`, director.rb `setup_ssh`) and job through Api::InstanceManager#filter_by, which
 * raises InstanceNotFound (70001, errors.rb) "No instances matched" and the filter as Ruby inspects a Hash. The CLI
 * polls the task (taskPollMs) and its task tracker prints it as v1AgentTimedOut's.
 */
async function v1InstanceNotFound(ssh: Ssh, task: number, t: { deploymentId: number; job: string; index?: string }): Promise<string> {
  await sleep(taskPollMs(ssh));
  const filter = `{:deployment_id=>${String(t.deploymentId)}${t.index === undefined ? '' : `, :index=>[${t.index}]`}, :job=>${JSON.stringify(t.job)}}`;
  return v1TaskFailed(task, `Error 70001: No instances matched ${filter}`);
}

async function eachSession(ssh: Ssh, vms: Vm[], each: (vm: Vm, user: string) => Promise<Out>): Promise<Out[]> {
  const out: Out[] = [];
  for (const vm of vms) {
    const user = `bosh_${randomBytes(8).toString('hex').slice(0, 15)}`;
    appendFileSync(ssh.sessionsLog, JSON.stringify({ event: 'setup', user, instance: `${vm.job}/${vm.id}` }) + '\n');
    try {
      out.push(await each(vm, user));
    } finally {
      if (!ssh.gone?.aborted)
        appendFileSync(ssh.sessionsLog, JSON.stringify({ event: 'cleanup', user, instance: `${vm.job}/${vm.id}` }) + '\n');
    }
  }
  return out;
}

function cellOf(ssh: Ssh, vm: Vm): SshTarget {
  const cell = vm.ips.map((ip) => ssh.cells[ip]).find(Boolean);
  if (!cell) throw new Error(`the bosh double has no sshd for ${vm.job}/${vm.id} (${vm.ips.join(', ')})`);
  return cell;
}

/** ssh's options as bosh-cli gives them (ssh/ssh_args.go), with a known_hosts of the director's host key. */
function sshOptions(ssh: Ssh, cell: SshTarget, gw: Gateway, dir: string): string[] {
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${String(cell.port)} ${cell.hostPublicKey}\n`);
  const config = join(dir, 'config');
  writeFileSync(
    config,
    Object.entries(ssh.gateways)
      .map(([name, g]) => `Host ${name}\n  HostName 127.0.0.1\n  Port ${String(g.port)}\n`)
      .join(''),
  );
  const opts = [
    '-F',
    config,
    '-o',
    'ServerAliveInterval=30',
    '-o',
    'ForwardAgent=no',
    '-o',
    'PasswordAuthentication=no',
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `IdentityFile=${cell.identityFile}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
  ];
  // The proxy's ProxyCommand, whatever the gateway flags said (ssh/ssh_args.go `OptsForHost`).
  if (gw.socks5) return [...opts, '-o', `ProxyCommand=nc -x ${gw.socks5.replace(/^socks5:\/\//, '')} %h %p`];
  if (gw.disable || !gw.host) return opts;
  const gwOpts = [
    '-F',
    config,
    '-o',
    'ForwardAgent=no',
    '-o',
    'ClearAllForwardings=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'BatchMode=yes',
  ];
  if (gw.key) gwOpts.push('-o', 'PasswordAuthentication=no', '-o', 'IdentitiesOnly=yes', '-o', `IdentityFile=${gw.key}`);
  // "Always force TTY for gateway ssh" (ssh/ssh_args.go); with -W, ssh forwards the connection and runs no session.
  // v2 puts the gateway user after -l as it is, empty when neither --gw-user nor the director gave one, which
  // leaves ssh without a host (ssh_args.go `gwOpts`); the Ruby CLI takes $USER then (ssh.rb).
  const user = gw.user ?? (ssh.era === 'v1' ? (ssh.env.USER ?? 'root') : '');
  return [...opts, '-o', `ProxyCommand=ssh -tt -W %h:%p -l ${user} ${gw.host} ${gwOpts.join(' ')}`];
}

/**
 * v1 runs the command over Net::SSH without a terminal (`mixed`: its streams come as one); v2 through `ssh -tt`.
 * Net::SSH's `exec!` (net-ssh lib/net/ssh/connection/session.rb `exec`, `exec!`) opens a channel, runs the command
 * and gathers what it writes, and never sends it data nor its end: the Ruby CLI's own input goes nowhere, and a
 * command that reads its standard input waits for good. So v1's ssh here holds its input open, never written.
 */
function exec(ssh: Ssh, vm: Vm, gw: Gateway, _user: string, command: string, mixed = false): Promise<Out> {
  return withDir(ssh, (dir) => spawnOut(ssh, 'ssh', sshExecArgs(ssh, vm, gw, dir, command, !mixed), { mixed, heldOpen: mixed }));
}

/** ssh's command line that runs `command` on the cell standing for `vm`; `tty`: with `-tt` first, as bosh-cli v2 gives it. */
function sshExecArgs(ssh: Ssh, vm: Vm, gw: Gateway, dir: string, command: string, tty: boolean): string[] {
  const cell = cellOf(ssh, vm);
  return [...(tty ? ['-tt'] : []), ...sshOptions(ssh, cell, gw, dir), '-p', String(cell.port), '-l', cell.user, '127.0.0.1', command];
}

function scp(ssh: Ssh, vm: Vm, gw: Gateway, _user: string, from: string, to: string): Promise<Out> {
  const cell = cellOf(ssh, vm);
  return withDir(ssh, async (dir) => {
    const room = cellTmp(ssh, resolve(ssh.cwd, from), to);
    const copied = room === null ? from : join(dir, 'what-fits');
    if (room !== null) writeFileSync(copied, readFileSync(resolve(ssh.cwd, from)).subarray(0, room));
    const r = await spawnOut(ssh, 'scp', [
      '-O',
      '-q',
      ...sshOptions(ssh, cell, gw, dir),
      '-P',
      String(cell.port),
      copied,
      `${cell.user}@127.0.0.1:${to}`,
    ]);
    if (room === null || r.exitCode !== 0) return r;
    return { stdout: '', stderr: noSpace(ssh, to), exitCode: 1 };
  });
}

/**
 * The bytes of `from` that fit in the cell's /tmp when `to` is there and it all does not (null: it all fits, or
 * goes elsewhere), the copy logged (cellTmp's ledger) either way.
 */
function cellTmp(ssh: Ssh, from: string, to: string): number | null {
  if (!to.startsWith('/tmp/')) return null;
  const ledger = `${ssh.sessionsLog}.cell-tmp`;
  const copied = existsSync(ledger) ? readFileSync(ledger, 'utf8').split('\n').filter(Boolean) : [];
  const used = [...new Set(copied)].filter((f) => f !== to).reduce((n, f) => n + (existsSync(f) ? statSync(f).size : 0), 0);
  appendFileSync(ledger, `${to}\n`);
  const room = Math.max(0, (ssh.cellTmpFreeBytes ?? CELL_TMP_FREE_BYTES) - used);
  return statSync(from).size <= room ? null : room;
}

/**
 * A copy to a full /tmp as each era's CLI reports it. v2 runs OpenSSH's scp, whose error it passes on. The Ruby CLI
 * copies with Net::SCP (ssh.rb `ssh.scp.upload!`), which raises the `scp -t`'s error reply, byte 1 and its text, as a
 * RuntimeError (net-ssh/net-scp lib/net/scp.rb `await_response_state`): neither ssh.rb nor runner.rb catches it, so
 * Ruby prints it and its backtrace and exits 1, after ssh.rb's `ensure` said "Cleaning up ssh artifacts" (the gem's
 * path and line numbers here stand for any).
 */
function noSpace(ssh: Ssh, to: string): string {
  const said = `scp: ${to}: No space left on device`;
  if (ssh.era === 'v2') return `${said}\n`;
  const gem = '/usr/local/lib/ruby/gems/2.1.0/gems';
  return `${gem}/net-scp-1.2.1/lib/net/scp.rb:398:in \`await_response_state': \u0001${said} (RuntimeError)\n\tfrom ${gem}/net-scp-1.2.1/lib/net/scp.rb:366:in \`block (3 levels) in start_command'\n`;
}

/** A folder of the session's own, in the caller's temporary folder. */
async function withDir<T>(ssh: Ssh, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(ssh.env.TMPDIR || tmpdir(), 'fake-bosh-ssh-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `ssh` running the command, its streams handed to `out` and `err` as they come. */
function execStreamed(
  ssh: Ssh,
  vm: Vm,
  gw: Gateway,
  _user: string,
  command: string,
  out: (b: Buffer) => void,
  err: (b: Buffer) => void,
): Promise<Out> {
  return withDir(
    ssh,
    (dir) =>
      new Promise((done) => {
        const child = spawn('ssh', sshExecArgs(ssh, vm, gw, dir, command, true), { ...callerOf(ssh), stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.on('data', out);
        child.stderr.on('data', err);
        child.on('close', (code) => done({ stdout: '', stderr: '', exitCode: code ?? 255 }));
      }),
  );
}

/**
 * bosh-cli's ui.ComboWriter: each writer puts its prefix before every line it starts, and all of
 * them share one "at a line's start" state, so a writer that writes while another is inside a
 * line goes on that line, unprefixed.
 */
class ComboWriter {
  onNL = true;

  constructor(private readonly write: (b: Buffer) => void) {}

  writer(prefix: string): (b: Buffer) => void {
    const p = Buffer.from(prefix);
    return (bytes) => {
      let from = 0;
      for (;;) {
        const nl = bytes.indexOf(10, from);
        const piece = bytes.subarray(from, nl < 0 ? bytes.length : nl);
        if (nl < 0) {
          if (!this.onNL) this.write(piece);
          else if (piece.length > 0) {
            this.write(Buffer.concat([p, piece]));
            this.onNL = false;
          }
          return;
        }
        this.write(Buffer.concat([...(this.onNL ? [p] : []), piece, Buffer.from('\n')]));
        this.onNL = true;
        from = nl + 1;
      }
    };
  }
}

/** What a program the session runs is given of its caller: the environment, and the folder (relative paths are the caller's). */
const callerOf = (ssh: Ssh) => ({ env: ssh.env, ...(ssh.cwd && { cwd: ssh.cwd }) });

/**
 * Runs a program, with no input unless `stdin` is given (`heldOpen`: an input never written nor ended); `mixed`
 * puts its stderr into its stdout in the order written; `signal` kills it when aborted.
 */
function spawnOut(
  ssh: Ssh,
  program: string,
  args: string[],
  o: { mixed?: boolean; stdin?: Buffer; heldOpen?: boolean; signal?: AbortSignal } = {},
): Promise<Out> {
  const { mixed = false, stdin, heldOpen = false, signal } = o;
  return new Promise((done) => {
    const child = spawn(program, args, {
      ...callerOf(ssh),
      stdio: [stdin || heldOpen ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      ...(signal && { signal }),
    });
    if (heldOpen) child.on('close', () => child.stdin?.destroy());
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    // Killed by its signal: the close below still answers.
    child.on('error', () => undefined);
    if (stdin) {
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(stdin);
    }
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => (mixed ? out : err).push(b));
    child.on('close', (code) => {
      done({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), exitCode: code ?? 255 });
    });
  });
}
