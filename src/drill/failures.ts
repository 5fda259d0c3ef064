/** Reading what went wrong in a drill: any thrown value's message, hint and cause, and the drill outcome it means. */
import { DingoError, messageOf } from '../core/errors.js';
import { DrillFailed } from './exit-codes.js';
import { StageFailed } from '../systems/processes.js';
import { GPG_DECRYPT, GPG_HINT, isGpgStage } from '../wale/encryption.js';

/** The hint a failure carries for the operator (DingoError and S3 client errors have one), if any. */
export function hintOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'hint' in err && typeof err.hint === 'string' ? err.hint : undefined;
}

/** The error a failure wraps, if any. */
export function causeOf(err: unknown): unknown {
  return typeof err === 'object' && err !== null && 'cause' in err ? err.cause : undefined;
}

/** Any failure that is not already a drill outcome: S3 or the machine → "could not run". */
export function asDrillFailure(err: unknown): unknown {
  if (err instanceof DrillFailed || (err instanceof DingoError && err.exitCode === 2)) return err;
  if (err instanceof Error && err.name === 'AbortError') return err;
  const hint = err instanceof DingoError ? err.hint : undefined;
  return new DrillFailed('could-not-run', messageOf(err), { hint, cause: err });
}

/**
 * The drill's failure when gpg could not decrypt an object of an encrypted archive (no such key
 * here, a locked key, gpg missing), naming the object; undefined for any other failure.
 */
export function gpgFailure(err: unknown, where: string): DrillFailed | undefined {
  if (err instanceof StageFailed && isGpgStage(err.argv)) {
    const said = err.stderr.trim().split('\n').slice(-3).join('; ') || err.message;
    return new DrillFailed('could-not-run', `${where} is encrypted with GPG and gpg could not decrypt it: ${said}`, {
      hint: GPG_HINT,
      cause: err,
    });
  }
  const missing = err as { code?: string; path?: string } | null;
  if (missing?.code === 'ENOENT' && missing.path === GPG_DECRYPT[0]) {
    return new DrillFailed('could-not-run', `${where} is encrypted with GPG, and gpg is not installed here`, {
      hint: `install GnuPG (apt-get install gnupg), then: ${GPG_HINT}`,
      cause: err,
    });
  }
  return undefined;
}
