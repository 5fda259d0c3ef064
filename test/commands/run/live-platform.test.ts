import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { boshGateway, parseGateway } from '../../../src/commands/run/live-platform.js';
import { boshSshArgs } from '../../../src/systems/bosh-ssh/bosh-ssh-argv.js';
import { tempDirForAll } from '../../support/temp-dirs.js';

describe('parseGateway', () => {
  it('reads [user@]host[:port], leaving the user to the ssh config when none is given', () => {
    expect(parseGateway('ubuntu@opsman.example.com')).toEqual({ user: 'ubuntu', host: 'opsman.example.com', port: undefined });
    expect(parseGateway('jumpbox:2222')).toEqual({ host: 'jumpbox', port: 2222 });
    expect(parseGateway('ops@[2001:db8::1]:22')).toEqual({ user: 'ops', host: '2001:db8::1', port: 22 });
    expect(() => parseGateway('a@b@c:x')).toThrow(/bad --gateway/);
  });
});

describe('boshGateway (--ssh-via bosh)', () => {
  const dir = tempDirForAll('dr-bosh-gw-');
  const config = join(dir, 'config');
  writeFileSync(config, 'Host opsman\n  User jumper\n', { mode: 0o600 });
  const none = { sshConfigFile: join(dir, 'no-config'), env: {} };

  it("passes --gateway and --ssh-key on as bosh's gateway, none as going direct, nothing as the director's", () => {
    expect(boshGateway('ubuntu@opsman', '/keys/gw', none)).toEqual({ host: 'opsman', user: 'ubuntu', privateKey: '/keys/gw' });
    expect(boshGateway('none', '/keys/gw', none)).toEqual({ disable: true });
    expect(boshGateway(undefined, undefined, none)).toEqual({});
  });

  it('gives a gateway without a user the one ssh would log in as: bosh v2 writes `-l  HOST` without one', () => {
    expect(boshGateway('opsman', undefined, { sshConfigFile: config, env: {} })).toEqual({ host: 'opsman', user: 'jumper' });
    expect(boshGateway('other', undefined, { sshConfigFile: config, env: {} })).toEqual({ host: 'other', user: userInfo().username });
    expect(boshGateway('opsman', undefined, none)).toEqual({ host: 'opsman', user: userInfo().username });
  });

  it('empties the SOCKS5 proxy of BOSH_ALL_PROXY for the ssh route when a gateway is given, which would win over it', () => {
    const env = { BOSH_ALL_PROXY: 'ssh+socks5://ops@jumpbox:22?private-key=/k' };
    const gw = boshGateway('ubuntu@opsman', undefined, { ...none, env });
    expect(gw).toEqual({ host: 'opsman', user: 'ubuntu', overProxy: true });
    const target = { major: 2 as const, deployment: 'dingo', instance: 'cell_z1/0' };
    expect(boshSshArgs(target, gw, 'true')).toEqual([
      '-d',
      'dingo',
      'ssh',
      'cell_z1/0',
      '-c',
      'true',
      '--results',
      '--json',
      '--gw-host',
      'opsman',
      '--gw-user',
      'ubuntu',
      '--gw-socks5=',
    ]);
    expect(boshSshArgs({ ...target, major: 1, manifest: '/m.yml' }, gw, 'true')).not.toContain('--gw-socks5=');
    expect(boshGateway('none', undefined, { ...none, env })).toEqual({ disable: true, overProxy: true });
    // No gateway given: bosh goes through the proxy, and the session says so.
    expect(boshGateway(undefined, undefined, { ...none, env })).toEqual({ proxy: 'BOSH_ALL_PROXY' });
  });
});
