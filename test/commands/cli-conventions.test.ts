import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../src/core/errors.js';
import { DRILL_EXIT } from '../../src/drill/exit-codes.js';
import { describe, expect, it } from 'vitest';
import { runCli, CLI } from '../support/cli.js';
import { tempDirs } from '../support/temp-dirs.js';

const tmp = tempDirs('dr-cli-conv-');

describe('run ids on the command line', () => {
  it.each([
    ['resume', '..'],
    ['show', '.'],
    ['abandon', '..', '--reason', 'x'],
    ['show', '/'],
  ])('%s %s is refused with exit 2 and what to give instead', async (...args) => {
    const state = tmp();
    const r = await runCli([...args, '--state-dir', state]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${JSON.stringify(args[1])} is not a run id`);
    expect(r.stderr).toContain(`\`dingo-recover runs --state-dir ${state}\``);
  });
});

describe('a world-writable state folder', () => {
  it('is refused by a command that uses it (exit 2), naming the chmod that fixes it', async () => {
    const state = tmp();
    chmodSync(state, 0o777);
    const r = await runCli(['runs', '--state-dir', state]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`refusing the state folder ${state}: it may be written by its group and other users (mode 0777)`);
    expect(r.stderr).toContain(`chmod go-w ${state}`);
  });
});

