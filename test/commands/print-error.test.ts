import { afterEach, expect, it, vi } from 'vitest';
import { EXIT, UsageError } from '../../src/core/errors.js';
import { failCommand } from '../../src/commands/print-error.js';
import { takeExitCode } from '../../src/commands/exit-code.js';

afterEach(() => {
  vi.restoreAllMocks();
  takeExitCode();
});

function stderrOf(run: () => void): string {
  let text = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((t: string | Uint8Array) => {
    text += String(t);
    return true;
  });
  run();
  return text;
}

it("prints a failed command's message and hint and exits with its code", () => {
  const text = stderrOf(() => {
    failCommand('volumes look', new UsageError('no such volume', { hint: 'run volumes find' }));
  });
  expect(text).toBe('dingo-recover volumes look: no such volume\nwhat to do: run volumes find\n');
  expect(takeExitCode()).toBe(EXIT.badInput);
});

it('exits as a failed step when what was thrown is not a DingoError', () => {
  const text = stderrOf(() => {
    failCommand('compose audit', new Error('disk gone'));
  });
  expect(text).toBe('dingo-recover compose audit: disk gone\n');
  expect(takeExitCode()).toBe(EXIT.stepFailed);
});
