/** The first bytes of a stream, read without taking them from it. */
import type { Readable } from 'node:stream';

/**
 * Waits for the stream's first chunk and puts it back: the stream then reads from its start, and
 * the chunk (empty when the stream ends at once) tells what it holds. Rejects when it fails first.
 */
export async function peekStart(stream: Readable): Promise<Buffer> {
  for (;;) {
    const chunk = stream.read() as Buffer | null;
    if (chunk !== null) {
      stream.unshift(chunk);
      return chunk;
    }
    if (stream.readableEnded) return Buffer.alloc(0);
    await new Promise<void>((resolve, reject) => {
      const settle = (err?: Error): void => {
        stream.off('readable', settle).off('end', settle).off('error', settle);
        if (err) reject(err);
        else resolve();
      };
      stream.on('readable', settle).on('end', settle).on('error', settle);
    });
  }
}
