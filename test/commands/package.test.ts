import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

/** Every file under `dir` (a path relative to the package), as the package names it. */
function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

describe('the package npm pack makes', () => {
  let packed: Set<string>;

  beforeAll(() => {
    expect(existsSync(join(ROOT, 'dist/src/cli.js')), 'dist/ is not built: run `npm run build`').toBe(true);
    // --ignore-scripts: packing must not rebuild dist/ under the tests that run it.
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const [pack] = JSON.parse(r.stdout) as { files: { path: string }[] }[];
    packed = new Set(pack?.files.map((f) => f.path));
  });

  it('ships no source maps: they point at sources it does not ship', () => {
    expect([...packed].filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(readFileSync(join(ROOT, 'dist/src/cli.js'), 'utf8')).not.toContain('sourceMappingURL');
  });

  it('ships the Apache License 2.0 its package.json names', () => {
    expect(packed.has('LICENSE')).toBe(true);
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(license).toContain('Apache License\n                           Version 2.0, January 2004');
    expect(license).toContain('END OF TERMS AND CONDITIONS');
    expect((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string }).license).toBe('Apache-2.0');
  });

  it('ships every file the CLI needs: its bin, every built module, the help text, the runbooks and the bundled scenarios', () => {
    const needed = [
      'package.json',
      'README.md',
      'bin/dingo-recover.js',
      'bin/fast-answers.js',
      'dist/src/top-level-help.json.gz',
      ...filesUnder('dist/src').filter((f) => f.endsWith('.js')),
      ...filesUnder('runbooks'),
      ...filesUnder('fixtures/seed-003'),
      ...filesUnder('fixtures/space-scenario'),
    ];
    // npm's --json output masks what may be a secret in a path, a GUID among them (the deleted instance's archive prefix): `***`.
    const asNpmSays = (f: string) => f.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '***');
    expect(needed.filter((f) => !packed.has(asNpmSays(f)))).toEqual([]);
    expect([...packed].filter((f) => /^(src|test|bench)\/|\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
  });
});
