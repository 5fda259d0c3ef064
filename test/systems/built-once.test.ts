/**
 * The suite's cache of what it builds slowly (test/support/built-once.ts): an entry is built once
 * and found by the next process, waited for while another builds it, built again when its builder
 * died or it is hours old, and handed out once per process. A fresh import of the module stands for
 * another worker process.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

type BuiltOnce = typeof import('../support/built-once.js');

/** The module as a new worker process has it: nothing handed out yet. */
async function worker(): Promise<BuiltOnce> {
  vi.resetModules();
  return import('../support/built-once.js');
}

let cache: string;
beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), 'built-once-'));
  vi.stubEnv('DINGO_TEST_BUILT_CACHE', cache);
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(cache, { recursive: true, force: true });
});

/** A build that writes `text` into its folder and counts itself. */
function counting(text: string): { build: (dir: string) => Promise<{ text: string }>; calls: number } {
  const c = {
    calls: 0,
    build: async (dir: string) => {
      c.calls++;
      writeFileSync(join(dir, 'file'), text);
      return Promise.resolve({ text });
    },
  };
  return c;
}

describe('builtOnce', () => {
  it('builds an entry once: the next process finds what the first wrote, with what its build returned', async () => {
    const first = counting('one');
    const a = await (await worker()).builtOnce('thing', 'k1', first.build);
    const second = counting('two');
    const b = await (await worker()).builtOnce('thing', 'k1', second.build);
    expect([first.calls, second.calls]).toEqual([1, 0]);
    expect(b).toEqual(a);
    expect(readFileSync(join(b!.dir, 'file'), 'utf8')).toBe('one');
    expect(b!.meta).toEqual({ text: 'one' });
    expect(readdirSync(cache)).toEqual([`thing-k1`]);
  });

  it('hands an entry out once per process: the second request is told to build its own', async () => {
    const m = await worker();
    expect(await m.builtOnce('thing', 'k2', counting('x').build)).toBeDefined();
    expect(await m.builtOnce('thing', 'k2', counting('y').build)).toBeUndefined();
  });

  it('waits for another process that is building the entry, and builds nothing itself', async () => {
    let finish!: () => void;
    const slow = (dir: string): Promise<{ text: string }> =>
      new Promise((resolve) => {
        finish = () => {
          writeFileSync(join(dir, 'file'), 'slow');
          resolve({ text: 'slow' });
        };
      });
    const building = (await worker()).builtOnce('thing', 'k3', slow);
    await vi.waitFor(() => {
      expect(existsSync(join(cache, '.building-thing-k3', '.builder'))).toBe(true);
    });
    const other = counting('other');
    const waiting = (await worker()).builtOnce('thing', 'k3', other.build);
    await new Promise((r) => setTimeout(r, 500));
    finish();
    const [a, b] = await Promise.all([building, waiting]);
    expect(other.calls).toBe(0);
    expect(b).toEqual(a);
    expect(b!.meta).toEqual({ text: 'slow' });
  });

  it('builds again what a builder that ended left unfinished, and removes it', async () => {
    const left = join(cache, '.building-thing-k4');
    mkdirSync(left);
    writeFileSync(join(left, '.builder'), '4194303 1');
    writeFileSync(join(left, 'half'), '');
    const again = counting('again');
    const b = await (await worker()).builtOnce('thing', 'k4', again.build);
    expect(again.calls).toBe(1);
    expect(readFileSync(join(b!.dir, 'file'), 'utf8')).toBe('again');
    expect(existsSync(join(b!.dir, 'half'))).toBe(false);
    expect(readdirSync(cache)).toEqual(['thing-k4']);
  });

  it('removes what a process moved aside and did not live to remove, whole as it may be', async () => {
    const aside = join(cache, '.old-thing-k7-4194303');
    mkdirSync(aside);
    writeFileSync(join(aside, 'built.json'), '{}');
    await (await worker()).builtOnce('thing', 'k7', counting('k7').build);
    expect(readdirSync(cache)).toEqual(['thing-k7']);
  });

  it('builds an entry again once it is hours old', async () => {
    const a = await (await worker()).builtOnce('thing', 'k5', counting('old').build);
    const hoursAgo = new Date(Date.now() - 7 * 60 * 60 * 1000);
    utimesSync(join(a!.dir, 'built.json'), hoursAgo, hoursAgo);
    const fresh = counting('new');
    const b = await (await worker()).builtOnce('thing', 'k5', fresh.build);
    expect(fresh.calls).toBe(1);
    expect(readFileSync(join(b!.dir, 'file'), 'utf8')).toBe('new');
  });

  it('keeps nothing of a build that failed, and the next request builds it', async () => {
    const m = await worker();
    await expect(
      m.builtOnce('thing', 'k6', () => {
        throw new Error('initdb failed');
      }),
    ).rejects.toThrow('initdb failed');
    expect(readdirSync(cache)).toEqual([]);
    const next = counting('next');
    await (await worker()).builtOnce('thing', 'k6', next.build);
    expect(next.calls).toBe(1);
  });
});

describe('contentKey', () => {
  it('changes with the parts and with the text of a source', async () => {
    const { contentKey } = await worker();
    const source = join(cache, 'builder.ts');
    writeFileSync(source, 'one');
    const k = contentKey({ rows: 1 }, [source]);
    expect(contentKey({ rows: 1 }, [source])).toBe(k);
    expect(contentKey({ rows: 2 }, [source])).not.toBe(k);
    writeFileSync(source, 'two');
    expect(contentKey({ rows: 1 }, [source])).not.toBe(k);
  });
});
