/** Text parsed once per process (src/core/parsed-once.ts), and the runbooks and scenarios read through it. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsedOnce } from '../../src/core/parsed-once.js';
import { loadRunbook } from '../../src/engine/runbook/index.js';
import { loadScenario } from '../../src/rehearsal/scenario.js';
import { ROOT } from '../support/cli.js';
import { tempDirs } from '../support/temp-dirs.js';
import { nameAndCellRunbook, newWorld, workThenDestroy, worldActions } from '../engine/foreach-harness.js';

const tmp = tempDirs('dr-parsed-once-');

/** Changes every array and object reachable from `value` in place, as a run may change its world: how many. */
function changeEverywhere(value: unknown, seen = new Set<unknown>()): number {
  if (typeof value !== 'object' || value === null || seen.has(value)) return 0;
  seen.add(value);
  const inner = Object.values(value).reduce((n: number, v) => n + changeEverywhere(v, seen), 0);
  if (Array.isArray(value)) value.push('changed by a run');
  else (value as Record<string, unknown>).changedByARun = true;
  return inner + 1;
}

describe('parsedOnce', () => {
  it('parses a text once, a different text anew, and keeps the most recently used', () => {
    const parsed: string[] = [];
    const parse = parsedOnce((text: string) => {
      parsed.push(text);
      return { text };
    }, 2);
    const a = parse('a');
    expect(parse('a')).toBe(a);
    parse('b');
    // `a` used last, so `b` is the oldest when `c` comes.
    parse('a');
    parse('c');
    parse('a');
    parse('b');
    expect(parsed).toEqual(['a', 'b', 'c', 'b']);
  });

  it('keeps nothing of a parse that throws, nor of one that gives undefined only by chance', () => {
    let calls = 0;
    const parse = parsedOnce((text: string): string | undefined => {
      calls++;
      if (calls === 1) throw new Error(`bad ${text}`);
      return undefined;
    });
    expect(() => parse('x')).toThrow('bad x');
    expect(parse('x')).toBeUndefined();
    expect(parse('x')).toBeUndefined();
    expect(calls).toBe(2);
  });
});

describe('loading through it', () => {
  const actions = worldActions(newWorld([]));
  const runbook = (title: string): string =>
    nameAndCellRunbook('part', workThenDestroy({ destroyName: 'x', message: title })).replace('name: part', `name: ${title}`);

  it('loads a runbook rewritten between two loads as it is now, and the same text as the same runbook', () => {
    const file = join(tmp(), 'rb.yaml');
    writeFileSync(file, runbook('first'));
    const first = loadRunbook(file, actions);
    expect(loadRunbook(file, actions)).toEqual(first);
    expect(loadRunbook(file, actions)).not.toBe(first);
    writeFileSync(file, runbook('second'));
    const second = loadRunbook(file, actions);
    expect(second.name).toBe('second');
    expect(second.sha256).not.toBe(first.sha256);
  });

  it("gives each load of a scenario a world of its own: one run's changes are not the next one's start", () => {
    const dir = join(ROOT, 'fixtures', 'seed-003');
    const first = loadScenario(dir);
    const before = structuredClone(first.initial);
    expect(changeEverywhere(first.initial)).toBeGreaterThan(10);
    expect(loadScenario(dir).initial).toEqual(before);
  });
});
