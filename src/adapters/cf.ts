/**
 * The cf CLI adapter: builds argv, runs it through a CommandRunner (a child process live, the
 * simulator in a rehearsal) and parses every era's output. Reads are marked `writes: false` so a
 * dry run still performs them; create, bind, restart and restage are writes.
 */
import { StepFailed } from '../core/errors.js';
import { secrets } from '../core/redact.js';
import type { CommandResult, CommandRunner } from '../core/seams.js';
import {
  failureText,
  isAlreadyBound,
  isAlreadyExists,
  isServiceNotFound,
  parseApps,
  parseBoundAppsText,
  parseCurlBody,
  parseGuidLine,
  parseStatusText,
  statusFromV2,
  statusFromV3,
} from './cf-parse.js';
import type { ServiceStatus } from './cf-types.js';
import { cfCurlHasFail, cfEra, parseCfVersionOutput, type CfEra } from './cf-version.js';

export type { ServiceStatus } from './cf-types.js';

export interface CfTarget {
  api: string | null;
  user: string | null;
  org: string | null;
  space: string | null;
}

/** Reads the key/value block `cf target` prints, in the legacy, v6/v7 and v8 spellings. */
export function parseTargetText(stdout: string): CfTarget {
  const value = (key: RegExp): string | null => {
    for (const line of stdout.split('\n')) {
      const m = key.exec(line.trim());
      if (m) return m[1]!.trim() || null;
    }
    return null;
  };
  return {
    api: value(/^api endpoint:\s*(\S*)/i),
    user: value(/^user:\s*(.*)$/i),
    org: value(/^org:\s*(.*)$/i),
    space: value(/^space:\s*(.*)$/i),
  };
}

function guidsOfResources(resources: unknown[], api: 'v3' | 'v2'): string[] {
  const guids: string[] = [];
  for (const r of resources) {
    const o = r as { guid?: unknown; metadata?: { guid?: unknown } };
    const guid = api === 'v3' ? o.guid : o.metadata?.guid;
    if (typeof guid === 'string') guids.push(guid);
  }
  return guids;
}

export interface CfCliOptions {
  /** Program to run; default `cf`. */
  binary?: string;
  /** Extra environment for every command (CF_HOME, CF_TRACE=<file>, ...). CF_COLOR=false is the default. */
  env?: Record<string, string>;
}

export interface WaitForServiceOptions {
  /** The longest pause between polls (the first is 1 s; see pollDelays). */
  intervalMs: number;
  deadlineMs: number;
  onPoll?: (status: ServiceStatus, poll: { attempt: number; elapsedMs: number }) => void;
  sleep?: (ms: number) => Promise<void>;
  /** Clock in milliseconds; default Date.now. */
  now?: () => number;
}

type StatusSource = 'v3' | 'v2' | 'text';

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The first pause of a wait: an operation that ends within seconds is seen to end within seconds. */
export const FIRST_POLL_MS = 1_000;
/** Each pause is this much longer than the one before, up to the configured interval. */
export const POLL_BACKOFF = 1.5;

/**
 * The pauses between the polls of a wait: 1 s, then ×1.5 each time (1.5 s, 2.25 s, 3.4 s …) up to
 * `capMs`, the configured poll interval, which is then kept. A cap under 1 s is used from the start.
 */
export function* pollDelays(capMs: number, firstMs = FIRST_POLL_MS, factor = POLL_BACKOFF): Generator<number, never, void> {
  let next = Math.min(firstMs, capMs);
  for (;;) {
    yield Math.round(next);
    next = Math.min(next * factor, capMs);
  }
}

/** What an operator can do about the common failures, matched on the CLI's reason. */
const HINTS: [RegExp, string][] = [
  [/not logged in/i, 'Log in as an admin first (cf login -a API_URL), then run again.'],
  [/no org and space targeted|no (org|space) targeted/i, "Target the user's org and space first: cf target -o ORG -s SPACE."],
  [/organization .*not found/i, 'Check the org name with the user; `cf orgs` lists the orgs you can see.'],
  [/space .*not found/i, 'Check the space name with the user; `cf spaces` lists the spaces of the targeted org.'],
  [
    /service offering .*not found|could not find plan|plan .*could not be found/i,
    "Check the offering and plan in `cf marketplace`: Dingo's offering was postgresql95 until March 2016, then dingo-postgresql.",
  ],
  [/app .*not found/i, 'Check the app name with `cf apps` in the targeted space.'],
  [/not a registered command/i, 'This cf CLI is too old for the command; install cf CLI 6.x or later.'],
  [/not authorized|forbidden|403/i, 'The logged-in user lacks permission; log in as an admin or a space developer of that space.'],
];

