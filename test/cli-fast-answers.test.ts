import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HELP_FILE, answerFast } from '../bin/fast-answers.js';
import { SOURCE_CLI, runCli } from './support/cli.js';

/** What yargs itself prints for `args`, from the source definitions. */
async function yargsPrints(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await runCli(args, { program: SOURCE_CLI, env });
  expect(r.code).toBe(0);
  return r.stdout;
}

/** A screen that records what is written to it. */
function screen(columns?: number) {
  const written: string[] = [];
  return { written, out: { columns, write: (text: string) => written.push(text) } };
}

describe('the answers given before yargs loads', () => {
  it('keeps the written top-level help equal to what yargs prints (npm run build writes it)', async () => {
    expect(readFileSync(HELP_FILE, 'utf8'), 'dist/src/top-level-help.txt is stale: run `npm run build`').toBe(
      await yargsPrints(['--help']),
    );
  });

  it('prints for --help, a bare command and --version exactly what yargs prints, in any locale', async () => {
    const german = { LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' };
    for (const args of [['--help'], ['-h'], [], ['--version'], ['-v'], ['-V']]) {
      const bin = await runCli(args, { env: german });
      expect(bin.code).toBe(0);
      expect(bin.stdout).toBe(await yargsPrints(args, german));
    }
    expect(await yargsPrints(['--help'], german)).toContain('Show help');
  });

  it('answers the top-level help from the written text when there is no terminal, and the version anywhere', () => {
    const help = readFileSync(HELP_FILE, 'utf8');
    const { written, out } = screen();
    expect(answerFast(['--help'], out)).toBe(true);
    expect(answerFast(['-h'], out)).toBe(true);
    expect(answerFast([], out)).toBe(true);
    expect(written).toEqual([help, help, help]);
    const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    for (const columns of [undefined, 80]) {
      const { written, out } = screen(columns);
      for (const flag of ['--version', '-v', '-V']) expect(answerFast([flag], out)).toBe(true);
      expect(written).toEqual([`${version}\n`, `${version}\n`, `${version}\n`]);
    }
  });

  it('leaves to yargs a terminal (it wraps the help at its width) and every other command line', () => {
    const { written, out } = screen(200);
    expect(answerFast(['--help'], out)).toBe(false);
    for (const args of [['--help', '--json'], ['rehearse', '--help'], ['--version', 'x'], ['runs'], ['-x']]) {
      expect(answerFast(args, screen().out)).toBe(false);
    }
    expect(written).toEqual([]);
  });
});
