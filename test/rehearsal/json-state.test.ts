import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { replaceFile, withoutKeys } from '../../src/rehearsal/json-state.js';

const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));
const JSON_STATE = fileURLToPath(new URL('../../src/rehearsal/json-state.ts', import.meta.url));

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Starts a process that replaces FILE with ever larger JSON as fast as it can; resolves once it has begun. */
async function rewriter(file: string) {
  const script = join(dir, 'rewrite.ts');
  await writeFile(
    script,
    [
      `import { replaceFile } from ${JSON.stringify(JSON_STATE)};`,
      `for (let n = 1; ; n++) {`,
      `  replaceFile(${JSON.stringify(file)}, JSON.stringify({ n, pad: 'x'.repeat(n % 50_000) }));`,
      `  if (n === 1) process.stdout.write('started\\n');`,
      `}`,
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--import', `file://${TSX}`, script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) =>
    child.stdout.once('data', () => {
      resolve();
    }),
  );
  return child;
}

describe('the JSON state of a rehearsal', () => {
  it('is replaced whole, readable only by its owner, with nothing left beside it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'json-state-'));
    const file = join(dir, 'world.json');
    replaceFile(file, '{"a":1}');
    replaceFile(file, '{"b":2}');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ b: 2 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['world.json']);
  });

  it('holds a whole state, the last or the one before, when its writer is killed (SIGKILL) mid-write', async () => {
    dir = await mkdtemp(join(tmpdir(), 'json-state-'));
    const file = join(dir, 'world.json');
    for (let round = 0; round < 2; round++) {
      const child = await rewriter(file);
      await new Promise((r) => setTimeout(r, 20 + round * 30));
      const ended = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await ended;
      const state = JSON.parse(await readFile(file, 'utf8')) as { n: number; pad: string };
      expect(state.pad).toHaveLength(state.n % 50_000);
    }
  });

  it('forgets keys by a new record, the others in their order', () => {
    const before = { a: 1, b: 2, c: 3 };
    expect(Object.entries(withoutKeys(before, ['b']))).toEqual([
      ['a', 1],
      ['c', 3],
    ]);
    expect(before).toEqual({ a: 1, b: 2, c: 3 });
  });
});
