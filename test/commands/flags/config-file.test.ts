import { existsSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configuredSettings, defaultConfigFile, readConfigFile } from '../../../src/commands/flags/config-file.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { ENV_PARENT_VAR } from '../../support/test-environment.js';

const tmp = tempDirs('dingo-config-');

function settingsFile(text: string): string {
  const dir = tmp();
  const file = join(dir, 'config.yaml');
  writeFileSync(file, text);
  return file;
}

describe('the settings file', () => {
  it('lives in the XDG config folder, ~/.config by default', () => {
    expect(defaultConfigFile({ XDG_CONFIG_HOME: '/etc/xdg-here' })).toBe('/etc/xdg-here/dingo-recover/config.yaml');
    expect(defaultConfigFile({})).toBe(join(homedir(), '.config', 'dingo-recover', 'config.yaml'));
  });

  it('gives each flag by its name, paths relative to the file, numbers and booleans typed', () => {
    const file = settingsFile(
      'gateway: ubuntu@opsman\nssh-key: keys/cells\nlogs: [/var/log/remote, more]\nconcurrency: "8"\ns3-path-style: true\n',
    );
    const dir = join(file, '..');
    expect(readConfigFile(file, true).values).toEqual({
      gateway: 'ubuntu@opsman',
      'ssh-key': join(dir, 'keys/cells'),
      logs: ['/var/log/remote', join(dir, 'more')],
      concurrency: 8,
      's3-path-style': true,
    });
  });

  it('refuses an unknown setting, naming the nearest', () => {
    const file = settingsFile('gateway: ubuntu@opsman\nssh_key: ~/.ssh/cells\n');
    expect(() => readConfigFile(file, true)).toThrow(/unknown setting "ssh_key" \(did you mean "ssh-key"\?\)/);
  });

  it('refuses credentials: AWS keys, passwords, a URL with a password', () => {
    for (const text of ['aws_secret_access_key: abc\n', 'es-password: hunter2\n', 'es-url: https://elastic:hunter2@logs:9200\n']) {
      let message = '';
      try {
        readConfigFile(settingsFile(text), true);
      } catch (err) {
        message = String(err) + JSON.stringify(err);
      }
      expect(message).toMatch(/credential/);
      expect(message).toMatch(/AWS credential chain/);
      expect(message).not.toMatch(/hunter2|abc/);
    }
  });

  it('refuses a value of the wrong type, naming the setting', () => {
    expect(() => readConfigFile(settingsFile('concurrency: many\n'), true)).toThrow(/concurrency must be a number/);
  });

  it('is optional where no --config names it, required where one does', () => {
    const missing = join(tmp(), 'no-such-dingo-folder', 'config.yaml');
    expect(readConfigFile(missing, false).values).toEqual({});
    expect(() => readConfigFile(missing, true)).toThrow(/cannot read settings file/);
  });

  it('gives DINGO_RECOVER_<FLAG> variables precedence over the file', () => {
    const file = settingsFile('gateway: file@opsman\nssh-user: vcap\n');
    const settings = configuredSettings(file, { DINGO_RECOVER_GATEWAY: 'env@opsman', DINGO_RECOVER_CONCURRENCY: '4' });
    expect(settings.values).toEqual({ gateway: 'env@opsman', 'ssh-user': 'vcap', concurrency: 4 });
    expect(settings.origins).toEqual({ gateway: 'DINGO_RECOVER_GATEWAY', 'ssh-user': file, concurrency: 'DINGO_RECOVER_CONCURRENCY' });
    expect(() => configuredSettings(file, { DINGO_RECOVER_CONCURRENCY: 'lots' })).toThrow(
      /DINGO_RECOVER_CONCURRENCY: concurrency must be a number/,
    );
  });
});

describe("the tests' own environment", () => {
  it("reads no settings file, variable or state folder of the developer's", () => {
    // In the test run's own folder (suite-setup.ts), else in the temporary folder.
    const own = process.env[ENV_PARENT_VAR] ?? tmpdir();
    expect(defaultConfigFile().startsWith(`${own}/`)).toBe(true);
    expect(existsSync(defaultConfigFile())).toBe(false);
    expect(process.env.XDG_STATE_HOME?.startsWith(`${own}/`)).toBe(true);
    expect(Object.keys(process.env).filter((k) => k.startsWith('DINGO_RECOVER_'))).toEqual([]);
  });
});
