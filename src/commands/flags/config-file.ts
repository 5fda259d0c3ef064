/**
 * Settings that stand in for the connection flags: the settings file
 * ($XDG_CONFIG_HOME/dingo-recover/config.yaml, or --config FILE) and DINGO_RECOVER_<FLAG> variables.
 * A flag given beats its variable, which beats the file. The file holds no secrets: credentials
 * come from the AWS credential chain and ES_API_KEY (or ES_USERNAME/ES_PASSWORD), as they always do.
 */
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import { parse as parseYaml } from 'yaml';
import type { Argv, Options } from 'yargs';
import { messageOf, UsageError } from '../../core/errors.js';
import { checkTrusted } from '../../core/file-trust.js';
import { readInputFile } from '../../core/input-file.js';
import { CHOICE_FLAGS, CONFIGURABLE_FLAGS } from './connection.js';
import { invocation } from '../../core/invocation.js';

/** Each setting's value, and where it came from (a variable's name, or the file's path). */
export interface Configured {
  values: Record<string, unknown>;
  origins: Record<string, string>;
}

/** Settings whose value is a file or folder: in the file, relative to the file's folder, ~ for the home folder. */
const PATH_KEYS = new Set(['logs', 'ssh-key', 'known-hosts', 'ssh-config', 'es-ca-file']);
/** A key that names a credential. */
const SECRET_KEY = /secret|passw|token|api.?key|access.?key|credential|session|private/i;
/** A URL with a user (and maybe a password) in it. */
const URL_WITH_USER = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]*@/i;
const SECRET_HINT =
  'keep credentials out of the file: S3 takes them from the AWS credential chain (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, an instance role), Elasticsearch from ES_API_KEY (or ES_USERNAME/ES_PASSWORD)';

/** The settings file where no --config names one: $XDG_CONFIG_HOME/dingo-recover/config.yaml. */
export function defaultConfigFile(env: NodeJS.ProcessEnv = invocation().env): string {
  const base = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'dingo-recover', 'config.yaml');
}

/** The variable that stands in for a flag: DINGO_RECOVER_SSH_KEY for --ssh-key. */
function envName(key: string): string {
  return `DINGO_RECOVER_${key.toUpperCase().replace(/-/g, '_')}`;
}

function nearest(key: string): string {
  const near = closest(key, Object.keys(CONFIGURABLE_FLAGS));
  return distance(key, near) <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean "${near}"?)` : '';
}

function expandPath(value: string, dir: string): string {
  if (value === '-') return value;
  if (value === '~' || value.startsWith('~/')) return join(homedir(), value.slice(1));
  return resolve(dir, value);
}

/** A value as its flag's type takes it; undefined when it cannot be. */
function coerce(option: Options, value: unknown): unknown {
  const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  if (option.array) {
    const list = Array.isArray(value) ? (value as unknown[]) : [value];
    return list.every((v) => typeof v === 'string' && v !== '') ? list : undefined;
  }
  if (option.type === 'number') {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
  }
  if (option.type === 'boolean') {
    if (typeof value === 'boolean') return value;
    const word = String(value).toLowerCase();
    return ['true', '1', 'yes'].includes(word) ? true : ['false', '0', 'no'].includes(word) ? false : undefined;
  }
  return scalar && String(value) !== '' ? String(value) : undefined;
}

function typeWord(option: Options): string {
  if (option.array) return 'a path or a list of paths';
  return option.type === 'number' ? 'a number' : option.type === 'boolean' ? 'true or false' : 'a string';
}

/** One setting checked: no credential, of its flag's type. */
function checked(key: string, value: unknown, where: string, hint: string): unknown {
  if (typeof value === 'string' && URL_WITH_USER.test(value))
    throw new UsageError(`${where}: ${key} holds credentials in its URL`, { hint: SECRET_HINT });
  const typed = coerce(CONFIGURABLE_FLAGS[key as keyof typeof CONFIGURABLE_FLAGS], value);
  if (typed === undefined)
    throw new UsageError(`${where}: ${key} must be ${typeWord(CONFIGURABLE_FLAGS[key as keyof typeof CONFIGURABLE_FLAGS])}`, { hint });
  return typed;
}

function parseFile(file: string, text: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new UsageError(`settings file ${file} is not YAML: ${messageOf(err)}`, {
      hint: `fix ${file}, or name another with --config FILE`,
    });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new UsageError(`settings file ${file} is not a map of settings`, {
      hint: `write one "flag-name: value" a line, e.g. "gateway: ubuntu@opsman", in ${file}`,
    });
  return doc as Record<string, unknown>;
}

/**
 * The settings of a file: each key a flag's name, without its dashes. `given`: named with --config
 * (it must exist); else the default file, which may be missing.
 */
export function readConfigFile(file: string, given: boolean): Configured {
  const configured: Configured = { values: {}, origins: {} };
  const hint = `fix ${file}, or name another with --config FILE`;
  let text: string;
  try {
    // Its settings name programs a root run starts (cf-bin): only a file no other user may have written.
    checkTrusted(file, 'settings file');
    text = readInputFile(file, { what: 'settings file', maxBytes: 1024 * 1024, hint });
  } catch (err) {
    // The default file is optional; one named is not.
    if (!given && (err as { cause?: { code?: string } }).cause?.code === 'ENOENT') return configured;
    throw err;
  }
  for (const [key, value] of Object.entries(parseFile(file, text))) {
    if (SECRET_KEY.test(key)) throw new UsageError(`settings file ${file} holds a credential (${key})`, { hint: SECRET_HINT });
    if (key in CHOICE_FLAGS) throw choiceSetting(key as keyof typeof CHOICE_FLAGS, `settings file ${file}`, `drop ${key} from ${file}`);
    if (!(key in CONFIGURABLE_FLAGS))
      throw new UsageError(`settings file ${file}: unknown setting "${key}"${nearest(key)}`, {
        hint: `a setting is a connection flag's name without its dashes (see --help); ${hint}`,
      });
    if (value === null) continue;
    const typed = checked(key, value, `settings file ${file}`, hint);
    const dir = dirname(resolve(file));
    configured.values[key] = !PATH_KEYS.has(key)
      ? typed
      : Array.isArray(typed)
        ? typed.map((p: string) => expandPath(p, dir))
        : expandPath(typed as string, dir);
    configured.origins[key] = file;
  }
  return configured;
}

