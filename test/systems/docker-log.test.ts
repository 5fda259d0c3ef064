/** A container's log as the Engine sends it: framed by stream without a terminal, whole with one. */
import { expect, it } from 'vitest';
import { logText } from '../../src/systems/docker-engine.js';

/** One frame of the Engine's log stream: stream 1 (stdout) or 2 (stderr), then the length, big-endian. */
const frame = (stream: 1 | 2, text: string): Buffer => {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
};

it('joins the frames of both streams in the order they came, their headers gone', () => {
  const log = Buffer.concat([frame(2, 'FATAL:  bad\n'), frame(1, 'é\n'), frame(2, '')]);
  expect(logText(log)).toBe('FATAL:  bad\né\n');
});

it('takes a log that is not framed (a container with a terminal) whole, and an empty one as empty', () => {
  expect(logText(Buffer.from('postgres: could not access the server configuration file\n'))).toBe(
    'postgres: could not access the server configuration file\n',
  );
  expect(logText(Buffer.alloc(0))).toBe('');
});

it('takes a log whole when its last frame is cut short, rather than drop its end', () => {
  const cut = Buffer.concat([frame(1, 'one\n'), frame(2, 'two\n').subarray(0, 10)]);
  expect(logText(cut)).toBe(cut.toString('utf8'));
});
