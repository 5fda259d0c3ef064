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
    for (const args of [['--help'], [], ['--version']]) {
      const bin = await runCli(args, { env: german });
      expect(bin.code).toBe(0);
      expect(bin.stdout).toBe(await yargsPrints(args, german));
    }
    expect(await yargsPrints(['--help'], german)).toContain('Show help');
  });

  it('answers the top-level help from the written text on a screen of 80 columns or more, or no terminal', () => {
    const help = readFileSync(HELP_FILE, 'utf8');
    for (const columns of [undefined, 80, 200]) {
      const { written, out } = screen(columns);
      expect(answerFast(['--help'], out)).toBe(true);
      expect(answerFast([], out)).toBe(true);
      expect(written).toEqual([help, help]);
    }
    const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    const { written, out } = screen();
    expect(answerFast(['--version'], out)).toBe(true);
    expect(written).toEqual([`${version}\n`]);
  });

  it('leaves to yargs a narrow screen (it wraps narrower) and every other command line', () => {
    const { written, out } = screen(60);
    expect(answerFast(['--help'], out)).toBe(false);
    for (const args of [['--help', '--json'], ['rehearse', '--help'], ['--version', 'x'], ['runs'], ['-h']]) {
      expect(answerFast(args, screen().out)).toBe(false);
    }
    expect(written).toEqual([]);
  });
});
