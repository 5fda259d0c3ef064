import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalRunner } from '../../src/systems/local-runner.js';

const root = resolve(import.meta.dirname, '../..');

describe('loading the cell modules in plain Node ESM', () => {
  // vitest's interop hides CommonJS names Node's own loader cannot see (ssh2 is CommonJS).
  it('imports ssh2 the way Node resolves it', async () => {
    const r = await new LocalRunner({ cwd: root }).run({
      argv: [
        process.execPath,
        '--import',
        `file://${root}/node_modules/tsx/dist/loader.mjs`,
        '--input-type=module',
        '-e',
        "const m = await import('./src/systems/ssh/ssh.ts'); const d = await import('./src/adapters/docker.ts'); console.log(typeof m.createSshCellAccess, typeof d.CellDocker);",
      ],
      writes: false,
      timeoutMs: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('function function');
  });
});
