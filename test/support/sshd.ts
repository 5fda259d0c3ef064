/**
 * A private OpenSSH server on 127.0.0.1 for tests (test-infrastructure.md): its own
 * host key, a client key, a local user, started as root and stopped by its PID.
 * The system sshd is never touched.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprint } from '../../src/systems/known-hosts.js';
import { freePort } from '../../src/systems/ports.js';
import { settled } from './started.js';

export interface Sshd {
  port: number;
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

export function ensureUser(user: string): void {
  if (spawnSync('id', [user], { stdio: 'ignore' }).status !== 0) {
    // Another test may create the same user at the same moment; what matters is that it exists after.
    spawnSync('useradd', ['-m', '-s', '/bin/bash', user], { stdio: 'ignore' });
    if (spawnSync('id', [user], { stdio: 'ignore' }).status !== 0) throw new Error(`could not create test user ${user}`);
  }
  // '*' : no password, but not locked ('!' would make sshd refuse the key too).
  execFileSync('usermod', ['-p', '*', user]);
}

export async function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => {
        resolve(false);
      });
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function keygen(file: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'dingo-recover-test', '-f', file]);
}

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  const user = opts.user ?? 'sshtest';
  ensureUser(user);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'dingo-sshd-'));
  chmodSync(dir, 0o755);
  keygen(join(dir, 'host_ed25519'));
  keygen(join(dir, 'client_ed25519'));
  const clientPub = readFileSync(join(dir, 'client_ed25519.pub'), 'utf8').trim();
  writeFileSync(join(dir, 'authorized_keys'), [clientPub, ...(opts.authorizedKeys ?? [])].join('\n') + '\n', { mode: 0o644 });
  const hostPublicKey = readFileSync(join(dir, 'host_ed25519.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  const port = await freePort();
  const conf = join(dir, 'sshd_config');
  writeFileSync(
    conf,
    [
      // sshd keeps the first value it reads: the caller's lines come first.
      ...(opts.config ?? []),
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_ed25519')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'AllowTcpForwarding yes',
      `AllowUsers ${user}`,
      'MaxStartups 50',
    ].join('\n') + '\n',
  );
  let sudoers: string | undefined;
  if (opts.sudo) {
    // One rule file per server: another test's sshd of the same user must not remove this one's rule.
    sudoers = `/etc/sudoers.d/dingo-recover-test-${user}-${String(port)}`;
    writeFileSync(sudoers, `${user} ALL=(ALL) ${opts.sudo === 'nopasswd' ? 'NOPASSWD: ' : ''}ALL\n`, { mode: 0o440 });
  }
  execFileSync('/usr/sbin/sshd', ['-t', '-f', conf]);
  execFileSync('/usr/sbin/sshd', ['-f', conf, '-E', join(dir, 'sshd.log')]);
  await waitForPort(port);
  const pid = Number(readFileSync(join(dir, 'sshd.pid'), 'utf8').trim());
  return {
    port,
    hostKeyFingerprint: fingerprint(Buffer.from(hostPublicKey.split(' ')[1]!, 'base64')),
    hostPublicKey,
    clientKeyFile: join(dir, 'client_ed25519'),
    user,
    dir,
    stop(): Promise<void> {
      return settled(() => {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
        if (sudoers) rmSync(sudoers, { force: true });
        rmSync(dir, { recursive: true, force: true });
      });
    },
  };
}
