/** `bosh env --json` (v2) and `bosh status` (v1): the director and whom the CLI acts as, or that it is not logged in. */
import { describe, expect, it } from 'vitest';
import { boshEnvArgs, parseBoshEnv } from '../../src/adapters/bosh-env.js';
import { simulateBosh, type BoshWorld } from '../../src/rehearsal/bosh-sim.js';

const director = { name: 'p-bosh', url: 'https://10.0.0.6:25555', user: 'admin' };

function envOf(version: string, user: string): ReturnType<typeof parseBoshEnv> {
  const world: BoshWorld = { version, director: { ...director, user }, deployments: [] };
  const major = version.startsWith('1.') ? 1 : 2;
  const r = simulateBosh(world, { argv: ['bosh', ...boshEnvArgs(major)], writes: false });
  expect(r.exitCode).toBe(0);
  return parseBoshEnv(major, r.stdout);
}

describe('bosh env / bosh status', () => {
  it.each(['1.3262.0', '2.0.1', '7.9.1'])('%s: the director and its user', (version) => {
    const env = envOf(version, 'admin');
    expect(env.user).toBe('admin');
    expect(env.director).toContain('p-bosh');
  });

  it.each([
    ['1.3262.0', 'not logged in'],
    ['7.9.1', '(not logged in)'],
  ])('%s: a CLI that is not logged in has no user', (version, user) => {
    expect(envOf(version, user).user).toBeNull();
  });

  it('a v1 CLI targeting no director is refused naming bosh target', () => {
    expect(() => parseBoshEnv(1, 'Config\n             /root/.bosh_config\n\nDirector\n  not set\n')).toThrow(/bosh target URL/);
  });

  it('v2 output that names no director is refused', () => {
    expect(() => parseBoshEnv(2, '{"Tables":[],"Blocks":null,"Lines":[]}')).toThrow('bosh env --json names no director');
  });
});
