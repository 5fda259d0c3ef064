/**
 * The ssh config as OpenSSH reads it: each case is resolved by the tool and by the real client's
 * `ssh -G` (which prints the configuration without connecting), and the settings a cell connection
 * uses must agree. Paths avoid `~`: ssh expands it from the password database, not $HOME.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { SshConfig, resolveHop } from '../../../src/systems/ssh/index.js';

const dir = mkdtempSync(join(tmpdir(), 'ssh-g-'));
const home = userInfo().homedir;
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * What `ssh -G` settles for `host`: the keywords a cell connection uses, every value of each. It
 * prints IdentityFile as written; the files ssh tries are compared through `ssh -v` below.
 */
function openssh(file: string, host: string): Record<string, string[]> {
  const out = execFileSync('ssh', ['-G', '-F', file, host], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  const got: Record<string, string[]> = {};
  for (const line of out.split('\n')) {
    const [k, ...rest] = line.split(' ');
    if (k) (got[k] ??= []).push(rest.join(' '));
  }
  return got;
}

/** The same settings from the tool, for a hop with no flags given (user: ssh's default, the local user). */
function ours(file: string, host: string): Record<string, string[]> {
  const config = SshConfig.load(file, home);
  const hop = resolveHop(host, { config, home, defaultUser: userInfo().username });
  const c = config.resolve(host, home, { defaultUser: userInfo().username });
  return {
    hostname: [hop.hostName],
    port: [String(hop.port)],
    user: [hop.user],
    ...(c.proxyJump && c.proxyJump !== 'none' ? { proxyjump: [c.proxyJump] } : {}),
    ...(c.userKnownHostsFiles ? { userknownhostsfile: [c.userKnownHostsFiles.join(' ') || 'none'] } : {}),
    identitiesonly: [hop.identitiesOnly ? 'yes' : 'no'],
    serveraliveinterval: [String(c.serverAliveInterval ?? 0)],
    serveralivecountmax: [String(c.serverAliveCountMax ?? 3)],
    ...(hop.identityAgent ? { identityagent: [hop.identityAgent] } : {}),
  };
}

/** The identity files `ssh -v` says it tries (their -cert companions aside). */
async function triedIdentityFiles(file: string, host: string): Promise<string[]> {
  const child = spawn('ssh', ['-v', '-F', file, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', host, 'true'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise((r) => child.on('close', r));
  return [...err.matchAll(/^debug1: identity file (\S+) type/gm)].map((m) => m[1]!).filter((f) => !f.endsWith('-cert'));
}

function write(name: string, text: string): string {
  const file = join(dir, name);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return file;
}

function agree(file: string, hosts: string[]): void {
  for (const host of hosts) {
    const mine = ours(file, host);
    const theirs = openssh(file, host);
    for (const [k, v] of Object.entries(mine)) expect(theirs[k], `${host}: ${k}`).toEqual(v);
    if (theirs.proxyjump && !mine.proxyjump) expect.fail(`${host}: ssh -G jumps through ${theirs.proxyjump.join()}, the tool does not`);
  }
}

describe('the ssh config, against ssh -G', () => {
  it('Host patterns, first value wins, HostName %h, letter case, trailing comments, Port by service name', () => {
    const file = write(
      'patterns.conf',
      `Host jumpbox # the ops jumpbox
  HostName Jump.Example.COM
  User ubuntu
  Port 2222
Host Jumpbox2
  User never
Host 10.244.* !10.244.0.1
  User vcap
  HostName %h.cells.internal
Host svc
  Port ssh
Host *
  User fallback
  Port 2200
`,
    );
    agree(file, ['jumpbox', 'JUMPBOX', 'jumpbox2', '10.244.1.2', '10.244.0.1', 'svc', 'the', 'other']);
  });

  it('Match host, originalhost, user, localuser, all and negation; Match exec is skipped', () => {
    const file = write(
      'match.conf',
      `Host cell-*
  HostName 10.244.1.1
Match originalhost cell-7
  Port 2207
Match host 10.244.* !originalhost cell-9
  User vcap
  ProxyJump jumpbox
Match user root host 10.1.*
  Port 2201
Match localuser ${userInfo().username}
  IdentityFile ${dir}/local_key
Match exec "false"
  Port 1
Match all
  Port 2299
`,
    );
    agree(file, ['cell-7', 'cell-8', 'cell-9', '10.244.5.5', '10.1.2.3', 'elsewhere']);
    expect(SshConfig.load(file, home).warnings).toEqual([
      `${file}:12: Match exec is not evaluated (dingo-recover runs no command from the ssh config): the settings of that block are skipped`,
    ]);
  });

  it('Include: globbed in any component, never a dotfile, in the scope of the block it stands in', () => {
    write('inc/a/config', 'Host nested\n  User nested\n');
    write('inc/conf.d/10-jump.conf', 'Host jump\n  Port 2022\n');
    write('inc/conf.d/.hidden.conf', 'Host *\n  Port 2299\n');
    write('inc/extra.conf', 'Host bastion2\n  User two\n');
    const file = write(
      'include.conf',
      `Include ${dir}/inc/*/config
Include ${dir}/inc/conf.d/*.conf
Port 2201
Host bastion
  Include ${dir}/inc/extra.conf
  User ops
Host somethingelse
  Include ${dir}/inc/conf.d/*.conf
Host *
  User fallback
`,
    );
    agree(file, ['nested', 'jump', 'bastion', 'bastion2', 'other']);
  });

  it('IdentityFile and UserKnownHostsFile tokens', async () => {
    // ssh names the identity files it tries once connected: a listener that hangs up gets it that far.
    const server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const file = write(
      'tokens.conf',
      `Host aliased
  HostName 127.0.0.1
  User vcap
  Port ${port}
  IdentityFile ${dir}/%r@%h
  IdentityFile ${dir}/%n_%p
  IdentityFile ${dir}/%C
  IdentityFile %d/%u_%l_%L_%i
  IdentityFile \${HOME}/.dingo-absent-%h
  UserKnownHostsFile ${dir}/kh_%h ${dir}/kh_%k_%p_%r
Host keyed
  HostName Keyed.Example.COM
  HostKeyAlias Alias.Example
  IdentityFile ${dir}/%h.key
  UserKnownHostsFile ${dir}/kh_%k
Host nokh
  UserKnownHostsFile none
`,
    );
    try {
      agree(file, ['aliased', 'keyed', 'nokh']);
      const config = SshConfig.load(file, home);
      const tried = await triedIdentityFiles(file, 'aliased');
      expect(config.resolve('aliased', home, { defaultUser: userInfo().username }).identityFiles).toEqual(tried);
      expect(tried).toContain(`${dir}/vcap@127.0.0.1`);
    } finally {
      server.close();
    }
  });

  it('IdentitiesOnly and IdentityAgent (none, SSH_AUTH_SOCK, a path with tokens and ${VAR}): first value wins', () => {
    const file = write(
      'agent.conf',
      `Host only
  IdentitiesOnly yes
  IdentityAgent \${HOME}/agents/%h-%r.sock
Host noagent
  IdentityAgent none
  IdentitiesOnly no
Host envagent
  IdentityAgent SSH_AUTH_SOCK
Host pathagent
  IdentityAgent %d/agent.sock
Host *
  IdentitiesOnly yes
  IdentityAgent none
`,
    );
    agree(file, ['only', 'noagent', 'envagent', 'pathagent', 'other']);
    const config = SshConfig.load(file, home);
    expect(resolveHop('only', { config, home, defaultUser: 'vcap' })).toMatchObject({
      identitiesOnly: true,
      identityAgent: `${process.env.HOME ?? ''}/agents/only-vcap.sock`,
    });
  });

  it("ServerAliveInterval in any of ssh's time forms, and ServerAliveCountMax; a bad time is refused as ssh refuses it", () => {
    const file = write(
      'alive.conf',
      `Host mixed
  ServerAliveInterval 1m30s
  ServerAliveCountMax 5
Host hours
  ServerAliveInterval 2H
Host plain
  ServerAliveInterval 45
  ServerAliveInterval 10
Host off
  ServerAliveInterval 0
`,
    );
    agree(file, ['mixed', 'hours', 'plain', 'off', 'other']);
    const config = SshConfig.load(file, home);
    expect(resolveHop('mixed', { config, home, defaultUser: 'vcap' }).serverAlive).toEqual({ intervalSeconds: 90, countMax: 5 });
    expect(resolveHop('off', { config, home, defaultUser: 'vcap' }).serverAlive).toBeUndefined();
    const bad = write('alive-bad.conf', 'Host *\n  ServerAliveInterval 1x\n');
    expect(() => SshConfig.load(bad, home).resolve('cell', home)).toThrow(
      `${bad}:2: ServerAliveInterval 1x is not a time (seconds, or like 1m30s)`,
    );
    expect(() => execFileSync('ssh', ['-G', '-F', bad, 'cell'], { stdio: 'pipe' })).toThrow(/invalid time value/);
  });

  it('a ${VAR} the environment does not set is refused, naming the line, as ssh refuses it', () => {
    const file = write('unset.conf', 'Host *\n  IdentityAgent ${DINGO_RECOVER_UNSET_VAR}/agent.sock\n');
    const config = SshConfig.load(file, home);
    const refused = (): unknown => resolveHop('cell', { config, home, defaultUser: 'vcap' });
    expect(refused).toThrow(UsageError);
    expect(refused).toThrow(
      `${file}:2: \${DINGO_RECOVER_UNSET_VAR} in \${DINGO_RECOVER_UNSET_VAR}/agent.sock is not set in the environment`,
    );
    expect(() => execFileSync('ssh', ['-G', '-F', file, 'cell'], { stdio: 'pipe' })).toThrow(/DINGO_RECOVER_UNSET_VAR/);
  });

  it('ProxyJump and ProxyCommand: the first obtained wins; a ProxyCommand is refused, never skipped', () => {
    const file = write(
      'proxy.conf',
      `Host 10.244.6.*
  ProxyCommand ssh -W %h:%p bastion
Host 10.244.*
  ProxyJump jumpbox
Host direct
  ProxyJump none
Host d*
  ProxyJump jumpbox
`,
    );
    agree(file, ['10.244.1.2', 'direct', 'dusk']);
    const config = SshConfig.load(file, home);
    const refused = (): unknown => resolveHop('10.244.6.9', { config, home, defaultUser: 'vcap' });
    expect(refused).toThrow(UsageError);
    expect(refused).toThrow(`the ssh config reaches 10.244.6.9 through ProxyCommand "ssh -W %h:%p bastion" (${file}:2)`);
    // Through --gateway, the route is the flag's: no ProxyCommand is needed.
    expect(resolveHop('10.244.6.9', { config, home, defaultUser: 'vcap', jumps: [] }).hostName).toBe('10.244.6.9');
  });
});