function hintFor(reason: string, argv: string[]): string {
  for (const [re, hint] of HINTS) if (re.test(reason)) return hint;
  return `Run it by hand to see the whole output: ${argv.join(' ')}`;
}

export class CfCli {
  private readonly binary: string;
  private readonly env: Record<string, string>;
  private cachedVersion?: Promise<{ version: string; era: CfEra }>;
  /** The first status source that answered; a 404 from one moves later polls to the next. */
  private statusSource: StatusSource = 'v3';

  constructor(
    private readonly runner: CommandRunner,
    opts: CfCliOptions = {},
  ) {
    this.binary = opts.binary ?? 'cf';
    if (opts.env) secrets.registerEnv(opts.env);
    this.env = { CF_COLOR: 'false', ...opts.env };
  }

  private run(args: string[], writes: boolean): Promise<CommandResult> {
    return this.runner.run({ argv: [this.binary, ...args], env: this.env, writes });
  }

  private failed(args: string[], result: CommandResult, doing: string, hint?: string): StepFailed {
    const argv = [this.binary, ...args];
    const reason = result.timedOut ? 'timed out' : failureText(result) || '(no output)';
    return new StepFailed(
      secrets.redact(`${doing} failed: \`${argv.join(' ')}\` exited ${result.exitCode} on ${this.runner.where}: ${reason}`),
      { hint: secrets.redact(hint ?? hintFor(reason, argv)) },
    );
  }

  /** `cf version` → the version and its output era (≤6.32 legacy, 6.33–7.x v6, 8.x v8). */
  version(): Promise<{ version: string; era: CfEra }> {
    this.cachedVersion ??= (async () => {
      const r = await this.run(['version'], false);
      const version = r.exitCode === 0 ? parseCfVersionOutput(r.stdout) : null;
      if (!version) {
        this.cachedVersion = undefined;
        throw this.failed(
          ['version'],
          r,
          'Reading the cf CLI version',
          'Check that the cf CLI is installed and on PATH (`cf version` prints "cf version X").',
        );
      }
      return { version, era: cfEra(version) };
    })();
    return this.cachedVersion;
  }

  /** `cf target -o ORG -s SPACE` (changes only the local CF_HOME config, so it is not a write). */
  async target(org: string, space: string): Promise<void> {
    const args = ['target', '-o', org, '-s', space];
    const r = await this.run(args, false);
    if (r.exitCode !== 0) throw this.failed(args, r, `Targeting org ${org} / space ${space}`);
  }

  /** `cf space SPACE --guid`. */
  async spaceGuid(space: string): Promise<string> {
    const args = ['space', space, '--guid'];
    const r = await this.run(args, false);
    if (r.exitCode !== 0) throw this.failed(args, r, `Looking up the GUID of space ${space}`);
    const guid = parseGuidLine(r.stdout);
    if (!guid) throw this.failed(args, { ...r, stderr: 'no GUID in the output' }, `Looking up the GUID of space ${space}`);
    return guid;
  }

  /** App names in the targeted space. */
  async apps(): Promise<string[]> {
    const args = ['apps'];
    const r = await this.run(args, false);
    if (r.exitCode !== 0) throw this.failed(args, r, 'Listing apps');
    try {
      return parseApps(r.stdout);
    } catch (err) {
      throw this.failed(args, { ...r, stderr: (err as Error).message }, 'Reading the app list');
    }
  }

  /** `cf target` without arguments: the API endpoint, user, org and space the CLI now points at (any era). */
  async currentTarget(): Promise<CfTarget> {
    const args = ['target'];
    const r = await this.run(args, false);
    if (r.exitCode !== 0)
      throw this.failed(
        args,
        r,
        'Reading the current cf target',
        'Log in (`cf login -a API`) as the operator who started this run, then resume.',
      );
    return parseTargetText(r.stdout);
  }

