import { describe, expect, it } from 'vitest';
import { LocalRunner } from '../../src/systems/local-runner.js';
import { expectSeqStreamed } from '../support/slow-reader.js';

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

  it('reports a missing program as 127', async () => {
    const r = await runner.run({ argv: ['/nonexistent/cf', 'version'], writes: false });
    expect(r.exitCode).toBe(127);
    expect(r.stderr).toContain('command not found');
  });
});
