import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completionTree, type CompletionNode } from '../../../src/commands/completion/tree.js';
import { completions } from '../../../src/commands/completion/words.js';
import { shellOf } from '../../../src/commands/completion/completion.js';

const BIN = fileURLToPath(new URL('../../../bin/dingo-recover.js', import.meta.url));
const BUILT_TREE = fileURLToPath(new URL('../../../dist/src/completion-tree.json', import.meta.url));

let tree: CompletionNode;
let dir: string;
let stateDir: string;
let shim: string;

beforeAll(async () => {
  tree = await completionTree();
  dir = mkdtempSync(join(tmpdir(), 'completion-'));
  stateDir = join(dir, 'state');
  for (const id of ['20261125-222410-6e47', '20261126-013000-b195']) mkdirSync(join(stateDir, 'runs', id), { recursive: true });
  // The shells find dingo-recover on PATH, as an installed one is.
  shim = join(dir, 'bin');
  mkdirSync(shim);
  writeFileSync(join(shim, 'dingo-recover'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`);
  chmodSync(join(shim, 'dingo-recover'), 0o755);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const env = (): NodeJS.ProcessEnv => ({ DINGO_RECOVER_STATE_DIR: stateDir, HOME: dir });

describe('what a Tab offers', () => {
  it('is read from the command modules, and the build wrote the same tree (npm run build)', () => {
    expect(JSON.parse(readFileSync(BUILT_TREE, 'utf8')), 'dist/src/completion-tree.json is stale: run `npm run build`').toEqual(tree);
    expect(Object.keys(tree.commands)).toEqual(expect.arrayContaining(['recover', 'resume', 'rehearse', 'logs', 'archive', 'completion']));
    expect(Object.keys(tree.commands.logs!.commands).sort()).toEqual(['find', 'instance']);
  });

  it.each([
    { words: ['re'], want: ['recover', 'recover-space', 'rehearse', 'resume'] },
    { words: ['logs', ''], want: ['find', 'instance'] },
    { words: ['archive', 'sw'], want: ['swap'] },
    { words: ['completion', ''], want: ['bash', 'fish', 'zsh'] },
    { words: ['rehearse', '--scen'], want: ['--scenario'] },
    {
      words: ['rehearse', '--scenario', ''],
      want: ['bad-write', 'later-broker', 'partial-wal', 'same-name-tenant', 'seed-003', 'space-scenario'],
    },
    { words: ['rehearse', '--scenario=se'], want: ['--scenario=seed-003'] },
    { words: ['validate', 'recover-s'], want: ['recover-space', 'recover-space-instance'] },
    { words: ['show', ''], want: ['20261125-222410-6e47', '20261126-013000-b195'] },
    { words: ['resume', '2026112'], want: ['20261125-222410-6e47', '20261126-013000-b195'] },
    // A run id is one word: after it, show takes nothing more.
    { words: ['show', '20261125-222410-6e47', ''], want: [] },
    // A value after a flag is not a command: `--answers logs` is a file named logs.
    { words: ['recover', '--answers', ''], want: [] },
  ])('$words → $want', ({ words, want }) => {
    expect(completions(tree, words, env())).toEqual(want);
  });

  it('offers a command its own flags and the global ones, never another command’s', () => {
    const flags = completions(tree, ['logs', 'find', '--'], env());
    expect(flags).toEqual(expect.arrayContaining(['--es-url', '--state-dir', '--json']));
    expect(flags).not.toContain('--scenario');
  });

  it('lists the runs of the state folder given on the line, not the default one', () => {
    const other = join(dir, 'other-state');
    mkdirSync(join(other, 'runs', '20261101-010101-aaaa'), { recursive: true });
    expect(completions(tree, ['show', '--state-dir', other, ''], env())).toEqual(['20261101-010101-aaaa']);
    expect(completions(tree, [`--state-dir=${other}`, 'abandon', ''], env())).toEqual(['20261101-010101-aaaa']);
  });

  it('takes the shell from $SHELL when none is named, and names the three it knows for another', () => {
    expect(shellOf(undefined, { SHELL: '/usr/bin/zsh' })).toBe('zsh');
    expect(shellOf(undefined, {})).toBe('bash');
    expect(() => shellOf('tcsh')).toThrow(/no completion for the shell "tcsh".*/);
  });
});

/** Runs `script` in `shell` with the shim first on PATH and the test's state folder. */
function inShell(shell: string, args: string[]): string[] {
  const r = spawnSync(shell, args, {
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: `${shim}:${process.env.PATH}`, ...env() },
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

describe('the completion scripts, in their shells', () => {
  it('bash', () => {
    const run = (words: string): string[] =>
      inShell('bash', [
        '-c',
        `source <(dingo-recover completion bash); COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _dingo_recover_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ]);
    expect(run(`dingo-recover re`)).toEqual(['recover', 'recover-space', 'rehearse', 'resume']);
    expect(run(`dingo-recover show ''`)).toEqual(['20261125-222410-6e47', '20261126-013000-b195']);
  });

  it('zsh', () => {
    // compadd and _files exist only inside a completion widget: stand-ins print what they are given.
    const run = (words: string, current: number): string[] =>
      inShell('zsh', [
        '-f',
        '-c',
        `compadd() { shift $(( \${@[(i)--]} )); print -l -- "$@"; }; _files() { print -- '(files)'; }; compdef() { :; }
         source <(dingo-recover completion zsh); words=(${words}); CURRENT=${current}; _dingo_recover_complete`,
      ]);
    expect(run(`dingo-recover rehearse --scenario ''`, 4)).toEqual([
      'bad-write',
      'later-broker',
      'partial-wal',
      'same-name-tenant',
      'seed-003',
      'space-scenario',
    ]);
    expect(run(`dingo-recover resume ''`, 3)).toEqual(['20261125-222410-6e47', '20261126-013000-b195']);
    expect(run(`dingo-recover recover --answers ''`, 4)).toEqual(['(files)']);
  });

  it('fish', () => {
    const run = (line: string): string[] =>
      inShell('fish', ['--no-config', '-c', `dingo-recover completion fish | source; complete -C ${JSON.stringify(line)}`]).map(
        (l) => l.split('\t')[0]!,
      );
    expect(run('dingo-recover logs ')).toEqual(['find', 'instance']);
    expect(run('dingo-recover abandon 20261126')).toEqual(['20261126-013000-b195']);
  });
});
