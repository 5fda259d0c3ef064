/** Every command is journaled with a summary of its output; a streamed output is named as such, never left blank. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/core/redact.js';
import type { CommandRunner, CommandSpec } from '../../../src/core/seams.js';
import { recordingRunner } from '../../../src/engine/executor/context.js';
import type { Journal } from '../../../src/engine/journal/index.js';

function recorded(stdout: string) {
  const events: Record<string, unknown>[] = [];
  const journal = { append: (e: Record<string, unknown>) => events.push(e) } as unknown as Journal;
  const inner: CommandRunner = {
    where: 'cell 10.0.0.1',
    run: (spec: CommandSpec) => {
      spec.stdout?.write('streamed rows\n');
      return Promise.resolve({ exitCode: 0, stdout, stderr: 'NOTICE: hi', durationMs: 3 });
    },
  };
  const screen = { command: () => undefined, commandResult: () => undefined };
  return { events, runner: recordingRunner(inner, 'cell', journal, screen, new Redactor(), 'merge-plan') };
}

describe('recordingRunner', () => {
  it('journals what a command printed, or that its output was read by the step as it came', async () => {
    const plain = recorded('a row\n');
    await plain.runner.run({ argv: ['psql'], writes: false });
    expect(plain.events[0]).toMatchObject({ type: 'command', step: 'merge-plan', exitCode: 0, output: 'a row\nNOTICE: hi' });

    const streamed = recorded('');
    const sink = new PassThrough();
    await streamed.runner.run({ argv: ['psql'], writes: false, stdout: sink });
    expect(streamed.events[0]).toMatchObject({ output: '(standard output read by the step as it came)\nNOTICE: hi' });
    expect(sink.read()?.toString()).toBe('streamed rows\n');
  });
});
