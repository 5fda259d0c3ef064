/**
 * `bosh env --json` (v2) and `bosh status` (v1): the director and whom the CLI acts as, or that it
 * is not logged in. v2's documents are also written out here as each era's bosh-cli prints them,
 * from its sources rather than the double: ui/json_ui.go's `tableResp` (before 2.0.13 `Header
 * []string`, `Rows [][]string`; from 2.0.13 keyed, `col_N` for a table without titles) and
 * cmd/info_table.go (first name/value rows without titles, later one row under titles).
 */
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
    ['2.0.1', '(not logged in)'],
    ['7.9.1', '(not logged in)'],
  ])('%s: a CLI that is not logged in has no user', (version, user) => {
    expect(envOf(version, user).user).toBeNull();
  });

  it('a v1 CLI targeting no director is refused naming bosh target', () => {
    expect(() => parseBoshEnv(1, 'Config\n             /root/.bosh_config\n\nDirector\n  not set\n')).toThrow(/bosh target URL/);
  });

  const lines = ["Using environment 'https://10.0.0.6:25555' as client 'admin'", 'Succeeded'];
  const features = 'compiled_package_cache: disabled\nconfig_server: disabled\ndns: disabled\nsnapshots: disabled';
  const eras: [string, unknown][] = [
    [
      'bosh-cli 2.0.1: name/value rows without titles (Header null)',
      {
        Content: '',
        Header: null,
        Rows: [
          ['Name', 'p-bosh'],
          ['UUID', '6f1d0b3c-5a4e-4f8e-9d2c-1b0a9e8d7c6b'],
          ['Version', '261.4.0 (00000000)'],
          ['CPI', 'warden_cpi'],
          ['Features', features],
          ['User', 'USER'],
        ],
        Notes: null,
      },
    ],
    [
      'bosh-cli 2.0.13 on, the same rows keyed col_0/col_1',
      {
        Content: '',
        Header: { col_0: '', col_1: '' },
        Rows: [
          { col_0: 'Name', col_1: 'p-bosh' },
          { col_0: 'UUID', col_1: '6f1d0b3c-5a4e-4f8e-9d2c-1b0a9e8d7c6b' },
          { col_0: 'Version', col_1: '261.4.0 (00000000)' },
          { col_0: 'User', col_1: 'USER' },
        ],
        Notes: null,
      },
    ],
    [
      'later releases: one row under titles',
      {
        Content: '',
        Header: { name: 'Name', uuid: 'UUID', version: 'Version', cpi: 'CPI', features: 'Features', user: 'User' },
        Rows: [{ name: 'p-bosh', uuid: '6f1d0b3c', version: '280.1.14 (00000000)', cpi: 'warden_cpi', features, user: 'USER' }],
        Notes: null,
      },
    ],
  ];
  it.each(eras)('%s', (_, table) => {
    const doc = (user: string) =>
      JSON.stringify({ Tables: [table], Blocks: null, Lines: lines }, null, 4).replace('"USER"', JSON.stringify(user));
    expect(parseBoshEnv(2, doc('admin'))).toEqual({ director: 'p-bosh', user: 'admin' });
    expect(parseBoshEnv(2, doc('(not logged in)'))).toEqual({ director: 'p-bosh', user: null });
  });

  it('v2 output that names no director, or is no --json document, is refused showing what bosh printed, escaped', () => {
    expect(() => parseBoshEnv(2, '{"Tables":[],"Blocks":null,"Lines":[]}')).toThrow(
      'bosh env --json names no director: "{\\"Tables\\":[],\\"Blocks\\":null,\\"Lines\\":[]}"',
    );
    expect(() => parseBoshEnv(2, 'Name  p-bosh\r\n\u001b[0m')).toThrow(
      'bosh env --json printed no bosh --json document: "Name  p-bosh\\r\\n\\u001b[0m"',
    );
  });
});
