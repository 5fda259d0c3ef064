import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { printable, printableJson } from '../../src/core/display.js';
import { someOf } from '../../src/core/screen-lines.js';
import { REDACTED, Redactor } from '../../src/core/redact.js';
import { Reporter } from '../../src/engine/operator/index.js';

/** Any control character a terminal would act on (newline and tab are text). */
// eslint-disable-next-line no-control-regex -- finding control characters is what this pattern is for
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

function capture(): { out: Writable; text: () => string } {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { out, text: () => text };
}

describe('printable', () => {
  it('shows control characters as escapes and keeps newline and tab', () => {
    expect(printable('a\0b\0')).toBe('a\\0b\\0');
    expect(printable('\x1b]0;pwned\x07\x1b[2Jtitle')).toBe('\\x1b]0;pwned\\x07\\x1b[2Jtitle');
    expect(printable('progress 10%\rprogress 99%')).toBe('progress 10%\\rprogress 99%');
    expect(printable('csi \x9b31m del \x7f')).toBe('csi \\x9b31m del \\x7f');
    expect(printable('evil\u202Etxt.exe')).toBe('evil\\u202etxt.exe');
    expect(printable('col1\tcol2\nline2')).toBe('col1\tcol2\nline2');
    expect(printable('üñï ✔ 日本')).toBe('üñï ✔ 日本');
  });

  it('drops the carriage return of a CRLF line ending, and escaping twice changes nothing', () => {
    expect(printable('one\r\ntwo\r\n')).toBe('one\ntwo\n');
    const once = printable('a\x1b[2J\0\r\x9b');
    expect(printable(once)).toBe(once);
  });

  it('writes JSON that parses back to the same value and holds no raw control character', () => {
    const value = { output: 'a\0b\x1b[2J\x9b\x7f\u202e\r' };
    const json = printableJson(value, 2);
    expect(json).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(json)).toEqual(value);
  });
});

describe('the reporter shows remote bytes safely', () => {
  it('escapes control characters in command output, evidence and notes, after redacting', () => {
    const r = new Redactor();
    r.register('hunter2-secret');
    const { out, text } = capture();
    const reporter = new Reporter(out, r, false);
    reporter.commandResult({ exitCode: 0, stdout: '', stderr: '', durationMs: 5 }, 'pg_xlog\0base\0\x1b]0;owned\x07\nline two\r\n');
    reporter.evidence('container: \x1b[2Jdingo\x9b1m');
    reporter.note('progress 50%\rdone hunter2-secret\x1b[0m');
    const shown = text();
    expect(shown).not.toMatch(RAW_CONTROL);
    expect(shown).toBe(
      [
        '        pg_xlog\\0base\\0\\x1b]0;owned\\x07',
        '        line two',
        '        → exit 0, 5 ms',
        '      evidence: container: \\x1b[2Jdingo\\x9b1m',
        `      progress 50%\\rdone ${REDACTED}\\x1b[0m`,
        '',
      ].join('\n'),
    );
  });
});

describe('someOf', () => {
  it('names the first few and marks that there are more', () => {
    expect(someOf([])).toBe('');
    expect(someOf(['a', 'b'])).toBe('a, b');
    expect(someOf(['a', 'b', 'c', 'd', 'e'])).toBe('a, b, c, d, e');
    expect(someOf(['a', 'b', 'c', 'd', 'e', 'f'])).toBe('a, b, c, d, e, …');
    expect(someOf(['a', 'b', 'c', 'd'], 3)).toBe('a, b, c, …');
  });
});
