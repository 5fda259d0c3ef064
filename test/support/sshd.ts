/**
 * A private OpenSSH server on 127.0.0.1 for tests (test-infrastructure.md): its own
 * host key, a client key, a local user, started as root as this process's child.
 * The system sshd is never touched.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fingerprint } from '../../src/systems/ssh/index.js';
import { freePort } from '../../src/systems/ports.js';
import { endChild } from './end-child.js';
import { leftover } from './leftovers.js';
import { registerServer } from './server-registry.js';
import { startRetried } from './started.js';

export interface Sshd {
  port: number;
  /** The server's process: once stopped, no process of it is left (its port may be handed to another). */
  pid: number;
  /** `SHA256:…` of the host key. */
  hostKeyFingerprint: string;
  /** `ssh-ed25519 AAAA…` */
  hostPublicKey: string;
  /** Private key the user's authorized_keys accepts. */
  clientKeyFile: string;
  user: string;
  dir: string;
  stop(): Promise<void>;
}

export interface SshdOptions {
  user?: string;
  /** Extra public keys to accept (the client key is always accepted). */
  authorizedKeys?: string[];
  /** Give the user passwordless sudo, or sudo that asks for a password (an /etc/sudoers.d file, removed on stop). */
  sudo?: 'nopasswd' | 'password';
  /** Extra sshd_config lines. */
  config?: string[];
}

export const sshdAvailable = existsSync('/usr/sbin/sshd') && process.getuid?.() === 0;

function ensureUser(user: string): void {
  if (spawnSync('id', [user], { stdio: 'ignore' }).status !== 0) {
    // Another test may create the same user at the same moment; what matters is that it exists after.
    spawnSync('useradd', ['-m', '-s', '/bin/bash', user], { stdio: 'ignore' });
    if (spawnSync('id', [user], { stdio: 'ignore' }).status !== 0) throw new Error(`could not create test user ${user}`);
  }
  // '*' : no password, but not locked ('!' would make sshd refuse the key too).
  execFileSync('usermod', ['-p', '*', user]);
}

/**
 * Resolves once `child` (an `sshd -D -E log`) says it listens on `port`, rejects when it exits
 * first. Its own log line, not a connect: another server may hold the port for a moment.
 */
function listening(child: ChildProcess, log: string, port: number, timeoutMs = 5000): Promise<void> {
  const line = `Server listening on 127.0.0.1 port ${String(port)}.`;
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearInterval(timer);
      reject(new Error(`sshd exited (${signal ?? String(code)}) before it listened on ${String(port)}:\n${readIfThere(log)}`));
    };
    const timer = setInterval(() => {
      if (readIfThere(log).includes(line)) {
        clearInterval(timer);
        child.off('exit', onExit);
        resolve();
      } else if (Date.now() > deadline) {
        clearInterval(timer);
        child.off('exit', onExit);
        child.kill('SIGTERM');
        reject(new Error(`sshd did not listen on 127.0.0.1:${String(port)} within ${String(timeoutMs)} ms:\n${readIfThere(log)}`));
      }
    }, 25);
    child.once('exit', onExit);
  });
}

function readIfThere(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function keygen(file: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'dingo-recover-test', '-f', file]);
}

export function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  return startRetried('sshd', () => startSshdOnce(opts));
}

/** Refuses, naming the tool and its Debian package, when a tool the test server needs is missing. */
export function needTool(command: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status !== 0)
    throw new Error(`${command} is not installed: the ssh tests need it (apt-get install ${pkg})`);
}

function writeSudoers(file: string, line: string): void {
  if (!existsSync(dirname(file)))
    throw new Error(`${dirname(file)} does not exist: the ssh tests that use sudo need it (apt-get install sudo)`);
  writeFileSync(file, line, { mode: 0o440 });
}

/** The sudo rule of the server on PORT for USER: one file per server, so another test's sshd of the same user never removes this one's. */
export function sudoRuleOf(user: string, port: number): string {
  return `/etc/sudoers.d/dingo-recover-test-${user}-${String(port)}`;
}

async function startSshdOnce(opts: SshdOptions): Promise<Sshd> {
  needTool('/usr/sbin/sshd', 'openssh-server');
  needTool('ssh-keygen', 'openssh-client');
  const user = opts.user ?? 'sshtest';
  ensureUser(user);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'dingo-sshd-'));
  let child: ChildProcess | undefined;
  let sudoers: string | undefined;
  let unregister = (): void => undefined;
  // Whatever fails from here on, the server, its sudo rule and its folder go with it.
  const stop = async (): Promise<void> => {
    forget();
    if (child) await endChild(child);
    if (sudoers) rmSync(sudoers, { force: true });
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    unregister();
  };
  const forget = leftover(stop);
  try {
    chmodSync(dir, 0o755);
    keygen(join(dir, 'host_ed25519'));
    keygen(join(dir, 'client_ed25519'));
    const clientPub = readFileSync(join(dir, 'client_ed25519.pub'), 'utf8').trim();
    writeFileSync(join(dir, 'authorized_keys'), [clientPub, ...(opts.authorizedKeys ?? [])].join('\n') + '\n', { mode: 0o644 });
    const hostPublicKey = readFileSync(join(dir, 'host_ed25519.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    const port = await freePort();
    const conf = join(dir, 'sshd_config');
    writeFileSync(conf, sshdConfig(opts, port, dir, user));
    if (opts.sudo) {
      sudoers = sudoRuleOf(user, port);
      writeSudoers(sudoers, `${user} ALL=(ALL) ${opts.sudo === 'nopasswd' ? 'NOPASSWD: ' : ''}ALL\n`);
    }
    execFileSync('/usr/sbin/sshd', ['-t', '-f', conf]);
    // In the foreground, as this process's child: its PID is known without a pid file, which sshd
    // writes after it listens (a PID read too early is 0, and kill(0) signals this whole group).
    const log = join(dir, 'sshd.log');
    child = spawn('/usr/sbin/sshd', ['-D', '-f', conf, '-E', log], { stdio: 'ignore' });
    // Its sudo rule too: a run killed outright leaves it, and the next run's setup removes it with the server.
    unregister = registerServer('sshd', child.pid!, conf, dir, { files: sudoers ? [sudoers] : [] });
    await listening(child, log, port);
    return {
      port,
      pid: child.pid!,
      hostKeyFingerprint: fingerprint(Buffer.from(hostPublicKey.split(' ')[1]!, 'base64')),
      hostPublicKey,
      clientKeyFile: join(dir, 'client_ed25519'),
      user,
      dir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function sshdConfig(opts: SshdOptions, port: number, dir: string, user: string): string {
  return (
    [
      // sshd keeps the first value it reads: the caller's lines come first.
      ...(opts.config ?? []),
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_ed25519')}`,
      'PidFile none',
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'AllowTcpForwarding yes',
      `AllowUsers ${user}`,
      'MaxStartups 50',
      // The key exchanges a cell's sshd of Dingo's era offers: OpenSSH 6.6's defaults (its myproposal.h KEX_DEFAULT_KEX),
      // on Ubuntu Trusty stemcells, whose hardening (bosh-linux-stemcell-builder, stages/base_ssh/apply.sh) sets ciphers
      // and MACs but leaves these. This machine's OpenSSH would put sntrup761x25519 first, which the era had not, and
      // which costs every ssh client ten times the CPU of curve25519: a pass runs ssh about 750 times.
      'KexAlgorithms curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,' +
        'diffie-hellman-group-exchange-sha256,diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1',
    ].join('\n') + '\n'
  );
}
