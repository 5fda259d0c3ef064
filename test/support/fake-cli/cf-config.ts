/**
 * The fake cf's login and target live where cf keeps them: `$CF_HOME/.cf/config.json` (else
 * `$HOME/.cf/config.json`), with cf 8's keys (cli@v8.9.1 util/configv3/json_config.go): `Target`
 * (the API URL), `AccessToken`, `RefreshToken`, `OrganizationFields` and `SpaceFields` (`GUID`, `Name`).
 * Each command reads it: no file, or no token, is "Not logged in"; no org or space there is cf's
 * "No org and space targeted". `cf target` writes the new target into it, and every command that
 * reaches the Cloud Controller writes a refreshed access token into it, as cf does once the token
 * has expired: a command run on a config shows in the file's bytes.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CfWorld } from '../../../src/rehearsal/cf/index.js';

interface Fields {
  GUID: string;
  Name: string;
}

interface CfConfig {
  ConfigVersion: number;
  Target: string;
  APIVersion: string;
  AccessToken: string;
  RefreshToken: string;
  OrganizationFields: Fields;
  SpaceFields: Fields & { AllowSSH: boolean };
  [key: string]: unknown;
}

/** The config file cf reads for this environment. */
function cfConfigPath(env: NodeJS.ProcessEnv): string {
  return join(env.CF_HOME || env.HOME || '/nonexistent', '.cf', 'config.json');
}

/** What `cf login` leaves for the world's user, targeted where the world says; its tokens are new random ones. */
function loggedInConfig(world: CfWorld): CfConfig {
  const org = world.orgs.find((o) => o.name === world.target.org);
  const space = org?.spaces.find((s) => s.name === world.target.space);
  return {
    ConfigVersion: 3,
    Target: world.api.url,
    APIVersion: world.api.version,
    AccessToken: `bearer ${randomBytes(12).toString('hex')}.0`,
    RefreshToken: randomBytes(16).toString('hex'),
    OrganizationFields: { GUID: org?.guid ?? '', Name: org?.name ?? '' },
    SpaceFields: { GUID: space?.guid ?? '', Name: space?.name ?? '', AllowSSH: false },
  };
}

/** cf writes its config as Go's json.MarshalIndent with two spaces. */
function writeConfig(file: string, config: CfConfig): void {
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(`${file}.tmp`, JSON.stringify(config, null, 2), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** Writes the operator's config under `home` (its `.cf/config.json`). */
export function writeOperatorConfig(home: string, world: CfWorld): void {
  writeConfig(join(home, '.cf', 'config.json'), loggedInConfig(world));
}

function readConfig(file: string): CfConfig | null {
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as CfConfig;
}

/**
 * Runs one cf command with the login and target of the config file this environment names: `state`
 * takes them for the command, and the file takes the target and token the command leaves.
 */
export function withCfConfig<R>(state: CfWorld, argv: string[], env: NodeJS.ProcessEnv, simulate: () => R): R {
  const file = cfConfigPath(env);
  const config = readConfig(file);
  const worldLoggedIn = state.loggedIn;
  state.loggedIn = worldLoggedIn !== false && Boolean(config?.AccessToken);
  state.target = { org: config?.OrganizationFields.Name || null, space: config?.SpaceFields.Name || null };
  try {
    return simulate();
  } finally {
    const loggedIn = state.loggedIn;
    if (worldLoggedIn === undefined) delete state.loggedIn;
    else state.loggedIn = worldLoggedIn;
    const command = argv[1] ?? '';
    if (config && loggedIn && !['version', '-v', '--version'].includes(command)) {
      const org = state.orgs.find((o) => o.name === state.target.org);
      const space = org?.spaces.find((s) => s.name === state.target.space);
      const [token = '', n = '0'] = config.AccessToken.split('.');
      writeConfig(file, {
        ...config,
        AccessToken: `${token}.${String(Number(n) + 1)}`,
        OrganizationFields: { GUID: org?.guid ?? '', Name: org?.name ?? '' },
        SpaceFields: { ...config.SpaceFields, GUID: space?.guid ?? '', Name: space?.name ?? '' },
      });
    }
  }
}
