import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalRunner } from '../../src/systems/local-runner.js';
import { expectSeqStreamed } from '../support/slow-reader.js';
import { ROOT } from '../support/cli.js';
import { tempDirForAll } from '../support/temp-dirs.js';

const dir = tempDirForAll('dingo-local-runner-');

describe('LocalRunner', () => {
  const runner = new LocalRunner();

  it('runs without a shell, with stdin and merged env', async () => {
    const r = await runner.run({
      argv: ['sh', '-c', 'printf "%s|%s|" "$1" "$DINGO_X"; cat; echo err >&2; exit 3', 'sh', 'a b;c'],
      env: { DINGO_X: 'y' },
      stdin: 'in',
      writes: false,
    });
    expect(r).toMatchObject({ exitCode: 3, stdout: 'a b;c|y|in', stderr: 'err\n' });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('writes a large output where it is asked as it comes, the program waiting while that is full', async () => {
    await expectSeqStreamed((spec) => runner.run(spec), 600_000);
  });

  it('times out with exit code 124', async () => {
    const r = await runner.run({ argv: ['sleep', '5'], timeoutMs: 100, writes: false });
    expect(r).toMatchObject({ exitCode: 124, timedOut: true });
  });

  it('stops a program when its abort comes, with SIGTERM, which it may clean up on', async () => {
    const stop = new AbortController();
    const ran = runner.run({
      argv: ['sh', '-c', 'trap "echo cleaned up; exit 7" TERM; echo started; while :; do sleep 0.05; done'],
      writes: false,
      abort: stop.signal,
    });
    await new Promise((r) => setTimeout(r, 300));
    stop.abort();
    expect(await ran).toMatchObject({ exitCode: 7, stdout: 'started\ncleaned up\n' });
    // Aborted before it starts: it is stopped at once.
    const early = new AbortController();
    early.abort();
    expect((await runner.run({ argv: ['sleep', '5'], writes: false, abort: early.signal })).exitCode).toBe(143);
  });

  it("ends its programs with the tool's exit: one that may be stopped gently is asked to (SIGTERM) and cleans up, the others are killed", async () => {
    // A program that says where it runs, and on SIGTERM writes that it cleaned up, then ends.
    const program = (name: string) =>
      `echo $$ > ${join(dir, name)}.pid; trap "echo cleaned > ${join(dir, name)}.done; exit 0" TERM; while :; do sleep 0.05; done`;
    const script = join(dir, 'exits.mjs');
    writeFileSync(
      script,
      `import { LocalRunner } from ${JSON.stringify(join(ROOT, 'dist/src/systems/local-runner.js'))};
const runner = new LocalRunner();
void runner.run({ argv: ['sh', '-c', ${JSON.stringify(program('gentle'))}], writes: false, abort: new AbortController().signal });
void runner.run({ argv: ['sh', '-c', ${JSON.stringify(program('killed'))}], writes: false });
setTimeout(() => process.exit(0), 500);
`,
    );
    expect(spawnSync(process.execPath, [script], { encoding: 'utf8' }).status).toBe(0);
    const pid = (name: string) => Number(readFileSync(join(dir, `${name}.pid`), 'utf8'));
    const gone = (p: number) => !existsSync(`/proc/${String(p)}`) || readFileSync(`/proc/${String(p)}/stat`, 'utf8').split(' ')[2] === 'Z';
    for (let i = 0; i < 50 && !(gone(pid('gentle')) && gone(pid('killed'))); i++) await new Promise((r) => setTimeout(r, 100));
    expect([gone(pid('gentle')), gone(pid('killed'))]).toEqual([true, true]);
    expect(readFileSync(join(dir, 'gentle.done'), 'utf8')).toBe('cleaned\n');
    expect(existsSync(join(dir, 'killed.done'))).toBe(false);
  });

  it('reports a missing program as 127', async () => {
    const r = await runner.run({ argv: ['/nonexistent/cf', 'version'], writes: false });
    expect(r.exitCode).toBe(127);
    expect(r.stderr).toContain('command not found');
  });
});
