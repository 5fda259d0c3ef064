/** What the cf and bosh adapters share: one program run through a CommandRunner, and its failures worded alike. */
import { StepFailed } from '../core/errors.js';
import { secrets } from '../core/redact.js';
import { pasteCommand } from '../core/shell-quote.js';
import type { CommandResult, CommandRunner } from '../core/seams.js';

export interface CliOptions {
  /** Program to run; default the CLI's own name (`cf`, `bosh`). */
  binary?: string;
  /** Extra environment for every command (CF_HOME, BOSH_ENVIRONMENT, BOSH_CLIENT_SECRET...); its values are registered as secrets. */
  env?: Record<string, string>;
}

export class CliProgram {
  protected readonly env: Record<string, string>;

  /** `env` is given to every command and its values are registered as secrets (tokens, client secrets). */
  constructor(
    protected readonly runner: CommandRunner,
    protected readonly binary: string,
    env: Record<string, string> | undefined,
    defaults: Record<string, string> = {},
  ) {
    if (env) secrets.registerEnv(env);
    this.env = { ...defaults, ...env };
  }

  protected run(args: string[], writes = false): Promise<CommandResult> {
    return this.runner.run({ argv: [this.binary, ...args], env: this.env, writes });
  }

  /** "DOING failed: `ARGV` exited N on WHERE: WHY", with the hint; secrets redacted from both. */
  protected failure(args: string[], result: CommandResult, doing: string, why: string, hint: string): StepFailed {
    const argv = pasteCommand([this.binary, ...args]);
    return new StepFailed(secrets.redact(`${doing} failed: \`${argv}\` exited ${result.exitCode} on ${this.runner.where}: ${why}`), {
      hint: secrets.redact(hint),
    });
  }
}
