/**
 * wal-e's GPG encryption (WALE_GPG_KEY_ID): every file it pushes (WAL segments, timeline histories,
 * base backup partitions) is lzop-compressed, then encrypted with `gpg -e -z 0 -r KEY`, under the
 * same `.lzo` name; the sentinels and extended_version.txt stay plain. An encrypted object is told
 * by its first bytes, an OpenPGP message (a session key packet), where a plain one starts with
 * lzop's magic. It is read by the operator's gpg, with the operator's keyring: the key never
 * leaves this machine's keyring, and nothing of the tenant's chooses what gpg does.
 */
import type { PipeStage } from '../core/seams.js';

/** OpenPGP packet tags an encrypted message starts with: a public-key or a symmetric-key encrypted session key. */
const SESSION_KEY_TAGS = new Set([1, 3]);

/** Whether `head` (an object's first bytes) starts an OpenPGP encrypted message. */
export function isOpenPgpMessage(head: Buffer): boolean {
  const first = head[0];
  if (first === undefined || (first & 0x80) === 0) return false;
  // New format: 11tttttt; old format: 10ttttll.
  const tag = first & 0x40 ? first & 0x3f : (first >> 2) & 0x0f;
  return SESSION_KEY_TAGS.has(tag);
}

/**
 * gpg decrypting stdin to stdout: no terminal, no passphrase prompt (a key with a passphrase must
 * be unlocked in the operator's gpg-agent first), no key fetched from the network, and the
 * message's own file name ignored.
 */
export const GPG_DECRYPT: readonly string[] = [
  'gpg',
  '--batch',
  '--quiet',
  '--no-tty',
  '--pinentry-mode',
  'error',
  '--no-auto-key-retrieve',
  '--no-use-embedded-filename',
  '--decrypt',
];

/** The programs an archived object's body goes through to come out plain: gpg first when it is encrypted, then lzop. */
export function plainStages(head: Buffer, lzop = 'lzop'): PipeStage[] {
  const decompress: PipeStage = { argv: [lzop, '-dc'] };
  return isOpenPgpMessage(head) ? [{ argv: [...GPG_DECRYPT] }, decompress] : [decompress];
}

/** Whether a failed pipeline stage was gpg's. */
export function isGpgStage(argv: readonly string[]): boolean {
  return argv[0] === GPG_DECRYPT[0] && argv.includes('--decrypt');
}

/** What the operator does when gpg could not decrypt an object of the archive. */
export const GPG_HINT =
  "the archive is encrypted with GPG (wal-e's WALE_GPG_KEY_ID): import its secret key into the keyring of the account that runs dingo-recover (gpg --import KEYFILE; GNUPGHOME names another keyring), unlock it in gpg-agent if it has a passphrase (gpg --decrypt any one of the archive's objects once at this terminal), then run it again";
