/**
 * The live side of a merge is read as psql prints it: lines handed on while the command still runs,
 * with no more than a bounded read-ahead held, whatever the table's size; a runner that cannot stream
 * gives the same lines; a failure after some rows, and a reader that stops early, end the command;
 * a login the server refuses fails naming the role, with no other login tried.
 */
import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CellDocker } from '../../src/adapters/docker.js';
import { liveLines, liveQuery } from '../../src/adapters/pg-merge.js';
import { PSQL_VIA_STDIN } from '../../src/adapters/container-database.js';
import { StepFailed } from '../../src/core/errors.js';
import { Redactor } from '../../src/core/redact.js';
import type { CommandResult, CommandRunner, CommandSpec } from '../../src/core/seams.js';

const LOGIN = { user: 'app', password: 'app-password-Qx81' };

const expected = (count: number): string[] => Array.from({ length: count }, (_, i) => `row-${i}\t["zoë ${i}"]`);

/** `count` lines of psql's output (`row-<i>` and some text), as `size`-byte chunks: a chunk may end inside a character. */
function* chunksOf(count: number, size: number): Generator<Buffer> {
  const text = Buffer.from(expected(count).join('\n') + '\n');
  for (let at = 0; at < text.length; at += size) yield text.subarray(at, at + size);
}

/** A cell whose psql prints `count` lines, streamed when asked (waiting while the reader is full) unless `whole`. */
function cell(count: number, opts: { whole?: boolean; exitCode?: number; size?: number } = {}) {
  const seen = { specs: [] as CommandSpec[], written: 0, done: false, mostHeld: 0 };
  const runner: CommandRunner = {
    where: 'cell 10.0.0.1',
    async run(spec: CommandSpec): Promise<CommandResult> {
      seen.specs.push(spec);
      const end = (stdout: string): CommandResult => {
        seen.done = true;
        const exitCode = opts.exitCode ?? 0;
        return { exitCode, stdout, stderr: exitCode ? 'ERROR:  canceling statement due to conflict' : '', durationMs: 1 };
      };
      if (opts.whole || !spec.stdout) return end(expected(count).join('\n') + '\n');
      const out: Writable = spec.stdout;
      for (const chunk of chunksOf(count, opts.size ?? 1 << 16)) {
        seen.written += chunk.length;
        const held = out as Writable & { readableLength?: number };
        seen.mostHeld = Math.max(seen.mostHeld, out.writableLength + (held.readableLength ?? 0));
        if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
      }
      return end('');
    },
  };
  return { docker: new CellDocker(runner, { redactor: new Redactor(), sudo: false }), seen };
}

async function all(lines: AsyncIterable<string[]>, onBatch?: () => void): Promise<string[]> {
  const got: string[] = [];
  for await (const batch of lines) {
    onBatch?.();
    got.push(...batch);
  }
  return got;
}

describe('liveLines', () => {
  it('hands the lines on while psql still prints, holding a bounded read-ahead of a table far larger', async () => {
    const count = 1_000_000;
    const { docker, seen } = cell(count);
    let doneAtFirst: boolean | undefined;
    const got = await all(liveLines(docker, 'cf-x', LOGIN)('shop', 'select 1'), () => (doneAtFirst ??= seen.done));
    expect(got).toEqual(expected(count));
    expect(doneAtFirst).toBe(false);
    expect(seen.specs[0]!.stdout).toBeDefined();
    // psql logged in as the role apps bind with, its password on standard input only.
    const argv = seen.specs[0]!.argv;
    expect(argv.slice(argv.indexOf(PSQL_VIA_STDIN) + 1, argv.indexOf(PSQL_VIA_STDIN) + 3)).toEqual(['sh', LOGIN.user]);
    expect(argv.join(' ')).not.toContain(LOGIN.password);
    // About 27 MB printed; what waited to be read stayed within the read-ahead (4 MiB each side of the pipe).
    expect(seen.written).toBeGreaterThan(25e6);
    expect(seen.mostHeld).toBeLessThan(9 * 2 ** 20);
  });

  it('gives the same lines, characters cut between chunks whole, from a runner that cannot stream', async () => {
    const cut = cell(20_000, { size: 4099 });
    const whole = cell(20_000, { whole: true });
    const [a, b] = await Promise.all([
      all(liveLines(cut.docker, 'cf-x', LOGIN)('shop', 'select 1')),
      all(liveLines(whole.docker, 'cf-x', LOGIN)('shop', 'select 1')),
    ]);
    expect(a).toEqual(expected(20_000));
    expect(b).toEqual(a);
  });

  it('fails, after the rows that came, when psql exits non-zero', async () => {
    const { docker } = cell(50_000, { exitCode: 1 });
    const got: string[] = [];
    const err = await (async () => {
      for await (const batch of liveLines(docker, 'cf-x', LOGIN)('shop', 'select 1')) got.push(...batch);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as Error).message).toContain('psql in cf-x (database shop, as app) exited 1: ERROR:  canceling statement');
    expect(got.length).toBeGreaterThan(0);
  });

  it('lets psql finish when the reader stops early, so the command ends', async () => {
    const { docker, seen } = cell(1_000_000);
    for await (const batch of liveLines(docker, 'cf-x', LOGIN)('shop', 'select 1')) {
      expect(batch.length).toBeGreaterThan(0);
      break;
    }
    expect(seen.done).toBe(true);
  });

  it("fails naming the role when the server refuses its login, and never tries the superuser's", async () => {
    const specs: CommandSpec[] = [];
    const runner: CommandRunner = {
      where: 'cell 10.0.0.1',
      run(spec: CommandSpec): Promise<CommandResult> {
        specs.push(spec);
        return Promise.resolve({
          exitCode: 2,
          stdout: '',
          stderr: `psql: error: FATAL:  password authentication failed for user "${LOGIN.user}"`,
          durationMs: 1,
        });
      },
    };
    const docker = new CellDocker(runner, { redactor: new Redactor(), sudo: false });
    const refused = await liveQuery(docker, 'cf-x', LOGIN)('shop', 'select 1').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StepFailed);
    expect((refused as StepFailed).message).toBe(
      `psql in cf-x could not log in as app over 127.0.0.1:5432, the role apps bind with: psql: error: FATAL:  password authentication failed for user "app"`,
    );
    expect((refused as StepFailed).hint).toContain('never as a superuser');
    expect(specs).toHaveLength(1);
  });
});
