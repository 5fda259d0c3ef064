/**
 * The BOSH CLI adapter for v1 (Ruby, tables, `-d` takes a manifest file) and v2 (Go, `--json`,
 * `-d` takes a deployment name). It builds argv, runs it through a CommandRunner and parses
 * both generations' output; every command here is a read.
 */
import { StepFailed, messageOf } from '../core/errors.js';
import { pasteCommand } from '../core/shell-quote.js';
import type { CommandResult, CommandRunner } from '../core/seams.js';
import { CliProgram, type CliOptions } from './cli-program.js';
import {
  boshFailureText,
  deploymentsFromJson,
  deploymentsFromTable,
  parseBoshVersion,
  parseJsonUi,
  vmsFromJson,
  vmsFromTable,
  type JsonUiDoc,
  type Vm,
} from './bosh-parse.js';

export type { Vm } from './bosh-parse.js';

/** `env`: BOSH_ENVIRONMENT, BOSH_CLIENT, BOSH_CLIENT_SECRET, BOSH_CA_CERT... */
export type BoshCliOptions = CliOptions;

export interface InstanceAtIp {
  deployment: string;
  instance: string;
  job: string;
  id: string;
}

const HINTS: [RegExp, string][] = [
  [
    /not logged in|unauthorized|invalid_token|401/i,
    'Log in to the director first (bosh login / bosh -e ENV log-in) or set BOSH_CLIENT and BOSH_CLIENT_SECRET.',
  ],
  [
    /expected non-empty director url|environment.*not set|no target set|please choose target/i,
    'Point the CLI at the director: set BOSH_ENVIRONMENT (v2) or run `bosh target DIRECTOR` (v1).',
  ],
  [/doesn't exist|not found/i, 'Check the deployment name with `bosh deployments`.'],
  [/x509|certificate/i, "Set BOSH_CA_CERT to the director's CA certificate."],
];

export class BoshCli extends CliProgram {
  private cachedVersion?: Promise<{ version: string; major: 1 | 2 }>;

  constructor(runner: CommandRunner, opts: BoshCliOptions) {
    super(runner, opts.binary ?? 'bosh', opts.env, {}, opts.redactor);
    if (opts.readTimeoutMs !== undefined) this.readTimeoutMs = opts.readTimeoutMs;
  }

  private failed(args: string[], result: CommandResult, doing: string, reason?: string): StepFailed {
    const why = reason ?? (result.timedOut ? this.timedOutReason() : boshFailureText(result) || '(no output)');
    const hint =
      HINTS.find(([re]) => re.test(why))?.[1] ?? `Run it by hand to see the whole output: ${pasteCommand([this.binary, ...args])}`;
    return this.failure(args, result, doing, why, hint);
  }

  /** v2 answers `bosh --version` with `version X`; v1 answers `bosh version` with `BOSH X`. */
  version(): Promise<{ version: string; major: 1 | 2 }> {
    this.cachedVersion ??= (async () => {
      const first = await this.run(['--version']);
      const parsed = first.exitCode === 0 ? parseBoshVersion(first.stdout) : null;
      if (parsed) return parsed;
      const second = await this.run(['version']);
      const v1 = second.exitCode === 0 ? parseBoshVersion(second.stdout) : null;
      if (v1) return v1;
      this.cachedVersion = undefined;
      throw this.failed(['version'], second, 'Reading the bosh CLI version');
    })();
    return this.cachedVersion;
  }

  private async json(args: string[], doing: string): Promise<JsonUiDoc> {
    const r = await this.run(args);
    if (r.exitCode !== 0) throw this.failed(args, r, doing);
    try {
      return parseJsonUi(r.stdout);
    } catch {
      throw this.failed(args, r, doing, 'the output is not a bosh --json document');
    }
  }

  /** Deployment names. */
  async deployments(): Promise<string[]> {
    const { major } = await this.version();
    if (major === 2) return deploymentsFromJson(await this.json(['deployments', '--json'], 'Listing deployments'));
    const args = ['deployments'];
    const r = await this.run(args);
    // The Ruby CLI fails on a director with none (bosh_cli commands/deployment.rb: err("No deployments")).
    if (r.exitCode !== 0 && boshFailureText(r).trim() === 'No deployments') return [];
    if (r.exitCode !== 0) throw this.failed(args, r, 'Listing deployments');
    return deploymentsFromTable(r.stdout);
  }

  /** VMs of a deployment. */
  async vms(deployment: string): Promise<Vm[]> {
    const { major } = await this.version();
    if (major === 2) return vmsFromJson(await this.json(['-d', deployment, 'vms', '--json'], `Listing the VMs of ${deployment}`));
    const args = ['vms', deployment];
    const r = await this.run(args);
    if (r.exitCode !== 0) throw this.failed(args, r, `Listing the VMs of ${deployment}`);
    return vmsFromTable(r.stdout);
  }

  /**
   * The instance that has `ip`, searching `dingo-postgresql*` deployments first. Null when no
   * deployment has it; a deployment that cannot be listed is skipped, and reported if nothing is found.
   */
  async findInstanceByIp(ip: string): Promise<InstanceAtIp | null> {
    const all = await this.deployments();
    const ordered = [...all.filter((d) => d.startsWith('dingo-postgresql')), ...all.filter((d) => !d.startsWith('dingo-postgresql'))];
    const unreadable: string[] = [];
    for (const deployment of ordered) {
      let vms: Vm[];
      try {
        vms = await this.vms(deployment);
      } catch (err) {
        unreadable.push(`${deployment}: ${messageOf(err)}`);
        continue;
      }
      const vm = vms.find((v) => v.ips.includes(ip));
      if (vm) return { deployment, instance: vm.instance, job: vm.job, id: vm.id };
    }
    if (unreadable.length) {
      throw new StepFailed(
        this.redactor.redact(`No readable deployment has a VM with IP ${ip}, and some could not be listed:\n${unreadable.join('\n')}`),
        {
          hint: 'Fix access to those deployments (or check the IP), then run the step again.',
        },
      );
    }
    return null;
  }
}
