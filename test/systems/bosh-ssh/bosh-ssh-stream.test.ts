/**
 * v2 `bosh ssh -c` output read as it comes (V2StreamReader), on lines as bosh-cli's ComboWriter
 * prints them from the forced terminal (`ssh -tt`: every line ends in CRLF, cut at the newline so
 * its `\r` stays): the command's output decoded from its base64 lines to the caller's stream, its
 * error and exit code from the marker's frame, what a login shell printed before the frame left
 * out, and anything else in the output's place (a piece of the ssh client's error spliced into a
 * line, a line after the exit code) taken as a torn output, never as data.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { V2StreamReader } from '../../../src/systems/bosh-ssh/bosh-ssh-stream.js';

const M = 'dingo-recover-0123456789abcdef01234567';
const P = 'cell_z1/6e9a1c44-0f1d-4f05-b7b6-2f2ab0a52d1a: stdout | ';
const E = 'cell_z1/6e9a1c44-0f1d-4f05-b7b6-2f2ab0a52d1a: stderr | ';

/** base64's lines of `bytes`, wrapped at 76 as `base64` wraps them. */
function b64Lines(bytes: Buffer): string[] {
  return bytes.toString('base64').match(/.{1,76}/g) ?? [];
}

function sink(): { stream: Writable; text: () => string } {
  const got: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      got.push(chunk);
      done();
    },
  });
  return { stream, text: () => Buffer.concat(got).toString('utf8') };
}

/** Feeds `text` to a reader in pieces of `size` bytes, as a pipe may cut it. */
async function feed(reader: V2StreamReader, text: string, size: number): Promise<void> {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += size) {
    await new Promise<void>((done) => {
      if (reader.write(bytes.subarray(at, at + size))) done();
      else reader.once('drain', done);
    });
  }
  await new Promise<void>((done) => reader.end(done));
}

/** A line of the terminal's, as bosh prints it: its prefix, and the carriage return of the terminal's CRLF. */
const out = (line: string): string => `${P}${line}\r`;

function boshOutput(output: Buffer, error: string, code: number, extra: string[] = []): string {
  return [
    "Using environment 'https://10.0.0.6:25555' as client 'admin'",
    '',
    "Using deployment 'dingo'",
    '',
    'Task 4211',
    '',
    // What a login shell printed before the frame: never data.
    out('Welcome to the cell'),
    out(`${M} err`),
    out(''),
    out(`${M} out`),
    ...b64Lines(output).map(out),
    out(`${M} err`),
    ...b64Lines(Buffer.from(error)).map(out),
    out(`${M} exit ${code}`),
    ...extra,
    '',
    'Succeeded',
    '',
  ].join('\n');
}

