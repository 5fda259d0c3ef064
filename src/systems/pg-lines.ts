/**
 * The lines a client of a scratch PostgreSQL prints (psql's `COPY … TO STDOUT`), handed on a batch per
 * read as they come: the program is paused while a batch waits to be read, killed when the reader
 * stops early, and what it said on stderr is the error when it fails. Whatever the table's size,
 * what is held is one batch.
 */
import { PassThrough, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { LocalProcesses, PipeStage } from '../core/seams.js';
import { messageOf } from '../core/errors.js';
import { StageFailed } from './processes.js';

/** The lines of a UTF-8 stream (without their `\n`), a batch per chunk read: the stream waits while a batch is read. */
async function* linesOf(input: Readable): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of input as AsyncIterable<Buffer>) {
    const text = rest + decoder.write(chunk);
    const lines = text.split('\n');
    rest = lines.pop()!;
    if (lines.length > 0) yield lines;
  }
  rest += decoder.end();
  if (rest !== '') yield [rest];
}

/** Runs `stage` (psql) through `pipe` and gives its stdout's lines; throws with its stderr (as `failed` words it) when it fails. */
export async function* programLines(
  pipe: LocalProcesses['pipeThrough'],
  stage: PipeStage,
  failed: (said: string) => Error = (said) => new Error(said || 'psql failed'),
): AsyncGenerator<string[]> {
  const out = new PassThrough();
  const done = pipe(Readable.from([]), [stage], out).then(
    () => undefined,
    (err: unknown) => err,
  );
  let whole = false;
  try {
    yield* linesOf(out);
    whole = true;
  } finally {
    if (!whole) out.destroy();
  }
  const err = await done;
  if (err) throw failed(err instanceof StageFailed ? err.stderr.trim() : messageOf(err));
}
