/**
 * The cf CLI adapter: builds argv, runs it through a CommandRunner (a child process live, the
 * simulator in a rehearsal) and parses every era's output. Reads are marked `writes: false` so a
 * dry run still performs them; create, bind, restart and restage are writes.
 */
import { quote } from '../../core/command-line.js';
import { StepFailed, messageOf } from '../../core/errors.js';
import type { CommandResult, CommandRunner } from '../../core/seams.js';
import { guidsOfResources, parseCurlBody, statusFromV2, statusFromV3 } from './cf-curl.js';
import { hintFor } from './cf-hints.js';
import {
  failureText,
  isAlreadyBound,
  isAlreadyExists,
  isServiceNotFound,
  parseAppStates,
  type AppState,
  parseBoundAppsText,
  parseGuidLine,
  parseStatusText,
  parseTargetText,
  type CfTarget,
} from './cf-parse.js';
import type { ServiceStatus } from './cf-types.js';
import { cfCurlHasFail, cfEra, parseCfVersionOutput, type CfEra } from './cf-version.js';
import { waitForOperation, type WaitForServiceOptions } from './cf-wait.js';
import { CliProgram, type CliOptions } from '../cli-program.js';
import { cfEnv } from './cf-env.js';
import { parseMarketplace, type MarketOffering } from './cf-marketplace.js';

export type { ServiceStatus } from './cf-types.js';

/** `env`: CF_HOME, CF_TRACE=<file>...; on top of cfEnv(). */
export interface CfCliOptions extends CliOptions {
  /**
   * The versions read by the cf CLIs of one run, by binary, which this one reads from and adds to:
   * every step of the run that needs the version asks `cf version` once between them.
   */
  versions?: Map<string, Promise<CfVersion>>;
}

export interface CfVersion {
  version: string;
  era: CfEra;
}

type StatusSource = 'v3' | 'v2' | 'text';

export class CfCli extends CliProgram {
  /** The versions read, by binary: this CLI's own, or those of every cf CLI of its run. */
  private readonly versions: Map<string, Promise<CfVersion>>;
  /** The first status source that answered; a 404 from one moves later polls to the next. */
  private statusSource: StatusSource = 'v3';

  constructor(runner: CommandRunner, opts: CfCliOptions) {
    super(runner, opts.binary ?? 'cf', opts.env, cfEnv(), opts.redactor);
    if (opts.readTimeoutMs !== undefined) this.readTimeoutMs = opts.readTimeoutMs;
    this.versions = opts.versions ?? new Map<string, Promise<CfVersion>>();
  }

  private failed(args: string[], result: CommandResult, doing: string, hint?: string): StepFailed {
    const reason = result.timedOut ? this.timedOutReason() : failureText(result) || '(no output)';
    return this.failure(args, result, doing, reason, hint ?? hintFor(reason, [this.binary, ...args]));
  }

  /** `cf version` → the version and its output era (≤6.32 legacy, 6.33–7.x v6, 8.x v8). */
  version(): Promise<CfVersion> {
    let read = this.versions.get(this.binary);
    if (!read) {
      const reading = this.readVersion();
      this.versions.set(this.binary, reading);
      // A failed read is asked again next time: the operator may fix the binary and resume.
      reading.catch(() => {
        if (this.versions.get(this.binary) === reading) this.versions.delete(this.binary);
      });
      read = reading;
    }
    return read;
  }

  private async readVersion(): Promise<CfVersion> {
    const r = await this.run(['version'], false);
    const version = r.exitCode === 0 ? parseCfVersionOutput(r.stdout) : null;
    if (!version) {
      throw this.failed(
        ['version'],
        r,
        'Reading the cf CLI version',
        'Check that the cf CLI is installed and on PATH, or named by --cf-bin (`cf version` prints "cf version X", `cf8 version` "cf8 version X").',
      );
    }
    return { version, era: cfEra(version) };
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
    return (await this.appStates()).map((a) => a.name);
  }

  /** The apps of the targeted space with their requested state (`cf apps`). */
  async appStates(): Promise<AppState[]> {
    const args = ['apps'];
    const r = await this.run(args, false);
    if (r.exitCode !== 0) throw this.failed(args, r, 'Listing apps');
    try {
      return parseAppStates(r.stdout);
    } catch (err) {
      throw this.failed(args, { ...r, stderr: messageOf(err) }, 'Reading the app list');
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

  /** The offerings and plans the targeted space may create (`cf marketplace`, every era's table). */
  async marketplace(): Promise<MarketOffering[]> {
    const args = ['marketplace'];
    const r = await this.run(args, false);
    if (r.exitCode !== 0) throw this.failed(args, r, 'Listing the marketplace');
    return parseMarketplace(r.stdout);
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
          hint: `Check it with \`${quote(['cf', 'service', name])}\`: if it is not the instance to restore into, ask the user for another name or delete it (${quote(['cf', 'delete-service', name])}) with their consent.`,
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
    return waitForOperation(name, guid, opts, () => this.serviceStatus(name, guid));
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
