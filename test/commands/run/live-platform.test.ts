import { describe, expect, it } from 'vitest';
import { boshGateway, parseGateway } from '../../../src/commands/run/live-platform.js';

describe('parseGateway', () => {
  it('reads [user@]host[:port], leaving the user to the ssh config when none is given', () => {
    expect(parseGateway('ubuntu@opsman.example.com')).toEqual({ user: 'ubuntu', host: 'opsman.example.com', port: undefined });
    expect(parseGateway('jumpbox:2222')).toEqual({ host: 'jumpbox', port: 2222 });
    expect(parseGateway('ops@[2001:db8::1]:22')).toEqual({ user: 'ops', host: '2001:db8::1', port: 22 });
    expect(() => parseGateway('a@b@c:x')).toThrow(/bad --gateway/);
  });
});

describe('boshGateway (--ssh-via bosh)', () => {
  it("passes --gateway and --ssh-key on as bosh's gateway, none as going direct, nothing as the director's", () => {
    expect(boshGateway('ubuntu@opsman', '/keys/gw')).toEqual({ host: 'opsman', user: 'ubuntu', privateKey: '/keys/gw' });
    expect(boshGateway('opsman', undefined)).toEqual({ host: 'opsman' });
    expect(boshGateway('none', '/keys/gw')).toEqual({ disable: true });
    expect(boshGateway(undefined, undefined)).toEqual({});
  });
});
