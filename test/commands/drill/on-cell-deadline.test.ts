/** Work on a cell stopped by --deadline (drill --on-cell, archive mistakes --on-cell): what it was doing, what is left, what to do. */
import { describe, expect, it } from 'vitest';
import { cellDeadline } from '../../../src/commands/drill/on-cell.js';
import type { CellProgress } from '../../../src/drill/cell-drill.js';
import { DrillFailed } from '../../../src/drill/exit-codes.js';

/** Work that says `said` (each its kind, when not its work), then waits for its signal, as the drill's phases do, and throws the signal's reason. */
async function stoppedWork(limit: ReturnType<typeof cellDeadline>, said: (string | [string, CellProgress])[]): Promise<unknown> {
  for (const m of said) {
    if (typeof m === 'string') limit.progress(m);
    else limit.progress(...m);
  }
  await new Promise<void>((resolve) => {
    limit.signal.addEventListener(
      'abort',
      () => {
        resolve();
      },
      { once: true },
    );
  });
  return limit.failure(limit.signal.reason);
}

describe('--deadline of work on a cell', () => {
  it('says what it was doing when the deadline passed, that its container and folder were removed, and what to do', async () => {
    const told: string[] = [];
    const limit = cellDeadline('archive mistakes', '10.58.111.150', { ms: 20, given: '20ms' }, new AbortController().signal, (m) =>
      told.push(m),
    );
    const err = await stoppedWork(limit, [
      'inspecting s3://b/backups/x/wal/',
      'streaming it into dingo-recover-drill-0a1b on 10.58.111.150',
      // What an interrupted drill left, removed: not what this one was doing.
      ['removed dingo-recover-drill-9f9f, left on 10.58.111.150 by an interrupted drill', 'cleanup'],
    ]);
    expect(err).toBeInstanceOf(DrillFailed);
    expect((err as DrillFailed).outcome).toBe('could-not-run');
    expect((err as DrillFailed).message).toBe(
      'archive mistakes on 10.58.111.150 took longer than --deadline 20ms: it was stopped while streaming it into dingo-recover-drill-0a1b on 10.58.111.150, and its container and scratch folder on the cell were removed',
    );
    expect((err as DrillFailed).hint).toBe('give it more time with --deadline (e.g. --deadline 2h), or run it closer to the bucket');
    // The operator's own progress is told too.
    expect(told).toHaveLength(3);
  });

  it('says what is still on the cell when it could not be removed', async () => {
    const limit = cellDeadline('the drill', '10.58.111.150', { ms: 20, given: '20ms' }, new AbortController().signal);
    const left =
      'dingo-recover-drill-0a1b and /var/vcap/store/dingo-recover-drill-0a1b are still on 10.58.111.150 (the session ended): remove them there';
    const err = (await stoppedWork(limit, ['replaying 3 WAL file(s)', [left, 'left']])) as DrillFailed;
    expect(err.message).toBe(
      `the drill on 10.58.111.150 took longer than --deadline 20ms: it was stopped while replaying 3 WAL file(s), and ${left}`,
    );
    expect(err.hint).toContain('remove what is left on the cell first');
  });

  it("passes the operator's own stop and any other failure through", () => {
    const operator = new AbortController();
    const limit = cellDeadline('the drill', '10.58.111.150', { ms: 60_000, given: '1m' }, operator.signal);
    const boom = new Error('boom');
    expect(limit.failure(boom)).toBe(boom);
    operator.abort();
    expect(limit.failure(boom)).toBe(boom);
  });
});
