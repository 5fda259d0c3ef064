/**
 * The journal takes its time and writer from the run's runtime, and each runtime redacts only the
 * secrets registered with it: two runs in one process do not mask, or leak, each other's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, readJournal } from '../../../src/engine/journal/index.js';
import { REDACTED } from '../../../src/core/redact.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { testRuntime } from '../../support/runtime.js';

const tmp = tempDirs('dr-runtime-');

/** A clock that reads 2026-03-17T18:05:00Z and moves a second each time it is read. */
function steppingClock() {
  let t = Date.parse('2026-03-17T18:05:00Z');
  return {
    now: () => {
      const d = new Date(t);
      t += 1000;
      return d;
    },
  };
}

describe('a journal on a runtime', () => {
  it("stamps each event with the runtime's clock and names its operator as user@host", () => {
    const file = join(tmp(), 'journal.ndjson');
    const journal = new Journal(file, testRuntime({ clock: steppingClock(), operator: { user: 'alice', host: 'opsman-2' } }));
    journal.append({ type: 'note', text: 'one' });
    journal.append({ type: 'note', text: 'two' });
    journal.close();
    const events = readJournal(file);
    expect(events.map((e) => [e.at, e.by])).toEqual([
      ['2026-03-17T18:05:00.000Z', 'alice@opsman-2'],
      ['2026-03-17T18:05:01.000Z', 'alice@opsman-2'],
    ]);
  });

  it("redacts the secrets of its own runtime, not another's", () => {
    const dir = tmp();
    const mine = testRuntime();
    const theirs = testRuntime();
    mine.redactor.register('pw-of-run-one');
    theirs.redactor.register('pw-of-run-two');
    const a = new Journal(join(dir, 'a.ndjson'), mine);
    const b = new Journal(join(dir, 'b.ndjson'), theirs);
    for (const j of [a, b]) {
      j.append({ type: 'note', text: 'one: pw-of-run-one, two: pw-of-run-two' });
      j.close();
    }
    expect(readFileSync(join(dir, 'a.ndjson'), 'utf8')).toContain(`one: ${REDACTED}, two: pw-of-run-two`);
    expect(readFileSync(join(dir, 'b.ndjson'), 'utf8')).toContain(`one: pw-of-run-one, two: ${REDACTED}`);
    expect(mine.redactor.size).toBe(1);
    expect(theirs.redactor.size).toBe(1);
  });
});