  /**
   * GUIDs of the instances named NAME in the space with this GUID, read through the Cloud Controller
   * API (v3, else v2), whatever the CLI targets now; null when neither endpoint answers.
   */
  async serviceGuidsInSpace(spaceGuid: string, name: string): Promise<string[] | null> {
    const { version } = await this.version();
    const fail = cfCurlHasFail(version) ? ['-f'] : [];
    const paths: ['v3' | 'v2', string][] = [
      ['v3', `/v3/service_instances?names=${encodeURIComponent(name)}&space_guids=${spaceGuid}`],
      ['v2', `/v2/spaces/${spaceGuid}/service_instances?q=${encodeURIComponent(`name:${name}`)}`],
    ];
    for (const [api, path] of paths) {
      const r = await this.run(['curl', ...fail, path], false);
      if (r.exitCode !== 0) continue;
      const parsed = parseCurlBody(r.stdout);
      if (parsed.kind !== 'json' || !Array.isArray(parsed.body.resources)) continue;
      return guidsOfResources(parsed.body.resources, api);
    }
    return null;
  }

  /** The instance's GUID, or null when the CLI says it does not exist (exit 1 + "not found"). */
  async serviceGuid(name: string): Promise<string | null> {
    const args = ['service', name, '--guid'];
    const r = await this.run(args, false);
    if (r.exitCode === 1 && isServiceNotFound(r, name)) return null;
    if (r.exitCode !== 0) throw this.failed(args, r, `Looking up service instance ${name}`);
    const guid = parseGuidLine(r.stdout);
    if (!guid) throw this.failed(args, { ...r, stderr: 'exit 0 but no GUID in the output' }, `Looking up service instance ${name}`);
    return guid;
  }

  /**
   * `cf create-service OFFERING PLAN NAME [-c JSON]`, without `--wait` so every era behaves alike.
   * A taken name still exits 0 with "already exists": that is a failure here.
   */
  async createService(offering: string, plan: string, name: string, params?: object): Promise<void> {
    const args = ['create-service', offering, plan, name];
    if (params !== undefined) args.push('-c', JSON.stringify(params));
    const r = await this.run(args, true);
    if (r.exitCode !== 0) throw this.failed(args, r, `Creating service instance ${name}`);
    if (isAlreadyExists(r.stdout, name)) {
      throw new StepFailed(
        `Creating service instance ${name} changed nothing: a service instance named ${name} already exists in the targeted space (cf exited 0 and printed "already exists").`,
        {
          hint: `Check it with \`cf service ${name}\`: if it is not the instance to restore into, ask the user for another name or delete it (cf delete-service ${name}) with their consent.`,
        },
      );
    }
  }

  /**
   * The last operation of an instance: `cf curl -f /v3/service_instances/GUID`, else the v2
   * endpoint (without `-f` before 6.43, reading error bodies instead), else `cf service NAME`.
   */
  async serviceStatus(name: string, guid: string): Promise<ServiceStatus> {
    const { version } = await this.version();
    const withFail = cfCurlHasFail(version);
    const order: StatusSource[] = ['v3', 'v2', 'text'];
    for (const source of order.slice(order.indexOf(this.statusSource))) {
      if (source === 'text') break;
      const path = `/${source}/service_instances/${guid}`;
      const r = await this.run(withFail ? ['curl', '-f', path] : ['curl', path], false);
      const status = this.readCurlStatus(r, source);
      if (status === 'unavailable') {
        this.statusSource = source === 'v3' ? 'v2' : 'text';
        continue;
      }
      if (status) return status;
    }
    return this.serviceStatusText(name);
  }

  /** A status, `unavailable` when the endpoint 404s or answers with an error body, or null to try the next. */
  private readCurlStatus(r: CommandResult, source: 'v3' | 'v2'): ServiceStatus | 'unavailable' | null {
    if (r.exitCode === 22) return /\b404\b/.test(failureText(r)) ? 'unavailable' : null;
    if (r.exitCode !== 0) return null;
    const parsed = parseCurlBody(r.stdout);
    if (parsed.kind === 'error') return parsed.notFound ? 'unavailable' : null;
    if (parsed.kind !== 'json') return null;
    return source === 'v3' ? statusFromV3(parsed.body) : statusFromV2(parsed.body);
  }

