/**
 * cf's private CF_HOME: a copy of the operator's config in the run's folder (0700/0600), made when it
 * is not there, the plugins left the operator's; the fake cf (a real child process that reads and
 * writes $CF_HOME/.cf/config.json as cf does) targets in the copy, never in the operator's file. The
 * copy lives as long as the session: made fresh at its first cf command, removed when it closes and
 * when its process exits, a cf command that outlives the process included.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { CfCli } from '../../src/adapters/cf/index.js';
import { StepFailed } from '../../src/core/errors.js';
import { PrivateCfHomeRunner, privateCfHome, removeAtExit, removePrivateCfHome } from '../../src/systems/cf-home.js';
import { LocalRunner } from '../../src/systems/local-runner.js';
import { setUpFakeClis, type FakeClis } from '../support/fake-cli/install.js';
import { CF_VERSIONS, cfWorld } from '../support/fake-cli/worlds.js';
import { tempDirs, thrown } from '../support/temp-dirs.js';
import { Redactor } from '../../src/core/redact.js';
import type { CommandRunner } from '../../src/core/seams.js';
import { ROOT } from '../support/cli.js';

const tempDir = tempDirs('cf-home-');

/** While `on`, the barrier's exclusive write (flag wx) fails as on a full disk; every other write is the real one. */
const fullDisk = vi.hoisted(() => ({ on: false }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const write = (...a: Parameters<typeof fs.writeFileSync>): void => {
    const flag = typeof a[2] === 'object' && a[2] !== null ? a[2].flag : undefined;
    if (fullDisk.on && flag === 'wx')
      throw Object.assign(new Error(`ENOSPC: no space left on device, open '${String(a[0])}'`), { code: 'ENOSPC' });
    fs.writeFileSync(...a);
  };
  return { ...fs, default: { ...fs, writeFileSync: write }, writeFileSync: write };
});

const SPACE = 'important-space-and-all-databases';
let fake: FakeClis | undefined;
afterEach(async () => {
  await fake?.cleanup();
  fake = undefined;
});

function operatorHome(dir: string, config = '{"AccessToken":"bearer t.0"}'): string {
  mkdirSync(join(dir, '.cf'), { recursive: true });
  writeFileSync(join(dir, '.cf', 'config.json'), config);
  return dir;
}

describe('privateCfHome', () => {
  it("copies the operator's config from CF_HOME into the run folder, 0700 and 0600, plugins left at the original", () => {
    const dir = tempDir();
    const original = operatorHome(join(dir, 'operator'), '{"Target":"https://api.example"}\n');
    const runDir = join(dir, 'run');
    mkdirSync(runDir);
    const env = privateCfHome(runDir, { CF_HOME: original, HOME: join(dir, 'elsewhere') });
    expect(env).toEqual({ CF_HOME: join(runDir, 'cf-home'), CF_PLUGIN_HOME: original });
    const copy = join(runDir, 'cf-home', '.cf', 'config.json');
    expect(readFileSync(copy, 'utf8')).toBe('{"Target":"https://api.example"}\n');
    expect(statSync(join(runDir, 'cf-home')).mode & 0o777).toBe(0o700);
    expect(statSync(join(runDir, 'cf-home', '.cf')).mode & 0o777).toBe(0o700);
    expect(statSync(copy).mode & 0o777).toBe(0o600);
  });

  it('takes HOME without CF_HOME, and an operator CF_PLUGIN_HOME as it is', () => {
    const dir = tempDir();
    const home = operatorHome(join(dir, 'home'));
    const runDir = join(dir, 'run');
    expect(privateCfHome(runDir, { HOME: home })).toEqual({ CF_HOME: join(runDir, 'cf-home'), CF_PLUGIN_HOME: home });
    rmSync(join(runDir, 'cf-home'), { recursive: true });
    expect(privateCfHome(runDir, { HOME: home, CF_PLUGIN_HOME: '/opt/cf-plugins' }).CF_PLUGIN_HOME).toBe('/opt/cf-plugins');
  });

  it('keeps a copy that is there (its target and refreshed tokens), and copies again one that is gone', () => {
    const dir = tempDir();
    const home = operatorHome(join(dir, 'home'), 'operator');
    const runDir = join(dir, 'run');
    const { CF_HOME } = privateCfHome(runDir, { HOME: home });
    writeFileSync(join(CF_HOME, '.cf', 'config.json'), 'targeted by the run');
    privateCfHome(runDir, { HOME: home });
    expect(readFileSync(join(CF_HOME, '.cf', 'config.json'), 'utf8')).toBe('targeted by the run');
    rmSync(CF_HOME, { recursive: true });
    privateCfHome(runDir, { HOME: home });
    expect(readFileSync(join(CF_HOME, '.cf', 'config.json'), 'utf8')).toBe('operator');
  });

  it('removes the copy and any a process killed while removing it moved aside, and nothing else of the run', () => {
    const dir = tempDir();
    const runDir = join(dir, 'run');
    operatorHome(join(runDir, 'cf-home'), 'bearer t.3');
    operatorHome(join(runDir, 'cf-home.removing-0a1b2c'), 'bearer t.2');
    writeFileSync(join(runDir, 'journal.ndjson'), '');
    removePrivateCfHome(runDir);
    expect(readdirSync(runDir)).toEqual(['journal.ndjson']);
    // A session's first command removes them too, before it copies.
    operatorHome(join(runDir, 'cf-home.removing-3d4e5f'), 'bearer t.2');
    privateCfHome(runDir, { CF_HOME: operatorHome(join(dir, 'operator'), 'operator') }, true);
    expect(readdirSync(runDir).sort()).toEqual(['cf-home', 'journal.ndjson']);
    expect(readFileSync(join(runDir, 'cf-home', '.cf', 'config.json'), 'utf8')).toBe('operator');
  });

  it('at exit removes the copy it moved aside even when the empty file cannot take its place', () => {
    const dir = tempDir();
    const runDir = join(dir, 'run');
    privateCfHome(runDir, { CF_HOME: operatorHome(join(dir, 'operator'), 'bearer t.4') }, true);
    writeFileSync(join(runDir, 'journal.ndjson'), '');
    fullDisk.on = true;
    try {
      removeAtExit(runDir);
    } finally {
      fullDisk.on = false;
    }
    expect(readdirSync(runDir)).toEqual(['journal.ndjson']);
  });

  it('without a cf login says which file is missing and to log in, and makes no copy', () => {
    const dir = tempDir();
    const runDir = join(dir, 'run');
    const err = thrown(() => privateCfHome(runDir, { CF_HOME: join(dir, 'nobody') }));
    expect(err).toBeInstanceOf(StepFailed);
    expect(err.message).toBe(
      `cf is not logged in for this user: cannot read ${join(dir, 'nobody', '.cf', 'config.json')} (it does not exist)`,
    );
    expect(err.hint).toMatch(/^log in as the operator with `cf login -a API`.*then resume/);
    expect(existsSync(join(runDir, 'cf-home'))).toBe(false);
  });
});