/** What `args` prints on a terminal of `columns` columns (script(1) gives it one). */
function onTerminal(args: string[], columns: number): string {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const r = spawnSync('script', ['-qec', `stty cols ${columns}; ${[...CLI, ...args].map(quote).join(' ')}`, '/dev/null'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return r.stdout.replace(/\r/g, '');
}

describe('the command line as cf, kubectl and aws users expect it', () => {
  it('a misspelled command is answered with the command meant (exit 2)', async () => {
    const r = await runCli(['rehaerse', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "rehaerse": did you mean "rehearse"?');
  });

  it.each([
    [['logs', 'fnd'], 'unknown command "logs fnd": did you mean "logs find"?', 'dingo-recover logs find --help'],
    [['volumes', 'lok'], 'unknown command "volumes lok": did you mean "volumes look"?', 'dingo-recover volumes look --help'],
    [['logs'], '"logs" needs a command of its own', 'dingo-recover logs --help lists them'],
  ])('a command of commands names the real one: %j', async (args, message, hint) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`dingo-recover: ${message}\nwhat to do: ${hint}`);
  });

  it.each([
    [['rehearse', '--yess'], 'unknown flag --yess: did you mean --yes?'],
    [['rehearse', '-y'], "unknown flag -y: this command's is --yes"],
    [['rehearse', '--dry-run'], "unknown flag --dry-run: this command's is --plan"],
    [['logs', 'find', '--debug'], "unknown flag --debug: this command's is --verbose"],
    [['runs', '-o', 'json'], "unknown flag -o: this command's is --json"],
    [['drill', 's3://b/p/wal/', '--endpoint-url', 'http://127.0.0.1:9'], "unknown flag --endpoint-url: this command's is --s3-endpoint"],
    [['rehearse', '--scenario'], '--scenario needs a value'],
    [['logs', 'find', '--service', 'x'], 'unknown flag --service: did you mean --service-name?'],
    [['logs', 'find', '--service-name', 'x', '--es-url'], '--es-url needs a value'],
    // A flag of one value given twice: which was meant is the operator's to say (values are never echoed: they may be URLs with secrets).
    [
      ['archive', 'inspect', 's3://b/p/wal/', '--s3-endpoint', 'http://127.0.0.1:9', '--s3-endpoint', 'http://127.0.0.1:10'],
      '--s3-endpoint was given 2 times, and takes one value',
    ],
    [
      ['logs', 'find', '--service-name', 'x', '--service-name', 'y', '--logs', 'a'],
      '--service-name was given 2 times, and takes one value',
    ],
    // --plan means "look, change nothing" everywhere: the swap's own plan file is --plan-file.
    [
      ['archive', 'swap', '--from', 's3://b/o/wal/', '--to', 's3://b/n/wal/', '--plan', 'f.json'],
      'unknown flag --plan: did you mean --plan-file?',
    ],
  ])(
    'a flag it does not know, one with no value or one of one value given twice, is refused before anything starts: %j',
    async (args, message) => {
      const state = tmp();
      const r = await runCli([...args, '--state-dir', state]);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(`dingo-recover: ${message}`);
      expect(existsSync(join(state, 'runs'))).toBe(false);
    },
  );

  it('`completion` prints the script for the shell $SHELL names, and nothing else; a Tab is answered by the installed command', async () => {
    const r = await runCli(['completion'], { env: { SHELL: '/bin/bash' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('complete -o default -F _dingo_recover_complete dingo-recover');
    expect(r.stderr).toBe('');
    const words = await runCli(['__complete', 'reh']);
    expect(words.stdout.split('\n')).toContain('rehearse');
  });

  it("the top-level help's exit codes name every code the commands end with: the runs' (8 and 75 too) and the drill's", async () => {
    const r = await runCli(['-h']);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/Exit codes: 0 done, .* 75 another process drives the run .*, 130 interrupted, 141 output closed/);
    for (const code of [...new Set([...Object.values(EXIT), ...Object.values(DRILL_EXIT)])])
      expect(help).toMatch(new RegExp(`\\b${code} [a-z]`));
  });

  it("help wraps at the terminal's width, not 80 columns, and a URL in an example is never split", () => {
    const wide = onTerminal(['archive', 'inspect', '--help'], 200);
    const lines = wide.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeGreaterThan(120);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(200);
    expect(wide).toMatch(/^ {2}dingo-recover archive inspect s3:\/\/\S+\/wal\/ --json$/m);
    const swap = onTerminal(['archive', 'swap', '--help'], 120);
    for (const url of swap.match(/s3:\/\/\S+/g) ?? []) expect(url).toMatch(/^s3:\/\/[\w-]+\/backups\/[\w-]+\/wal\/$/);
    expect(swap.match(/s3:\/\/\S+/g)).toHaveLength(4);
  });
});

describe('flags that were taken and ignored', () => {
  it.each([[['runs', '--state-dir']], [['runs', '--state-dir=']], [['show', 'x', '--state-dir']]])(
    '%j: a --state-dir with no value is refused (exit 2), not taken as the default folder',
    async (args) => {
      const r = await runCli(args, { env: { DINGO_RECOVER_STATE_DIR: tmp() } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--state-dir needs a folder');
      expect(r.stdout).toBe('');
    },
  );

  it('without --state-dir the default folder is used', async () => {
    const state = tmp();
    const r = await runCli(['runs'], { env: { DINGO_RECOVER_STATE_DIR: state } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(state);
  });
});

describe('compose audit with no file', () => {
  const STATEFUL = 'services:\n  db:\n    image: postgres:15\n';
  const SAFE = 'services:\n  web:\n    image: nginx\n';

  it.each([
    [['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'], 'compose.yaml'],
    [['compose.yml', 'docker-compose.yaml', 'docker-compose.yml'], 'compose.yml'],
    [['docker-compose.yaml', 'docker-compose.yml'], 'docker-compose.yaml'],
    [['docker-compose.yml'], 'docker-compose.yml'],
  ])('reads the file Compose would among %j: %s', async (present, chosen) => {
    const dir = tmp();
    for (const name of present) writeFileSync(join(dir, name), name === chosen ? STATEFUL : SAFE);
    const r = await runCli(['compose', 'audit', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ file: chosen, findings: [{ service: 'db' }] });
  });

  it('names the files it looked for when there is none (exit 2)', async () => {
    const dir = tmp();
    const r = await runCli(['compose', 'audit'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no compose file in ${dir} (looked for compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml)`);
  });
});

describe('logs with a path that is not there', () => {
  it.each([[['logs', 'find', '--service-name', 'orders-db']], [['logs', 'instance', '78218ded-7d88-4d69-bd44-6f478c300134']]])(
    '%j --logs /nonexistent leads with "no such path" (exit 2), not with what was not found',
    async (args) => {
      const r = await runCli([...args, '--logs', '/nonexistent/syslog']);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe('dingo-recover: no such path: "/nonexistent/syslog" (--logs)');
      expect(r.stdout).toBe('');
    },
  );
});

describe('the one style of an error', () => {
  it.each([
    [['compose', 'audit', '/nonexistent/compose.yaml'], 'dingo-recover compose audit: cannot read compose file'],
    [['show', 'no-such-run', '--state-dir', '/nonexistent/state'], 'dingo-recover: no run "no-such-run"'],
  ])('%j: the message, then "what to do:" (never "hint:")', async (args, first) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toContain(first);
    expect(lines[1]).toMatch(/^what to do: \S/);
    expect(r.stderr).not.toContain('hint:');
  });
});