  private async serviceStatusText(name: string): Promise<ServiceStatus> {
    const args = ['service', name];
    const r = await this.run(args, false);
    if (r.exitCode !== 0) {
      const hint = isServiceNotFound(r, name)
        ? `The instance is gone: it may have been deleted after a failed create. Check \`cf services\` in the space.`
        : undefined;
      throw this.failed(args, r, `Reading the status of service instance ${name}`, hint);
    }
    const status = parseStatusText(r.stdout);
    if (!status) {
      throw this.failed(
        args,
        { ...r, stderr: 'no "status: <type> <state>" line in the output' },
        `Reading the status of service instance ${name}`,
      );
    }
    return { ...status, source: 'text' };
  }

  /**
   * Polls until the last operation succeeds; a failed operation or the deadline throws StepFailed.
   * The pauses follow `pollDelays`: 1 s at first, growing to `intervalMs`.
   */
  async waitForService(name: string, guid: string, opts: WaitForServiceOptions): Promise<ServiceStatus> {
    const sleep = opts.sleep ?? realSleep;
    const now = opts.now ?? Date.now;
    const start = now();
    const delays = pollDelays(opts.intervalMs);
    let slept = 0;
    for (let attempt = 1; ; attempt++) {
      const status = await this.serviceStatus(name, guid);
      // A fake sleep does not move the clock; counting the time slept still ends the wait.
      const elapsedMs = Math.max(now() - start, slept);
      opts.onPoll?.(status, { attempt, elapsedMs });
      if (status.state === 'succeeded') return status;
      if (status.state === 'failed') {
        throw new StepFailed(
          `Service instance ${name} (${guid}) ended in "${status.type} failed": ${status.description || '(the broker gave no description)'}`,
          {
            hint: `Read the broker's logs for ${guid}; then delete the failed instance (cf delete-service ${name}) and run the step again.`,
          },
        );
      }
      if (elapsedMs >= opts.deadlineMs) {
        throw new StepFailed(
          `Service instance ${name} (${guid}) is still "${status.type} ${status.state}" after ${Math.round(elapsedMs / 1000)} s (deadline ${Math.round(opts.deadlineMs / 1000)} s).`,
          {
            hint: `The broker may still be working (the Cloud Controller polls it every 60 s). Check \`cf service ${name}\`, then resume the run to keep waiting.`,
          },
        );
      }
      const pause = Math.min(delays.next().value, opts.deadlineMs - elapsedMs);
      await sleep(pause);
      slept += pause;
    }
  }

  /**
   * `cf update-service NAME -c JSON`, without `--wait` so every era behaves alike; a non-zero exit
   * is the Cloud Controller's or the broker's refusal, and nothing changed.
   */
  async updateService(name: string, params: object): Promise<void> {
    const args = ['update-service', name, '-c', JSON.stringify(params)];
    const r = await this.run(args, true);
    if (r.exitCode !== 0) {
      throw this.failed(
        args,
        r,
        `Updating service instance ${name}`,
        `The update was refused and nothing changed; the instance keeps serving as it is. Read the reason above and the broker's logs (cells free for new nodes?), then resume to ask again.`,
      );
    }
  }

  /** `cf bind-service APP NAME`; an existing binding counts as success. */
  async bindService(app: string, name: string): Promise<'bound' | 'already-bound'> {
    const args = ['bind-service', app, name];
    const r = await this.run(args, true);
    if (r.exitCode !== 0) throw this.failed(args, r, `Binding ${name} to app ${app}`);
    return isAlreadyBound(r.stdout) ? 'already-bound' : 'bound';
  }

  /** `cf restart APP`, judged by its exit code. */
  async restart(app: string): Promise<void> {
    const args = ['restart', app];
    const r = await this.run(args, true);
    if (r.exitCode !== 0) throw this.failed(args, r, `Restarting app ${app}`);
  }

  /** `cf restage APP`, judged by its exit code. */
  async restage(app: string): Promise<void> {
    const args = ['restage', app];
    const r = await this.run(args, true);
    if (r.exitCode !== 0) throw this.failed(args, r, `Restaging app ${app}`);
  }

  /** Names of the apps bound to an instance, from `cf service NAME`. */
  async serviceBindings(name: string): Promise<string[]> {
    const args = ['service', name];
    const r = await this.run(args, false);
    if (r.exitCode !== 0) throw this.failed(args, r, `Reading the bindings of service instance ${name}`);
    return parseBoundAppsText(r.stdout);
  }
}
