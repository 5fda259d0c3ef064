import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HELP_FILE, HELP_WIDTHS, answerFast, writtenHelp } from '../../bin/fast-answers.js';
import { SOURCE_CLI, runCli } from '../support/cli.js';

/** What yargs itself prints for `--help` on a terminal of `columns` (script(1) gives it one). */
function yargsPrintsOnTerminal(columns: number): string {
  const command = `stty cols ${columns}; ${[...SOURCE_CLI, '--help'].map((a) => `'${a}'`).join(' ')}`;
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
  return r.stdout.replace(/\r\n/g, '\n');
}

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
  it('keeps the written top-level help equal to what yargs prints, on no terminal and on terminals of any width (npm run build writes it)', async () => {
    expect(writtenHelp(), 'dist/src/top-level-help.json.gz is stale: run `npm run build`').toBe(await yargsPrints(['--help']));
    for (const columns of [HELP_WIDTHS.min, 80, 123, 200, HELP_WIDTHS.max]) {
      expect(writtenHelp(columns), `on ${columns} columns`).toBe(yargsPrintsOnTerminal(columns));
    }
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

  it("answers the top-level help from the text written for the terminal's width (or none), and the version anywhere", () => {
    for (const columns of [undefined, 80, 200]) {
      const help = writtenHelp(columns);
      expect(help).toContain('dingo-recover <command>');
      const { written, out } = screen(columns);
      expect(answerFast(['--help'], out)).toBe(true);
      expect(answerFast(['-h'], out)).toBe(true);
      expect(answerFast([], out)).toBe(true);
      expect(written).toEqual([help, help, help]);
    }
    const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    for (const columns of [undefined, 80]) {
      const { written, out } = screen(columns);
      for (const flag of ['--version', '-v', '-V']) expect(answerFast([flag], out)).toBe(true);
      expect(written).toEqual([`${version}\n`, `${version}\n`, `${version}\n`]);
    }
  });

  it('keys the written help by the contents of the modules it was made from, not by times (npm stamps an installed package with one)', () => {
    const file = fileURLToPath(HELP_FILE);
    const { atime, mtime } = statSync(file);
    try {
      utimesSync(file, new Date('1985-10-26T08:15:00Z'), new Date('1985-10-26T08:15:00Z'));
      expect(writtenHelp()).toContain('dingo-recover <command>');
    } finally {
      utimesSync(file, atime, mtime);
    }
  });

  it('leaves to yargs a terminal wider or narrower than any help written, and every other command line', () => {
    const { written, out } = screen(HELP_WIDTHS.max + 1);
    expect(answerFast(['--help'], out)).toBe(false);
    expect(answerFast(['--help'], screen(HELP_WIDTHS.min - 1).out)).toBe(false);
    for (const args of [['--help', '--json'], ['rehearse', '--help'], ['--version', 'x'], ['runs'], ['-x']]) {
      expect(answerFast(args, screen().out)).toBe(false);
    }
    expect(written).toEqual([]);
  });
});
