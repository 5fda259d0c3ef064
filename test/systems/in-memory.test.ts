/**
 * The test run's temporary folder in memory (test/support/in-memory.ts): a tmpfs mounted on the
 * folder, which clearing the folder (a run's teardown, the next run's setup) unmounts and removes.
 */
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IN_MEMORY_VAR, mountInMemory } from '../support/in-memory.js';
import { clearFolder, mountsUnder, unmountUnder } from '../support/server-registry.js';

/** The filesystem type mounted at DIR, from mountinfo (after the ` - ` separator); undefined when nothing is. */
function mountedType(dir: string): string | undefined {
  const line = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[4] === dir);
  return line?.split(' - ')[1]?.split(' ')[0];
}

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) clearFolder(dir);
});
const folder = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'dr-in-memory-'));
  made.push(dir);
  return dir;
};

describe("the test run's temporary folder in memory", () => {
  it('is a tmpfs of its own, open to every account as /tmp is, and clearing the folder unmounts and removes it', () => {
    const dir = folder();
    expect(mountInMemory(dir, 0o1777, {})).toBeUndefined();
    expect(mountedType(dir)).toBe('tmpfs');
    expect(mountsUnder(dir)).toEqual([dir]);
    expect(statSync(dir).mode & 0o7777).toBe(0o1777);
    writeFileSync(join(dir, 'a-file'), 'kept in memory');
    expect(clearFolder(dir)).toEqual({ stopped: [] });
    expect(mountedType(dir)).toBeUndefined();
    expect(existsSync(dir)).toBe(false);
  });

  it(`stays on disk when ${IN_MEMORY_VAR}=0, saying so`, () => {
    const dir = folder();
    expect(mountInMemory(dir, 0o1777, { [IN_MEMORY_VAR]: '0' })).toBe(`${IN_MEMORY_VAR}=0`);
    expect(mountedType(dir)).toBeUndefined();
  });

  it('says why it stays on disk when the mount fails', () => {
    expect(mountInMemory(join(folder(), 'not-there'), 0o700, {})).toMatch(/^mount -t tmpfs failed: .+/);
  });

  it("the run's own folder is its account's alone", () => {
    const dir = folder();
    expect(mountInMemory(dir, 0o700, {})).toBeUndefined();
    expect(statSync(dir).mode & 0o7777).toBe(0o700);
    unmountUnder(dir);
    expect(mountedType(dir)).toBeUndefined();
  });

  it('both are tmpfs in this run, unless it says they stay on disk', () => {
    const own = process.env.DINGO_TEST_ENV_PARENT!;
    const temp = process.env.TMPDIR!;
    for (const dir of [own, temp]) expect(mountedType(dir), dir).toBe(process.env[IN_MEMORY_VAR] === '0' ? undefined : 'tmpfs');
  });
});
