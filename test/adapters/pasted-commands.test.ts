/**
 * A tenant names their service `$(touch FILE)` or hides an escape sequence in it: every command the
 * tool prints for the operator to run by hand (the cf and bosh "run it by hand" hints, the
 * backticked command of a failure) must, pasted into a shell, run exactly that command: the test
 * pastes each into `sh -c` with the program swapped for printf and compares the words that arrive.
 * And a cf read that never answers is killed past its deadline, naming the command.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BoshCli } from '../../src/adapters/bosh.js';
import { CfCli } from '../../src/adapters/cf/index.js';
import { hintFor } from '../../src/adapters/cf/cf-hints.js';
import { StepFailed } from '../../src/core/errors.js';
import type { CommandResult, CommandRunner, CommandSpec } from '../../src/core/seams.js';
import { pasteCommand, pasteQuote, shellQuote } from '../../src/core/shell-quote.js';
import { LocalRunner } from '../../src/systems/local-runner.js';
import { tempDirs } from '../support/temp-dirs.js';
import { Redactor } from '../../src/core/redact.js';

const tmp = tempDirs('dr-paste-');

/** A runner whose commands all fail as `cf` or `bosh` would, except the answers given. */
function failingRunner(answers: Record<string, CommandResult> = {}): CommandRunner & { seen: string[][] } {
  const seen: string[][] = [];
  return {
    where: 'local',
    seen,
    run(spec: CommandSpec) {
      seen.push(spec.argv);
      const answer = answers[spec.argv.slice(1).join(' ')];
      return Promise.resolve(answer ?? { exitCode: 1, stdout: 'FAILED\nServer error, status code: 502', stderr: '', durationMs: 1 });
    },
  };
}

/** The words `command` (as printed) gives its program once pasted into sh, the program swapped for printf. */
function pasted(command: string, program: string): string[] {
  expect(command.startsWith(`${program} `)).toBe(true);
  const out = execFileSync('sh', ['-c', `printf '%s\\0' ${command.slice(program.length + 1)}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

async function failureOf(p: Promise<unknown>): Promise<StepFailed> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StepFailed);
  return err as StepFailed;
}

describe('commands printed for the operator to paste', () => {
  it('quotes a shell word only when it needs it', () => {
    expect(pasteCommand(['cf', 'service', 'important-db', '--guid'])).toBe('cf service important-db --guid');
    expect(pasteQuote("it's $(x) `y` a;b")).toBe(`'it'\\''s $(x) \`y\` a;b'`);
    expect(pasteQuote('')).toBe("''");
    // What a shell runs is POSIX-quoted: a newline stays inside single quotes.
    expect(shellQuote('a\nb')).toBe("'a\nb'");
    // A control character is never printed raw: bash reads $'\x1b' as the escape itself.
    expect(pasteQuote("db\u001b[8m\nit's\u009b")).toBe("$'db\\x1b[8m\\x0ait\\'s\\xc2\\x9b'");
    const word = "db\u001b[8mhidden\nit's\u009b";
    const back = execFileSync('bash', ['-c', `printf '%s' ${pasteQuote(word)}`], { encoding: 'utf8' });
    expect(back).toBe(word);
  });

  it("cf's failure and its run-it-by-hand hint run exactly the command, not the tenant's $(...)", async () => {
    const marker = join(tmp(), 'x');
    const name = `$(touch ${marker})`;
    const cf = new CfCli(failingRunner(), { redactor: new Redactor(), binary: 'cf' });
    const err = await failureOf(cf.serviceGuid(name));
    const backticked = /`([^`]+)` exited/.exec(err.message)?.[1] ?? '';
    expect(backticked).toBe(`cf service ${pasteQuote(name)} --guid`);
    const byHand = /Run it by hand to see the whole output: (.*)$/.exec(err.hint ?? '')?.[1] ?? '';
    expect(byHand).toBe(backticked);
    for (const command of [backticked, byHand]) expect(pasted(command, 'cf')).toEqual(['service', name, '--guid']);
    expect(existsSync(marker)).toBe(false);
    expect(hintFor('no such thing', ['cf', 'bind-service', 'app; rm -rf ~', name])).toBe(
      `Run it by hand to see the whole output: cf bind-service 'app; rm -rf ~' ${pasteQuote(name)}`,
    );
  });

  it("bosh's failure and its hint quote a deployment named with backticks", async () => {
    const marker = join(tmp(), 'y');
    const deployment = `dingo\`touch ${marker}\``;
    const runner = failingRunner({
      '--version': { exitCode: 0, stdout: 'version 7.5.2-0e8ad7f4-2023-10-24T19:04:47Z\n', stderr: '', durationMs: 1 },
    });
    const bosh = new BoshCli(runner, { redactor: new Redactor(), binary: 'bosh' });
    const err = await failureOf(bosh.vms(deployment));
    const backticked = /failed: `(bosh .*)` exited/.exec(err.message)?.[1] ?? '';
    expect(pasted(backticked, 'bosh')).toEqual(runner.seen.at(-1)!.slice(1));
    expect(pasted(backticked, 'bosh')).toContain(deployment);
    const byHand = /Run it by hand to see the whole output: (.*)$/.exec(err.hint ?? '')?.[1] ?? '';
    expect(pasted(byHand, 'bosh')).toContain(deployment);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('a cf that never answers', () => {
  it('a read is killed past its deadline and fails saying so, with the command to run by hand', async () => {
    const dir = tmp();
    const cfBin = join(dir, 'cf');
    // A cf whose Cloud Controller accepted the request and never answered.
    writeFileSync(cfBin, '#!/bin/sh\nexec sleep 60\n', { mode: 0o755 });
    const cf = new CfCli(new LocalRunner(), { redactor: new Redactor(), binary: cfBin, readTimeoutMs: 300 });
    const err = await failureOf(cf.serviceGuid('important-db'));
    expect(err.message).toBe(
      `Looking up service instance important-db failed: \`${cfBin} service important-db --guid\` exited 124 on local: no answer within 0.3 s (timed out)`,
    );
    expect(err.hint).toBe(`Run it by hand to see the whole output: ${cfBin} service important-db --guid`);
  });
});
