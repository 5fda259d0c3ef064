import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandLineExit, invocation, secrets, withInvocation, type EmbeddedIo } from '../../src/core/invocation.js';
import { processRuntime } from '../../src/core/runtime.js';
import { commandLine, useStateDir } from '../../src/core/command-line.js';
import { onWaiting, sayWaiting } from '../../src/core/waits.js';
import { setExitCode, takeExitCode } from '../../src/commands/exit-code.js';
import { runInProcess } from '../../src/cli.js';
import { REDACTED } from '../../src/core/redact.js';

/** Streams of a command line of its own, and what it wrote. */
function io(env: NodeJS.ProcessEnv = { ...process.env }): EmbeddedIo & { out: () => string; err: () => string } {
  const written = { out: '', err: '' };
  const sink = (key: 'out' | 'err') =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        written[key] += chunk.toString();
        done();
      },
    });
  return { env, stdin: Readable.from([]), stdout: sink('out'), stderr: sink('err'), out: () => written.out, err: () => written.err };
}

const folders: string[] = [];
afterEach(() => {
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});

describe('a command line of its own inside this process', () => {
  it('outside any, is the process: its environment and streams, listening to its signals', () => {
    const own = invocation();
    expect(own.ownsProcess).toBe(true);
    expect(own.env).toBe(process.env);
    expect(own.stdout).toBe(process.stdout);
  });

  it('keeps its secrets, exit code, state folder and waits apart from another running at the same time', async () => {
    const one = io();
    const two = io();
    const run = (mine: string, theirs: string, code: number, dir: string) => async () => {
      secrets().register(mine);
      setExitCode(code);
      useStateDir(dir);
      const heard: string[] = [];
      const stop = onWaiting((text) => heard.push(text));
      // The other command line registers, sets and listens while this one waits.
      await sleep(20);
      sayWaiting(`${mine} waits`);
      stop();
      return {
        mine: secrets().redact(mine),
        theirs: secrets().redact(theirs),
        code: takeExitCode(),
        line: commandLine(['resume', 'r1']),
        heard,
      };
    };
    const [a, b] = await Promise.all([
      withInvocation(one, run('password-one-1234', 'password-two-5678', 4, '/srv/a')),
      withInvocation(two, run('password-two-5678', 'password-one-1234', 5, '/srv/b')),
    ]);
    expect(a).toEqual({
      mine: REDACTED,
      theirs: 'password-two-5678',
      code: 4,
      line: 'dingo-recover resume r1 --state-dir /srv/a',
      heard: ['password-one-1234 waits'],
    });
    expect(b).toMatchObject({ mine: REDACTED, theirs: 'password-one-1234', code: 5, line: 'dingo-recover resume r1 --state-dir /srv/b' });
    expect(b.heard).toEqual(['password-two-5678 waits']);
    // Nothing reached the process's own command line.
    expect(secrets().redact('password-one-1234 password-two-5678')).toBe('password-one-1234 password-two-5678');
    expect(commandLine(['resume', 'r1'])).toBe('dingo-recover resume r1');
  });

  it('says a wait no one hears on its own standard error', async () => {
    const mine = io();
    await withInvocation(mine, () => {
      sayWaiting('S3 has not answered for 5 s');
      return Promise.resolve();
    });
    expect(mine.err()).toBe('dingo-recover: S3 has not answered for 5 s\n');
  });

  it("never hears the process's stop signals, and its exit ends it alone, after its last words", async () => {
    const mine = io();
    const before = process.listenerCount('SIGINT');
    const thrown = await withInvocation(mine, () => {
      const runtime = processRuntime();
      let stopped = false;
      const off = runtime.process.onStop(() => {
        stopped = true;
      });
      expect(process.listenerCount('SIGINT')).toBe(before);
      off();
      expect(stopped).toBe(false);
      try {
        runtime.process.exit(130, 'interrupted; resume with: dingo-recover resume r1');
      } catch (err) {
        return Promise.resolve(err);
      }
      return Promise.resolve(undefined);
    });
    expect(thrown).toBeInstanceOf(CommandLineExit);
    expect((thrown as CommandLineExit).code).toBe(130);
    expect(mine.err()).toBe('interrupted; resume with: dingo-recover resume r1\n');
  });

  it('reads the environment it was given, not the process’s, and its changes stay its own', async () => {
    const mine = io({ ...process.env, npm_command: 'exec' });
    const line = await withInvocation(mine, () => Promise.resolve(commandLine(['runs'])));
    expect(line).toBe('npx dingo-recover runs');
    expect(process.env.npm_command).not.toBe('exec');
  });
});

describe('runInProcess', () => {
  it("runs a command with the streams and environment it is given, and returns the command's exit code", async () => {
    const state = mkdtempSync(join(tmpdir(), 'inproc-'));
    folders.push(state);
    const mine = io();
    expect(await runInProcess(['runs', '--state-dir', state], mine)).toBe(0);
    expect(mine.out()).toBe(`no runs in ${state}\n`);

    const failing = io();
    expect(await runInProcess(['show', 'no-such-run', '--state-dir', state], failing)).toBe(2);
    expect(failing.out()).toBe('');
    expect(failing.err()).toContain('no-such-run');
  });

  it('redacts what one command line was given in its own output, and in no other', async () => {
    const state = mkdtempSync(join(tmpdir(), 'inproc-'));
    folders.push(state);
    // The index pattern is named in the search's error; given the same value as a password, it is hidden there.
    const find = (extra: string[]) => [
      'logs',
      'find',
      '--service-name',
      'x',
      '--state-dir',
      state,
      '--es-url',
      'https://127.0.0.1:1',
      '--es-index',
      'hunter2-very-secret',
      ...extra,
    ];
    const given = io();
    const other = io();
    const codes = await Promise.all([runInProcess(find(['--es-password', 'hunter2-very-secret']), given), runInProcess(find([]), other)]);
    expect(codes).toEqual([1, 1]);
    expect(given.err()).toContain(`search of ${REDACTED} at https://127.0.0.1:1 failed`);
    expect(given.err()).not.toContain('hunter2-very-secret');
    expect(other.err()).toContain('search of hunter2-very-secret at https://127.0.0.1:1 failed');
    expect(secrets().redact('hunter2-very-secret')).toBe('hunter2-very-secret');
  });
});