describe('v2 bosh ssh output read as it comes', () => {
  it('hands the decoded output on, whatever the pipe cuts, and gives the error and exit code from the frame', async () => {
    const output = Buffer.from(Array.from({ length: 3000 }, (_, i) => `row ${i} é ${P}${M} exit 0\n`).join(''));
    for (const size of [1, 7, 4096]) {
      const s = sink();
      const reader = new V2StreamReader(M, s.stream);
      await feed(reader, boshOutput(output, 'it failed\n', 3, [`${E}Connection to 127.0.0.1 closed.\r`]), size);
      expect(s.text()).toBe(output.toString('utf8'));
      expect(reader.result(Date.now())).toMatchObject({ exitCode: 3, stdout: '', stderr: 'it failed\n' });
      expect(reader.sshError).toBe('Connection to 127.0.0.1 closed.');
      expect(reader.boshText).toBe('');
    }
  });

  it('keeps what bosh said of a failure, without its lines that tell nothing', async () => {
    const reader = new V2StreamReader(M, sink().stream);
    const said = [
      "Using environment 'https://10.0.0.6:25555' as client 'admin'",
      '',
      "Using deployment 'dingo'",
      '',
      'Task 4212',
      '',
      "Instance group 'cell_z1' doesn't exist or has no instances",
      '',
      'Exit code 1',
      '',
    ].join('\n');
    await feed(reader, said, 50);
    expect(reader.result(Date.now())).toBeNull();
    expect(reader.torn).toBeNull();
    expect(reader.boshText).toBe("Instance group 'cell_z1' doesn't exist or has no instances");
  });

  it('takes a line with a piece of the ssh client’s error spliced in as torn, and gives no result', async () => {
    const lines = boshOutput(Buffer.alloc(300, 'x'), '', 0).split('\n');
    const i = lines.findIndex((l) => l.startsWith(P) && !l.includes(M) && l.length > P.length + 40);
    const at = P.length + 40;
    lines[i] = `${lines[i]!.slice(0, at)}Warning: Permanently added${lines[i]!.slice(at)}`;
    const reader = new V2StreamReader(M, sink().stream);
    await feed(reader, lines.join('\n'), 64);
    expect(reader.torn).toMatch(/^output line \d+ is not one of the frame's$/);
    expect(reader.tornLine).toContain('Warning: Permanently added');
    expect(reader.result(Date.now())).toBeNull();
    // A line of the output that lost its prefix is not skipped as bosh's own either.
    const unprefixed = boshOutput(Buffer.alloc(300, 'x'), '', 0).split('\n');
    const j = unprefixed.findLastIndex((l) => l.startsWith(P) && !l.includes(M) && l !== out('Welcome to the cell'));
    unprefixed[j] = unprefixed[j]!.slice(P.length);
    const again = new V2StreamReader(M, sink().stream);
    await feed(again, unprefixed.join('\n'), 64);
    expect(again.torn).toMatch(/without bosh's prefix/);
    expect(again.result(Date.now())).toBeNull();
  });

  it('takes a short line before others, a frame without its exit code, or output after it as no result', async () => {
    const firstLine = out(b64Lines(Buffer.alloc(300, 'x'))[0]!);
    const short = boshOutput(Buffer.alloc(300, 'x'), '', 0)
      .split('\n')
      .map((l) => (l === firstLine ? out('eHh4') : l))
      .join('\n');
    const noExit = boshOutput(Buffer.from('abc'), '', 0).replace(`${out(`${M} exit 0`)}\n`, '');
    const after = boshOutput(Buffer.from('abc'), '', 0, [out('eHh4')]);
    for (const text of [short, noExit, after]) {
      const reader = new V2StreamReader(M, sink().stream);
      await feed(reader, text, 100);
      expect(reader.result(Date.now())).toBeNull();
    }
  });

  it('holds no line past its bound: a line without end is torn, not kept', async () => {
    const reader = new V2StreamReader(M, sink().stream);
    const lines = boshOutput(Buffer.from('abc'), '', 0).split('\n');
    lines[lines.lastIndexOf(out(`${M} err`))] = `${P}${'A'.repeat(200_000)}`;
    const text = lines.join('\n');
    await feed(reader, text, 4096);
    expect(reader.torn).toMatch(/^a line of more than \d+ bytes came after output line 1$/);
    expect(reader.result(Date.now())).toBeNull();
  });

  it('takes no more from bosh while the caller’s stream is full, and all once it drains', async () => {
    let release: (() => void) | undefined;
    let taken = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, done) {
        taken += chunk.length;
        release = done;
      },
    });
    const reader = new V2StreamReader(M, slow);
    const text = Buffer.from(boshOutput(Buffer.alloc(200_000, 'y'), '', 0));
    let accepted = 0;
    const pushing = (async () => {
      for (let at = 0; at < text.length; at += 4096) {
        await new Promise<void>((done) => {
          reader.write(text.subarray(at, at + 4096), () => {
            done();
          });
        });
        accepted = at + 4096;
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    // The first piece went on to the stream, which has not taken it: the reader holds the next.
    expect(taken).toBeGreaterThan(0);
    expect(accepted).toBeLessThanOrEqual(2 * 4096);
    while (accepted < text.length) {
      release?.();
      await new Promise((r) => setImmediate(r));
    }
    await pushing;
    expect(taken).toBe(200_000);
  });
});
