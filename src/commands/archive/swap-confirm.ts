/** The typed confirmation `archive swap` asks before it moves the target aside. */
import { NeedsOperator, UsageError } from '../../core/errors.js';
import { findGuid } from '../../core/guid.js';
import { secrets, invocation } from '../../core/invocation.js';
import { urlOf, type S3Location } from '../../core/s3-url.js';
import { TerminalPrompter, type Prompter, confirmationMatches, describeExpected, loadAnswers } from '../../engine/operator/index.js';

/** The answers-file key (`confirm.archive-swap`) that confirms a swap without a terminal. */
const SWAP_CONFIRM_KEY = 'archive-swap';

/** How the operator confirmed: --yes, an answers file, or a prompt (tests give their own). */
export interface SwapConfirmation {
  yes?: boolean;
  answers?: string;
  prompter?: Prompter;
  stderr: (text: string) => void;
}

function hasTerminal(): boolean {
  const { stdin, stdout, env } = invocation();
  return stdin.isTTY === true && stdout.isTTY === true && env.CI !== 'true';
}

/** What the operator types: the target's GUID (its first 8 characters do), or the target URL. */
function swapConfirmation(target: S3Location): { expected: string; alsoAccept?: string } {
  const guid = findGuid(target.prefix);
  return guid ? { expected: guid.toLowerCase(), alsoAccept: urlOf(target) } : { expected: urlOf(target) };
}

function confirmedByAnswers(given: string | true, target: S3Location, accepted: string): void {
  const { expected, alsoAccept } = swapConfirmation(target);
  if (given !== true && !confirmationMatches(given, expected, alsoAccept)) {
    throw new UsageError(
      `answers file: confirm.${SWAP_CONFIRM_KEY} is "${given}", but this swap moves ${urlOf(target)} aside (type ${accepted})`,
      {
        hint: 'the answers file was written for another target; correct it and run the swap again',
      },
    );
  }
}

export async function confirmSwap(how: SwapConfirmation, source: S3Location, target: S3Location): Promise<void> {
  const { expected, alsoAccept } = swapConfirmation(target);
  const accepted = describeExpected(expected) + (alsoAccept ? ` or "${alsoAccept}"` : '');
  if (how.yes) {
    how.stderr('confirmed by --yes\n');
    return;
  }
  const fromFile = loadAnswers(how.answers, secrets()).confirm[SWAP_CONFIRM_KEY];
  if (fromFile !== undefined) {
    confirmedByAnswers(fromFile, target, accepted);
    how.stderr('confirmed by the answers file\n');
    return;
  }
  const prompter = how.prompter ?? (hasTerminal() ? new TerminalPrompter() : undefined);
  if (!prompter?.interactive) {
    throw new NeedsOperator(
      `archive swap moves ${urlOf(target)} aside and needs a typed confirmation, but there is no terminal to ask on; nothing was changed`,
      {
        hint: `check the target above, then run the same command with --yes (or in a terminal, typing ${accepted})`,
      },
    );
  }
  const message = `Move ${urlOf(target)} aside and copy ${urlOf(source)} in — type ${accepted} to confirm`;
  const typed = await prompter.typed({ key: SWAP_CONFIRM_KEY, message, expected, alsoAccept });
  if (!confirmationMatches(typed, expected, alsoAccept)) {
    throw new UsageError(`"${typed}" does not confirm the swap of ${urlOf(target)}; nothing was changed`, {
      hint: `type ${accepted} to confirm`,
    });
  }
}