/** A choice of one run found among the settings: refused, saying where a run's choice is given. */
function choiceSetting(key: keyof typeof CHOICE_FLAGS, where: string, drop: string): UsageError {
  return new UsageError(`${where}: ${key} is the choice of one run, not a setting`, {
    hint: `${drop}; give it to the run itself, as --${key} or ${CHOICE_FLAGS[key]} in its answers file`,
  });
}

/** The DINGO_RECOVER_<FLAG> variables set (an empty one is as if unset). */
function readConfigEnv(env: NodeJS.ProcessEnv = invocation().env): Configured {
  const configured: Configured = { values: {}, origins: {} };
  for (const key of Object.keys(CHOICE_FLAGS) as (keyof typeof CHOICE_FLAGS)[]) {
    if (env[envName(key)]) throw choiceSetting(key, envName(key), `unset ${envName(key)}`);
  }
  for (const key of Object.keys(CONFIGURABLE_FLAGS)) {
    const name = envName(key);
    const value = env[name];
    if (value === undefined || value === '') continue;
    configured.values[key] = checked(
      key,
      value,
      name,
      `set ${name} to ${typeWord(CONFIGURABLE_FLAGS[key as keyof typeof CONFIGURABLE_FLAGS])}, or unset it`,
    );
    configured.origins[key] = name;
  }
  return configured;
}

/** The file's settings overridden by the variables'. */
export function configuredSettings(file: string | undefined, env: NodeJS.ProcessEnv = invocation().env): Configured {
  const fromFile = readConfigFile(
    file ?? env.DINGO_RECOVER_CONFIG ?? defaultConfigFile(env),
    file !== undefined || !!env.DINGO_RECOVER_CONFIG,
  );
  const fromEnv = readConfigEnv(env);
  return { values: { ...fromFile.values, ...fromEnv.values }, origins: { ...fromFile.origins, ...fromEnv.origins } };
}

const camelCase = (key: string) => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Each of `keys` that no flag gave, from the variables or the file. With --verbose, one line on
 * stderr says where each setting came from (not its value: a URL may be a webhook's secret).
 */
function fillFromSettings(argv: Record<string, unknown>, keys: readonly string[]): void {
  const configured = configuredSettings(argv.config as string | undefined);
  const origins: string[] = [];
  for (const key of keys) {
    if (argv[key] !== undefined) origins.push(`--${key} from the command line`);
    else if (key in configured.values) {
      argv[key] = argv[camelCase(key)] = configured.values[key];
      origins.push(`--${key} from ${configured.origins[key]}`);
    }
  }
  if (argv.verbose && origins.length) invocation().stderr.write(`dingo-recover: settings: ${origins.join(', ')}\n`);
}

/**
 * --config, and `flags` (those of a command the settings may give) filled before yargs checks them
 * from the DINGO_RECOVER_<FLAG> variables, then the settings file.
 */
export function configurable<T>(y: Argv<T>, flags: Record<string, Options>): Argv<T & { config?: string }> {
  const keys = Object.keys(flags).filter((key) => key in CONFIGURABLE_FLAGS);
  return y
    .option('config', {
      type: 'string',
      describe:
        'settings file of connection flags, one "flag-name: value" a line (no credentials); DINGO_RECOVER_<FLAG> variables override it, flags override both',
      defaultDescription: '$XDG_CONFIG_HOME/dingo-recover/config.yaml (~/.config/dingo-recover/config.yaml), if there',
    })
    .middleware((argv) => {
      fillFromSettings(argv, keys);
    }, true);
}
