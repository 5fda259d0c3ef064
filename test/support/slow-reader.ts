/**
 * A runner's streamed output checked against a slow reader: `seq 1 LINES` is run with its standard
 * output written to a reader that takes each chunk a moment later, so the program outruns it.
 */
import { Writable } from 'node:stream';
import { expect } from 'vitest';
import type { CommandResult, CommandSpec } from '../../src/core/seams.js';

const HIGH = 64 * 1024;

/** Runs `seq 1 lines` through `run`: every byte comes, in order, and no more than the reader's mark and the chunk in hand ever waits. */
export async function expectSeqStreamed(run: (spec: CommandSpec) => Promise<CommandResult>, lines: number): Promise<void> {
  let text = '';
  let most = 0;
  let chunks = 0;
  const sink = new Writable({
    highWaterMark: HIGH,
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('latin1');
      chunks += 1;
      setTimeout(done, chunks % 16 === 0 ? 1 : 0);
    },
  });
  const watch = setInterval(() => (most = Math.max(most, sink.writableLength)), 1);
  try {
    const r = await run({ argv: ['seq', '1', String(lines)], writes: false, stdout: sink });
    expect(r).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    // Everything was handed to the reader; it takes the last of it in its own time.
    await new Promise((done) => sink.end(done));
  } finally {
    clearInterval(watch);
  }
  const want = Array.from({ length: lines }, (_, i) => `${i + 1}\n`).join('');
  expect(text.length).toBe(want.length);
  expect(text === want).toBe(true);
  expect(chunks).toBeGreaterThan(10);
  // Held at most what the reader holds and a few chunks of a pipe's read (64 KiB) in hand, not the
  // megabytes the program printed: Node 24's pipe() has been seen to hand on a second chunk after the
  // write that said the reader was full.
  expect(most).toBeLessThanOrEqual(HIGH + 4 * 64 * 1024);
}
