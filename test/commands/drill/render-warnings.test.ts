/**
 * A drill's warnings on stderr quote what the restored cluster holds, whose database names are the
 * tenant's: each warning is one line there, its control characters and newlines shown as escapes.
 */
import { describe, expect, it } from 'vitest';
import { renderWarnings } from '../../../src/commands/drill/render.js';

describe("a drill's warnings on stderr", () => {
  it('are a line each, prefixed as the tool says them', () => {
    expect(renderWarnings(['one', 'two'])).toBe('dingo-recover drill: warning: one\ndingo-recover drill: warning: two\n');
    expect(renderWarnings([])).toBe('');
  });

  it("show a tenant's escape sequences and newlines as text, so no name acts on the terminal or forges a line", () => {
    const hostile = 'the restored cluster holds no table (databases: \x1b]0;owned\x07x\nrestore drill passed, \u202eevil)';
    const text = renderWarnings([hostile]);
    expect(text.split('\n')).toHaveLength(2);
    expect(text).toBe(
      'dingo-recover drill: warning: the restored cluster holds no table (databases: \\x1b]0;owned\\x07x\\nrestore drill passed, \\u202eevil)\n',
    );
  });
});