describe('PrivateCfHomeRunner: the copy lives as long as the session', () => {
  /** A cf stand-in: each command reads the config of the CF_HOME it is given. */
  function reading(): { runner: CommandRunner; seen: string[] } {
    const seen: string[] = [];
    const runner: CommandRunner = {
      where: 'local',
      run(spec) {
        seen.push(readFileSync(join(spec.env!.CF_HOME!, '.cf', 'config.json'), 'utf8'));
        return Promise.resolve({ exitCode: 0, stdout: '', stderr: '', durationMs: 0 });
      },
    };
    return { runner, seen };
  }

  it("copies the operator's config fresh at a session's first command, keeps it for the next, and removes it on close", async () => {
    const dir = tempDir();
    const env = { CF_HOME: operatorHome(join(dir, 'operator'), 'operator v1') };
    const runDir = join(dir, 'run');
    // A copy a process killed outright left: not this session's.
    operatorHome(join(runDir, 'cf-home'), 'stale, with an old token');
    const { runner, seen } = reading();
    const session = new PrivateCfHomeRunner(runner, runDir, env);
    const exitListeners = process.listenerCount('exit');
    await session.run({ argv: ['cf', 'target'], writes: false });
    expect(process.listenerCount('exit')).toBe(exitListeners + 1);
    writeFileSync(join(runDir, 'cf-home', '.cf', 'config.json'), 'targeted by the run');
    await session.run({ argv: ['cf', 'apps'], writes: false });
    expect(seen).toEqual(['operator v1', 'targeted by the run']);
    session.close();
    expect(existsSync(join(runDir, 'cf-home'))).toBe(false);
    expect(process.listenerCount('exit')).toBe(exitListeners);

    // A resume is a new session: it copies the config as the operator has it now.
    writeFileSync(join(env.CF_HOME, '.cf', 'config.json'), 'operator v2');
    const resumed = new PrivateCfHomeRunner(runner, runDir, env);
    await resumed.run({ argv: ['cf', 'target'], writes: false });
    expect(seen.at(-1)).toBe('operator v2');
    resumed.close();
    expect(readFileSync(join(env.CF_HOME, '.cf', 'config.json'), 'utf8')).toBe('operator v2');
  });

  it('at the process’s exit removes the copy, and a cf command still running cannot write it back', () => {
    const dir = tempDir();
    const home = operatorHome(join(dir, 'operator'), 'operator');
    const runDir = join(dir, 'run');
    // The child runs a "cf" that writes its config a moment later, as cf does with a refreshed token, and exits meanwhile.
    const script = `
      import { PrivateCfHomeRunner } from ${JSON.stringify(join(ROOT, 'src/systems/cf-home.ts'))};
      import { LocalRunner } from ${JSON.stringify(join(ROOT, 'src/systems/local-runner.ts'))};
      const cf = new PrivateCfHomeRunner(new LocalRunner(), process.argv[1], { CF_HOME: process.argv[2] });
      void cf.run({ argv: ['sh', '-c', 'sleep 1; mkdir -p "$CF_HOME/.cf" && printf "bearer refreshed" >"$CF_HOME/.cf/config.json"'], writes: false });
      setTimeout(() => process.exit(130), 300);
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, runDir, home], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(130);
    spawnSync('sleep', ['1.5']);
    expect(existsSync(join(runDir, 'cf-home', '.cf'))).toBe(false);
    expect(statSync(join(runDir, 'cf-home')).size).toBe(0);
    // The next session takes the folder's place back.
    expect(privateCfHome(runDir, { CF_HOME: home }, true).CF_HOME).toBe(join(runDir, 'cf-home'));
    expect(readFileSync(join(runDir, 'cf-home', '.cf', 'config.json'), 'utf8')).toBe('operator');
  });
});

describe('the copy at the exit, while cf writes it over and over', () => {
  /**
   * A cf that writes its config as cf 8 does (util/configv3/write_config.go: MkdirAll of `$CF_HOME/.cf`,
   * a temp file there, renamed over config.json), again and again until it has failed 20 times in a
   * row, or for 3 s: every moment of the removal meets a write in flight.
   */
  const WRITER = `
    const { mkdirSync, writeFileSync, renameSync } = require('node:fs');
    const dir = process.argv[1] + '/.cf';
    const until = Date.now() + 3000;
    let failed = 0, n = 0;
    while (failed < 20 && Date.now() < until) {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        writeFileSync(dir + '/temp-config' + (n++), 'bearer refreshed', { mode: 0o600 });
        renameSync(dir + '/temp-config' + (n - 1), dir + '/config.json');
        failed = 0;
      } catch { failed++; }
    }
  `;

  it('leaves neither the copy nor a folder moved aside, only the empty file in its place', async () => {
    const dir = tempDir();
    for (let i = 0; i < 25; i++) {
      const runDir = join(dir, `run-${i}`);
      mkdirSync(runDir);
      const home = join(runDir, 'cf-home');
      const writer = spawn(process.execPath, ['-e', WRITER, home], { stdio: 'ignore' });
      const ended = new Promise((r) => writer.once('exit', r));
      while (!existsSync(join(home, '.cf', 'config.json'))) await new Promise((r) => setTimeout(r, 1));
      removeAtExit(runDir);
      await ended;
      expect(readdirSync(runDir), `pass ${i}`).toEqual(['cf-home']);
      expect(statSync(home).isFile() && statSync(home).size, `pass ${i}`).toBe(0);
    }
  });
});

describe.each([CF_VERSIONS.legacy, CF_VERSIONS.v8])('cf %s with a private CF_HOME', (version) => {
  it("targets in the run's copy; the operator's config stays byte-identical", async () => {
    fake = await setUpFakeClis({ cf: cfWorld(version) });
    const before = readFileSync(fake.cfConfig);
    const env = { ...process.env, ...fake.env };
    const runDir = join(fake.dir, 'run');
    const cf = new CfCli(new PrivateCfHomeRunner(new LocalRunner({ env }), runDir, env), { redactor: new Redactor() });
    // Nothing targeted yet: cf's own failure, in the copy as in the original.
    await expect(cf.apps()).rejects.toThrow("No org and space targeted, use 'cf target -o ORG -s SPACE' to target an org and space");
    await cf.target('org', SPACE);
    expect(await cf.apps()).toEqual(['their-app', 'their worker']);
    expect(readFileSync(fake.cfConfig)).toEqual(before);
    const copy = JSON.parse(readFileSync(join(runDir, 'cf-home', '.cf', 'config.json'), 'utf8')) as {
      OrganizationFields: { Name: string; GUID: string };
      SpaceFields: { Name: string };
    };
    expect(copy.OrganizationFields).toEqual({ Name: 'org', GUID: '1c0e6074-777f-450e-9abc-c42f39d9b75b' });
    expect(copy.SpaceFields.Name).toBe(SPACE);

    // The same commands on the operator's own home: the double writes the target there.
    const direct = new CfCli(new LocalRunner({ env }), { redactor: new Redactor() });
    await direct.target('org', SPACE);
    expect(readFileSync(fake.cfConfig)).not.toEqual(before);
    expect((JSON.parse(readFileSync(fake.cfConfig, 'utf8')) as { SpaceFields: { Name: string } }).SpaceFields.Name).toBe(SPACE);
  });

  it('a config without a token is not logged in', async () => {
    fake = await setUpFakeClis({ cf: cfWorld(version) });
    writeFileSync(fake.cfConfig, '{"Target":"https://api.sys.example.com","AccessToken":"","OrganizationFields":{},"SpaceFields":{}}');
    const cf = new CfCli(new LocalRunner({ env: { ...process.env, ...fake.env } }), { redactor: new Redactor() });
    await expect(cf.target('org', SPACE)).rejects.toThrow(/Not logged in/);
  });
});
