import { describe, expect, it } from 'vitest';
import { parseGateway } from '../../src/commands/live-platform.js';

describe('parseGateway', () => {
  it('reads [user@]host[:port], leaving the user to the ssh config when none is given', () => {
    expect(parseGateway('ubuntu@opsman.example.com')).toEqual({ user: 'ubuntu', host: 'opsman.example.com', port: undefined });
    expect(parseGateway('jumpbox:2222')).toEqual({ host: 'jumpbox', port: 2222 });
    expect(parseGateway('ops@[2001:db8::1]:22')).toEqual({ user: 'ops', host: '2001:db8::1', port: 22 });
    expect(() => parseGateway('a@b@c:x')).toThrow(/bad --gateway/);
  });
});
