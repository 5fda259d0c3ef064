/**
 * Every question the runbook asks has a non-interactive equivalent: an answers file
 * (YAML or JSON, see answers.ts) and --yes for confirmations. When no terminal is attached and an
 * answer is missing, the run stops with exit 3, naming the key to add.
 */
import { Declined, NeedsOperator, Interrupted } from '../../core/errors.js';
import { confirmationMatches, describeExpected } from './confirmation.js';
import { oneLine, printable } from '../../core/display.js';
import { commandLine } from '../../core/command-line.js';

interface Choice {
  value: string;
  name: string;
  description?: string;
}

export interface Prompter {
  readonly interactive: boolean;
  input(q: { key: string; message: string; default?: string; validate?: (v: string) => string | true }): Promise<string>;
  /** The operator types `expected` (or, for a GUID, its first 8 characters). */
  typed(q: { key: string; message: string; expected: string; alsoAccept?: string }): Promise<string>;
  select(q: { key: string; message: string; choices: Choice[] }): Promise<string>;
}

/** What declines a typed confirmation: a plain no. */
function declines(v: string): boolean {
  return ['no', 'n'].includes(v.trim().toLowerCase());
}

function isPromptExit(err: unknown): boolean {
  return err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError');
}

/** Questions on a terminal, through @inquirer/prompts. */
export class TerminalPrompter implements Prompter {
  readonly interactive = true;

  async input(q: Parameters<Prompter['input']>[0]): Promise<string> {
    const { input } = await import('@inquirer/prompts');
    try {
      // A question may name a tenant's text (a candidate's name, a log line): shown, never acted on by the terminal.
      return await input({ message: oneLine(q.message), default: q.default, validate: q.validate });
    } catch (err) {
      if (isPromptExit(err)) throw new Interrupted('interrupted at a question');
      throw err;
    }
  }

  async typed(q: Parameters<Prompter['typed']>[0]): Promise<string> {
    const matches = (v: string): boolean => confirmationMatches(v, q.expected, q.alsoAccept);
    const typed = await this.input({
      key: q.key,
      message: `${q.message} (or "no" to stop here)`,
      validate: (v) =>
        matches(v) || declines(v)
          ? true
          : `type ${describeExpected(q.expected)}${q.alsoAccept ? ` or "${q.alsoAccept}"` : ''} to go on, or "no" to stop here`,
    });
    if (!matches(typed) && declines(typed)) {
      throw new Declined('declined at the confirmation: this step has done nothing', {
        hint: 'resume when it should go on (the confirmation is asked again), or end the run on the record with abandon',
      });
    }
    return typed;
  }

  async select(q: Parameters<Prompter['select']>[0]): Promise<string> {
    const { select } = await import('@inquirer/prompts');
    try {
      const choices = q.choices.map((c) => ({
        ...c,
        name: oneLine(c.name),
        ...(c.description === undefined ? {} : { description: printable(c.description) }),
      }));
      return await select({ message: oneLine(q.message), choices });
    } catch (err) {
      if (isPromptExit(err)) throw new Interrupted('interrupted at a question');
      throw err;
    }
  }
}

const SECTION: Record<'input' | 'confirmation' | 'choice', string> = { input: 'inputs', confirmation: 'confirm', choice: 'choose' };

/**
 * No terminal: every answer must come from the answers file (or --yes). The stop says where to add it:
 * to the operator's own answers file, or (with none, or a rehearsal scenario's, which is the package's)
 * in a file of their own given to the resume, or --yes for a confirmation.
 */
export class UnattendedPrompter implements Prompter {
  readonly interactive = false;
  /** `answersFile`: the operator's own answers file, if any; `runId`: the run a resume continues. */
  constructor(
    private readonly answersFile: string | undefined,
    private readonly runId?: string,
  ) {}

  private missing(kind: keyof typeof SECTION, key: string, message: string): Promise<never> {
    const resume = (...more: string[]): string => `\`${commandLine(['resume', this.runId ?? 'RUN_ID', ...more])}\``;
    const entry = `${SECTION[kind]}.${key}`;
    const own = `give ${entry} in an answers file of your own and continue with ${resume('--answers', 'FILE')}`;
    const hint = this.answersFile
      ? `add ${entry} to ${this.answersFile}, then continue with ${resume()}${kind === 'confirmation' ? ` (or accept it with ${resume('--yes')})` : ''}`
      : kind === 'confirmation'
        ? `continue at a terminal with ${resume()} to type it, accept confirmations with ${resume('--yes')}, or ${own}`
        : `continue at a terminal with ${resume()}, or ${own}`;
    return Promise.reject(new NeedsOperator(`no answer for ${kind} "${key}" (${message}) and no terminal to ask on`, { hint }));
  }

  input(q: Parameters<Prompter['input']>[0]): Promise<string> {
    return this.missing('input', q.key, q.message);
  }
  typed(q: Parameters<Prompter['typed']>[0]): Promise<string> {
    return this.missing('confirmation', q.key, q.message);
  }
  select(q: Parameters<Prompter['select']>[0]): Promise<string> {
    return this.missing('choice', q.key, q.message);
  }
}
