import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SshConfig,
  parseProxyJump,
  matchHostPatterns,
  KnownHosts,
  fingerprint,
  hostToken,
  preferredHostKeyAlgorithms,
  cellHop,
  hostKeyName,
} from '../../../src/systems/ssh/index.js';
import { remoteCommand } from '../../../src/adapters/shell.js';
import { quote } from '../../../src/core/command-line.js';
import { Redactor } from '../../../src/core/redact.js';

const home = mkdtempSync(join(tmpdir(), 'dingo-sshcfg-'));
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

function blob(type: string, fill: number): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.alloc(32, fill)]);
}

describe('ssh config', () => {
  const config = SshConfig.parse(
    `
# jumpbox of the foundation
Host jumpbox
  HostName 203.0.113.10
  User ubuntu
  IdentityFile ~/.ssh/opsman.pem

Host 10.58.* !10.58.0.1
  HostName 127.0.0.1
  Port=2201
  ProxyJump jumpbox
  User "cell user"
  UserKnownHostsFile ~/.ssh/cells_known_hosts /etc/other
Host 10.58.111.1??
  Port 2999
  User ignored
  IdentityFile %d/.ssh/cell_%h
Host *
  User fallback
  IdentityFile ~/.ssh/id_default
`,
    '<test>',
    home,
  );

  it('takes the first value obtained, across matching blocks', () => {
    expect(config.resolve('10.58.111.150', home)).toEqual({
      hostName: '127.0.0.1',
      port: 2201,
      user: 'cell user',
      proxyJump: 'jumpbox',
      identityFiles: [`${home}/.ssh/cell_127.0.0.1`, `${home}/.ssh/id_default`],
      userKnownHostsFiles: [`${home}/.ssh/cells_known_hosts`, '/etc/other'],
    });
  });

  it('honours negated patterns and the catch-all', () => {
    expect(config.resolve('10.58.0.1', home)).toEqual({ user: 'fallback', identityFiles: [`${home}/.ssh/id_default`] });
    expect(matchHostPatterns(['10.58.*', '!10.58.0.1'], '10.58.0.2')).toBe(true);
    expect(matchHostPatterns(['10.58.?'], '10.58.12')).toBe(false);
  });

  it('refuses a config file, or a file it includes, that another user owns or may write, as OpenSSH does', () => {
    const dir = mkdtempSync(join(home, 'trust-'));
    mkdirSync(join(dir, '.ssh'), { mode: 0o700 });
    const file = join(dir, '.ssh', 'config');
    writeFileSync(file, 'Host cell-*\n  Port 2022\n  Include their.conf\n', { mode: 0o600 });
    const included = join(dir, '.ssh', 'their.conf');
    writeFileSync(included, 'ProxyJump attacker.example\n', { mode: 0o600 });
    expect(SshConfig.load(file, dir).resolve('cell-a', dir).port).toBe(2022);

    chownSync(file, 65534, 65534);
    expect(() => SshConfig.load(file, dir)).toThrow(`refusing the ssh config ${file}: it is owned by uid 65534`);
    chownSync(file, 0, 0);
    chmodSync(file, 0o666);
    expect(() => SshConfig.load(file, dir)).toThrow(
      `refusing the ssh config ${file}: it may be written by its group and other users (mode 0666)`,
    );
    chmodSync(file, 0o600);
    chmodSync(included, 0o646);
    expect(() => SshConfig.load(file, dir)).toThrow(`refusing the ssh config ${included}: it may be written by other users (mode 0646)`);
    chmodSync(included, 0o600);
    chmodSync(join(dir, '.ssh'), 0o777);
    expect(() => SshConfig.load(file, dir)).toThrow(`the folder ${join(dir, '.ssh')} above it may be written by its group and other users`);
  });

  it('follows Include relative to ~/.ssh in the scope it stands in, and never runs Match exec', () => {
    mkdirSync(join(home, '.ssh', 'conf.d'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'conf.d', 'cells.conf'), 'Host cell-*\n  Port 2022\n');
    const c = SshConfig.parse('Include conf.d/*.conf\nMatch exec "false"\n  Port 1\n', '<test>', home);
    expect(c.resolve('cell-a', home).port).toBe(2022);
    expect(c.resolve('other', home).port).toBeUndefined();
    expect(c.warnings).toEqual([
      '<test>:2: Match exec is not evaluated (dingo-recover runs no command from the ssh config): the settings of that block are skipped',
    ]);
    // Inside a block that does not match, an Include's hosts never match either (ssh -G says port 22).
    const inside = SshConfig.parse('Match exec "false"\n  Port 1\nInclude conf.d/*.conf\n', '<test>', home);
    expect(inside.resolve('cell-a', home).port).toBeUndefined();
  });

  it('maps a cell IP to a hop chain through the jumpbox', () => {
    const hop = cellHop('10.58.111.150', { redactor: new Redactor() }, config, home);
    expect(hop).toMatchObject({ alias: '10.58.111.150', hostName: '127.0.0.1', port: 2201, user: 'cell user' });
    expect(hop.via).toMatchObject({
      alias: 'jumpbox',
      hostName: '203.0.113.10',
      port: 22,
      user: 'ubuntu',
      identityFiles: [`${home}/.ssh/opsman.pem`, `${home}/.ssh/id_default`],
    });
    // Explicit options win over the config, as ssh's command-line flags do.
    const explicit = cellHop(
      '10.58.111.150',
      { redactor: new Redactor(), user: 'vcap', identityFile: '~/k', gateway: { host: 'jumpbox', user: 'ops', port: 2222 } },
      config,
      home,
    );
    expect(explicit).toMatchObject({ user: 'vcap', identityFiles: [`${home}/k`], identityOnly: true });
    expect(explicit.via).toMatchObject({ hostName: '203.0.113.10', user: 'ops', port: 2222 });
    expect(explicit.via!.identityFiles).toContain(`${home}/k`);
    // A --gateway without a user takes the config's User for it, as ssh -J does.
    expect(cellHop('10.58.111.150', { redactor: new Redactor(), gateway: { host: 'jumpbox' } }, config, home).via).toMatchObject({
      user: 'ubuntu',
    });
  });

  it('names the host key by HostKeyAlias alone, port or not, as OpenSSH does', () => {
    const c = SshConfig.parse(
      'Host 10.244.*\n  HostName 127.0.0.1\n  Port 32987\n  HostKeyAlias 10.244.8.22\nHost plain\n  HostName 127.0.0.1\n  Port 32987\n',
      '<test>',
      home,
    );
    expect(hostKeyName(cellHop('10.244.8.22', { redactor: new Redactor() }, c, home))).toBe('10.244.8.22');
    expect(hostKeyName(cellHop('10.244.9.1', { redactor: new Redactor() }, c, home))).toBe('10.244.8.22');
    expect(hostKeyName(cellHop('plain', { redactor: new Redactor() }, c, home))).toBe('[127.0.0.1]:32987');
    expect(hostKeyName(cellHop('other', { redactor: new Redactor() }, c, home))).toBe('other');
  });

  it('remembers which setting chose the known_hosts files', () => {
    const c = SshConfig.parse('Host cfg\n  UserKnownHostsFile ~/.ssh/cells\n', '<test>', home);
    expect(cellHop('cfg', { redactor: new Redactor() }, c, home)).toMatchObject({
      knownHostsFiles: [`${home}/.ssh/cells`, '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
      knownHostsFrom: 'UserKnownHostsFile',
    });
    expect(cellHop('cfg', { redactor: new Redactor(), knownHostsFile: '~/kh' }, c, home)).toMatchObject({
      knownHostsFiles: [`${home}/kh`],
      knownHostsFrom: '--known-hosts',
    });
    expect(cellHop('other', { redactor: new Redactor() }, c, home)).toMatchObject({ knownHostsFrom: 'default' });
  });

  it('reads ProxyJump hops', () => {
    expect(parseProxyJump('ops@jump:2222,vcap@[10.0.0.1]:22')).toEqual([
      { user: 'ops', host: 'jump', port: 2222 },
      { user: 'vcap', host: '10.0.0.1', port: 22 },
    ]);
    expect(parseProxyJump('none')).toEqual([]);
  });
});

describe('known_hosts', () => {
  const a = blob('ssh-ed25519', 1);
  const b = blob('ssh-ed25519', 2);
  const salt = randomBytes(20);
  const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[127.0.0.1]:2201').digest('base64')}`;
  const file = join(home, 'known_hosts');
  writeFileSync(
    file,
    [
      `# comment`,
      `${hashed} ssh-ed25519 ${a.toString('base64')}`,
      `10.58.*,!10.58.0.9 ssh-ed25519 ${b.toString('base64')}`,
      `@revoked 192.0.2.7 ssh-ed25519 ${b.toString('base64')}`,
      '',
    ].join('\n'),
  );
  const known = new KnownHosts([join(home, 'missing'), file]);

  it('matches hashed [host]:port entries and wildcard patterns', () => {
    expect(hostToken('127.0.0.1', 2201)).toBe('[127.0.0.1]:2201');
    expect(known.verify('[127.0.0.1]:2201', a)).toEqual({ status: 'known' });
    expect(known.verify('10.58.111.150', b)).toEqual({ status: 'known' });
    expect(known.verify('10.58.0.9', b)).toEqual({ status: 'unknown' });
    expect(known.verify('192.0.2.7', b)).toMatchObject({ status: 'revoked' });
  });

  it('reports a changed key with the expected fingerprint', () => {
    const verdict = known.verify('[127.0.0.1]:2201', b);
    expect(verdict).toMatchObject({ status: 'changed', expected: [{ fingerprint: fingerprint(a), type: 'ssh-ed25519', file, line: 2 }] });
  });

  it('records an accepted key in the first file', () => {
    const fresh = new KnownHosts([join(home, 'new', 'known_hosts')]);
    fresh.add('[127.0.0.1]:2300', a);
    expect(readFileSync(join(home, 'new', 'known_hosts'), 'utf8')).toBe(`[127.0.0.1]:2300 ssh-ed25519 ${a.toString('base64')}\n`);
    expect(fresh.verify('[127.0.0.1]:2300', a)).toEqual({ status: 'known' });
  });

  it('asks the server for a known key type first', () => {
    expect(preferredHostKeyAlgorithms(['ssh-rsa'])!.slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(preferredHostKeyAlgorithms([])).toBeUndefined();
  });
});

describe('remote command lines', () => {
  it('quotes argv for the remote shell', () => {
    expect(quote(['docker', '--format', '{{.ID}}\\t{{.Names}}', "it's", '', 'a b', 'x;rm'])).toBe(
      `docker --format '{{.ID}}\\t{{.Names}}' 'it'\\''s' '' 'a b' 'x;rm'`,
    );
  });

  it('prefixes sudo -n and hands environment over on stdin', () => {
    expect(remoteCommand({ argv: ['ls', '/x y'], writes: false, sudo: true })).toEqual({ command: "sudo -n ls '/x y'", stdin: '' });
    const r = remoteCommand({ argv: ['env'], env: { PGPASSWORD: 'p4ss word' }, stdin: 'rest', writes: false });
    expect(r.command).not.toContain('p4ss');
    expect(r.stdin).toBe('PGPASSWORD=p4ss word\n\nrest');
  });
});
