/**
 * A quiet drill holds the waits said while it runs (a slow S3 answer, cron would mail it) and says
 * them only when the drill did not pass; a drill that is not quiet leaves them to be said as they come.
 */
import { describe, expect, it } from 'vitest';
import { holdWaits } from '../../../src/commands/drill/quiet-waits.js';
import { onWaiting, sayWaiting } from '../../../src/core/waits.js';

function output(): { stderr: string[]; out: { stdout: (s: string) => void; stderr: (s: string) => void } } {
  const stderr: string[] = [];
  return { stderr, out: { stdout: () => undefined, stderr: (s: string) => stderr.push(s) } };
}

describe('holdWaits', () => {
  it('holds the waits of a quiet drill and drops them when it passed', () => {
    const { stderr, out } = output();
    const waits = holdWaits(true, out);
    sayWaiting('S3 at http://moto has not answered for 5.0 s (attempt 1 of 3)');
    waits.drop();
    expect(stderr).toEqual([]);
    // Dropped, it holds no more: a later wait goes to whoever listens then.
    const heard: string[] = [];
    const stop = onWaiting((t) => heard.push(t));
    sayWaiting('later');
    stop();
    expect(heard).toEqual(['later']);
  });

  it('says what it held, in order, when the quiet drill did not pass', () => {
    const { stderr, out } = output();
    const waits = holdWaits(true, out);
    sayWaiting('first wait');
    sayWaiting('second wait');
    expect(stderr).toEqual([]);
    waits.say();
    expect(stderr).toEqual(['dingo-recover: first wait\n', 'dingo-recover: second wait\n']);
    waits.drop();
    expect(stderr).toHaveLength(2);
  });

  it('holds nothing when the drill is not quiet', () => {
    const { stderr, out } = output();
    const heard: string[] = [];
    const stop = onWaiting((t) => heard.push(t));
    const waits = holdWaits(false, out);
    sayWaiting('a wait');
    waits.say();
    stop();
    expect(heard).toEqual(['a wait']);
    expect(stderr).toEqual([]);
  });
});
