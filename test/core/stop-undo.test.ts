/**
 * What a session stopped by a signal removes from the platform before it exits (core/stop-undo.ts):
 * each registered thing once, said before and after; a failure said, not thrown; no more than its
 * time; and no step starts once the stop began.
 */
import { describe, expect, it } from 'vitest';
import { StopUndos } from '../../src/core/stop-undo.js';

describe('StopUndos', () => {
  it('removes what is still registered, saying each before and after, and nothing its owner let go', async () => {
    const undos = new StopUndos();
    const removed: string[] = [];
    undos.register('container a on cell 1', () => {
      removed.push('a');
      return Promise.resolve();
    });
    const letGo = undos.register('container b on cell 1', () => {
      removed.push('b');
      return Promise.resolve();
    });
    letGo();
    expect(undos.whatIsPending()).toEqual(['container a on cell 1']);
    const said: string[] = [];
    await undos.stop((l) => said.push(l), 1000);
    expect(removed).toEqual(['a']);
    expect(said).toEqual(['removing container a on cell 1', 'removed container a on cell 1']);
    expect(undos.whatIsPending()).toEqual([]);
  });

  it('says what it could not remove, and stops waiting when its time is up', async () => {
    const undos = new StopUndos();
    undos.register('container a', () => Promise.reject(new Error('ssh: connect to host 10.0.0.1 port 22: Connection refused')));
    undos.register('container b', () => new Promise<void>(() => undefined));
    const said: string[] = [];
    await undos.stop((l) => said.push(l), 100);
    expect(said).toEqual([
      'removing container a',
      'removing container b',
      'could not remove container a: ssh: connect to host 10.0.0.1 port 22: Connection refused',
      'stopped waiting after 0.1 s: what is not removed yet stays',
    ]);
  });

  it('holds a step that would start once the stop began, and not before', async () => {
    const undos = new StopUndos();
    await undos.held();
    await undos.stop(() => undefined, 10);
    const started = await Promise.race([
      undos.held().then(() => 'started'),
      new Promise((r) => {
        setTimeout(() => {
          r('held');
        }, 50);
      }),
    ]);
    expect(started).toBe('held');
  });
});
