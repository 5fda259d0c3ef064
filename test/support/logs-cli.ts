/** Runs `logs ...` through yargs as the CLI does, in this process, capturing stdout. */
import yargs from 'yargs';
import { vi } from 'vitest';
import { logsCommand } from '../../src/commands/logs/logs.js';
import { UsageError } from '../../src/core/errors.js';

export async function runLogs(args: string[]): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await yargs(args)
      .command(logsCommand)
      .strict()
      .exitProcess(false)
      .fail((msg: string, err: Error | undefined) => {
        throw err ?? new UsageError(msg);
      })
      .parseAsync();
  } finally {
    spy.mockRestore();
  }
  return out;
}
