/**
 * The suite runs in an environment of its own: a developer's settings (a config.yaml with a typo,
 * AWS profiles, cf and BOSH targets, an ssh-agent) cannot change a result.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { isolateEnvironment } from '../support/test-environment.js';
import { withoutRegistry } from '../support/server-registry.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});
const folder = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  roots.push(d);
  return d;
};

/** What a developer may have set for themselves. */
const THEIRS = {
  HOME: '/home/dev',
  XDG_CONFIG_HOME: '/home/dev/.config',
  XDG_STATE_HOME: '/home/dev/.local/state',
  AWS_PROFILE: 'production',
  AWS_ACCESS_KEY_ID: 'AKIADEVELOPER',
  AWS_SECRET_ACCESS_KEY: 'developer-secret',
  AWS_CONFIG_FILE: '/home/dev/.aws/config',
  CF_HOME: '/home/dev',
  CF_TRACE: 'true',
  BOSH_ENVIRONMENT: 'prod-director',
  BOSH_CLIENT_SECRET: 'director-secret',
  DOCKER_HOST: 'tcp://prod:2376',
  ES_API_KEY: 'es-key',
  SSH_AUTH_SOCK: '/tmp/ssh-dev/agent.1',
  DINGO_RECOVER_STATE_DIR: '/home/dev/runs',
  NODE_EXTRA_CA_CERTS: '/home/dev/corporate-ca.pem',
  npm_lifecycle_event: 'test',
  PATH: '/usr/bin:/bin',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

it("a worker's environment points home, settings and credentials into empty folders of its own and keeps none of the developer's", () => {
  const env: NodeJS.ProcessEnv = { ...THEIRS };
  const root = isolateEnvironment(env);
  roots.push(root);
  expect(env.PATH).toBe('/usr/bin:/bin');
  expect(env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true');
  for (const name of [
    'AWS_PROFILE',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'CF_TRACE',
    'BOSH_ENVIRONMENT',
    'BOSH_CLIENT_SECRET',
    'DOCKER_HOST',
    'ES_API_KEY',
    'SSH_AUTH_SOCK',
    'DINGO_RECOVER_STATE_DIR',
    'NODE_EXTRA_CA_CERTS',
    'npm_lifecycle_event',
  ])
    expect(env[name], name).toBeUndefined();
  const mine = ['HOME', 'XDG_CONFIG_HOME', 'XDG_STATE_HOME', 'XDG_CACHE_HOME', 'XDG_DATA_HOME', 'CF_HOME', 'DOCKER_CONFIG'];
  for (const name of mine) {
    expect(env[name], name).toMatch(new RegExp(`^${root}/`));
    expect(readdirSync(env[name]!), name).toEqual([]);
  }
  for (const name of ['AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'BOSH_CONFIG']) {
    expect(env[name], name).toMatch(new RegExp(`^${root}/`));
    expect(existsSync(env[name]!), name).toBe(false);
  }
  expect(env.AWS_EC2_METADATA_DISABLED).toBe('true');
});

it("a malformed config.yaml in the developer's own XDG_CONFIG_HOME and home does not fail the suite's settings tests", () => {
  const dev = folder('dr-developer-');
  const typo = 'logs: [unclosed\nes-index: {\n';
  for (const configHome of [join(dev, 'xdg'), join(dev, 'home', '.config')]) {
    mkdirSync(join(configHome, 'dingo-recover'), { recursive: true });
    writeFileSync(join(configHome, 'dingo-recover', 'config.yaml'), typo);
  }
  mkdirSync(join(dev, 'home', '.aws'));
  writeFileSync(join(dev, 'home', '.aws', 'config'), '[profile production\nregion = \n');
  const env: NodeJS.ProcessEnv = {
    ...withoutRegistry(process.env),
    HOME: join(dev, 'home'),
    XDG_CONFIG_HOME: join(dev, 'xdg'),
    AWS_PROFILE: 'production',
    DINGO_TEST_SUITE_ROOT: join(dev, 'suite'),
  };
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/vitest/vitest.mjs'),
      'run',
      'test/commands/flags/config-cli.test.ts',
      'test/commands/run/run-json.test.ts',
      'test/engine/operator/screen-words.test.ts',
    ],
    { cwd: ROOT, env, encoding: 'utf8', timeout: 240_000 },
  );
  const output = `${r.stdout}${r.stderr}`;
  expect(r.status, output).toBe(0);
  expect(output).toMatch(/Test Files .*3 passed/);
}, 300_000);
