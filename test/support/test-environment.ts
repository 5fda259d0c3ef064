/**
 * The environment of a test worker, of its own: what a developer has set for themselves (settings
 * files, credentials, targets, an ssh-agent) cannot change a result, nor reach a real system.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Variables of the developer's that the tool, the cf, bosh, aws and docker clients or ssh read: unset.
 * NODE_EXTRA_CA_CERTS too: the certificates a test's TLS server is trusted by are the test's; and Node 20
 * reads the file as it starts, which doubles what each node process of a test costs (60 ms, not 25).
 */
const THEIRS = /^(npm_|DINGO_RECOVER_|AWS_|CF_|BOSH_|DOCKER_|ES_|SSH_AUTH_SOCK$|SSH_AGENT_PID$|XDG_|NODE_EXTRA_CA_CERTS$)/;
/** The folder of this test run the workers' own folders are made in (suite-setup.ts); absent, the temp folder. */
export const ENV_PARENT_VAR = 'DINGO_TEST_ENV_PARENT';

/** Kept: it only silences the AWS SDK's notice about the Node version (vitest.config.ts sets it). */
const KEPT = new Set(['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']);

/**
 * Points ENV's home, settings and credentials into a new temporary folder (returned, for the caller
 * to remove): HOME, XDG_CONFIG_HOME, XDG_STATE_HOME, XDG_CACHE_HOME, XDG_DATA_HOME, the AWS config
 * and credentials files, CF_HOME, BOSH_CONFIG and DOCKER_CONFIG, each an empty folder or a file not
 * there, and unsets the rest of what they read. The folder is made in the test run's own folder
 * (ENV_PARENT_VAR, suite-setup.ts), which goes at the run's end, else in the temp folder. pyenv's root stays where it was (moto_server is a
 * pyenv shim, found through it).
 */
export function isolateEnvironment(env: NodeJS.ProcessEnv): string {
  const pyenv = env.PYENV_ROOT ?? join(homedir(), '.pyenv');
  for (const name of Object.keys(env)) if (THEIRS.test(name) && !KEPT.has(name)) Reflect.deleteProperty(env, name);
  const root = mkdtempSync(join(env[ENV_PARENT_VAR] ?? tmpdir(), 'dr-test-env-'));
  const dir = (name: string): string => {
    const d = join(root, name);
    mkdirSync(d, { recursive: true, mode: 0o700 });
    return d;
  };
  Object.assign(env, {
    HOME: dir('home'),
    XDG_CONFIG_HOME: dir('config'),
    XDG_STATE_HOME: dir('state'),
    XDG_CACHE_HOME: dir('cache'),
    XDG_DATA_HOME: dir('data'),
    AWS_CONFIG_FILE: join(dir('aws'), 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir('aws'), 'credentials'),
    // The SDK must never ask an instance metadata service for credentials: no traffic off loopback.
    AWS_EC2_METADATA_DISABLED: 'true',
    CF_HOME: dir('cf'),
    BOSH_CONFIG: join(dir('bosh'), 'config'),
    DOCKER_CONFIG: dir('docker'),
  });
  if (existsSync(pyenv)) env.PYENV_ROOT = pyenv;
  return root;
}
