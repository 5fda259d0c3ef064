/** What the cf and bosh adapters share: one program run through a CommandRunner, and its failures worded alike. */
import { formatDuration } from '../core/duration.js';
import { StepFailed } from '../core/errors.js';
import { Redactor } from '../core/redact.js';
import { pasteCommand } from '../core/shell-quote.js';
import type { CommandResult, CommandRunner } from '../core/seams.js';

export interface CliOptions {
  /** Program to run; default the CLI's own name (`cf`, `bosh`). */
  binary?: string;
  /** Extra environment for every command (CF_HOME, BOSH_ENVIRONMENT, BOSH_CLIENT_SECRET...); its values are registered as secrets. */
  env?: Record<string, string>;
  /** How long a command that only reads may run (default READ_TIMEOUT_MS). */
  readTimeoutMs?: number;
  /** The run's redactor: `env`'s secrets are registered with it, the failures redacted. */
  redactor: Redactor;
}

/**
 * How long a command that only reads (`cf curl`, `cf service`, `bosh vms`) may run before it is
 * killed and fails as timed out: a Cloud Controller or director that accepts and never answers
 * would otherwise hang the run. A command that changes the platform is never killed mid-way (its
 * outcome would be unknown); its step's own deadline and probe decide.
 */
const READ_TIMEOUT_MS = 5 * 60_000;

export class CliProgram {
  protected readonly env: Record<string, string>;
  /** How long a command that only reads may run. */
  protected readTimeoutMs = READ_TIMEOUT_MS;

  /** `env` is given to every command and its values are registered as secrets (tokens, client secrets). */
  constructor(
    protected readonly runner: CommandRunner,
    protected readonly binary: string,
    env: Record<string, string> | undefined,
    defaults: Record<string, string> = {},
    protected readonly redactor: Redactor = new Redactor(),
  ) {
    if (env) redactor.registerEnv(env);
    this.env = { ...defaults, ...env };
  }

  protected run(args: string[], writes = false): Promise<CommandResult> {
    return this.runner.run({ argv: [this.binary, ...args], env: this.env, writes, ...(writes ? {} : { timeoutMs: this.readTimeoutMs }) });
  }

  /** Why a command failed when it was killed for taking too long. */
  protected timedOutReason(): string {
    return `no answer within ${formatDuration(this.readTimeoutMs)} (timed out)`;
  }

  /** "DOING failed: `ARGV` exited N on WHERE: WHY", with the hint; secrets redacted from both. */
  protected failure(args: string[], result: CommandResult, doing: string, why: string, hint: string): StepFailed {
    const argv = pasteCommand([this.binary, ...args]);
    return new StepFailed(this.redactor.redact(`${doing} failed: \`${argv}\` exited ${result.exitCode} on ${this.runner.where}: ${why}`), {
      hint: this.redactor.redact(hint),
    });
  }
}
