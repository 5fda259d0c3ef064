/**
 * A command's standard input (seams.ts StdinData) handled the same way by every runner: text and
 * bytes are written whole, a stream is piped as it is read. Bytes stay bytes: nothing here
 * decodes them as text.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { StdinData } from './seams.js';

/** True for the stream form, which can be read only once. */
export function isStdinStream(data: StdinData | undefined): data is Readable {
  return data !== undefined && typeof data !== 'string' && !Buffer.isBuffer(data);
}

/** `prefix` (a password line, exported variables) written before `data`, in the same form as `data`. */
export function prependStdin(prefix: string, data: StdinData): StdinData {
  if (typeof data === 'string') return prefix + data;
  if (Buffer.isBuffer(data)) return Buffer.concat([Buffer.from(prefix, 'utf8'), data]);
  return Readable.from(
    (async function* () {
      yield Buffer.from(prefix, 'utf8');
      for await (const chunk of data) yield chunk as Buffer;
    })(),
    { objectMode: false },
  );
}

/**
 * A file as a command's input, opened only once the command reads it: a stream opened earlier could
 * fail (a missing file) before anyone listens, and take the process down.
 */
export function fileStdin(path: string): Readable {
  return Readable.from(
    (async function* () {
      for await (const chunk of createReadStream(path)) yield chunk as Buffer;
    })(),
    { objectMode: false },
  );
}

/** The whole input as bytes (a simulation answers a command once it has all of it). */
export async function stdinBytes(data: StdinData | undefined): Promise<Buffer> {
  if (data === undefined) return Buffer.alloc(0);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Buffer.isBuffer(data)) return data;
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of data) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Uint8Array);
    chunks.push(bytes);
    length += bytes.length;
  }
  // One allocation and a native copy per chunk: a drill's tar of whole WAL segments comes in
  // hundreds of thousands of small chunks, which Buffer.concat copies one JavaScript call at a time.
  const all = Buffer.allocUnsafe(length);
  let at = 0;
  for (const bytes of chunks) {
    all.set(bytes, at);
    at += bytes.length;
  }
  return all;
}

/**
 * Feeds `data` to a command's input and ends it. A stream that fails while being read calls
 * `onError`: the command then saw a cut input and its result must not be trusted.
 */
export function feedStdin(data: StdinData | undefined, input: NodeJS.WritableStream, onError: (err: Error) => void): void {
  if (!isStdinStream(data)) {
    input.end(data ?? '');
    return;
  }
  data.once('error', onError);
  data.pipe(input);
}
