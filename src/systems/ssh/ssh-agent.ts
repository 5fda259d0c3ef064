/**
 * The ssh-agent a hop uses, chosen as OpenSSH chooses it: the config's IdentityAgent (a socket,
 * `SSH_AUTH_SOCK`, or `none`) over the environment's SSH_AUTH_SOCK. Under IdentitiesOnly (or an
 * explicit identity file) the agent lists only the keys of the hop's identity files, so an agent
 * holding many keys cannot use up the server's MaxAuthTries before the right one is offered. An
 * agent that cannot be reached is passed over, as OpenSSH passes it over.
 */
import { existsSync, readFileSync } from 'node:fs';
import ssh2, { type IdentityCallback, type ParsedKey, type PublicKeyEntry } from 'ssh2';
import type { Hop } from './ssh-hops.js';

// ssh2 is CommonJS: Node's ESM loader only sees some of its names, so take them from the default export.
const { OpenSSHAgent, utils } = ssh2;

/** The agent socket for `hop`, or undefined for none; `environment` is SSH_AUTH_SOCK ('' for none). */
export function agentSocket(hop: Hop, environment: string | undefined): string | undefined {
  const configured = hop.identityAgent;
  if (configured === 'none') return undefined;
  if (configured === undefined || configured === 'SSH_AUTH_SOCK') return environment || undefined;
  return configured;
}

/**
 * The agent at a socket, as OpenSSH uses it: one that cannot be reached (a stale SSH_AUTH_SOCK left
 * by a closed session, an IdentityAgent that is not running) lists no keys, so the identity files
 * are still offered, and `onUnreachable` is told why. With `allowed`, it lists only the keys whose
 * public half is one of them.
 */
export class ListedAgent extends OpenSSHAgent {
  constructor(
    socket: string,
    private readonly onUnreachable: (why: string) => void,
    private readonly allowed?: Buffer[],
  ) {
    super(socket);
  }

  override getIdentities(cb: IdentityCallback<ParsedKey>): void {
    super.getIdentities((err, keys) => {
      if (err) this.onUnreachable(err.message);
      cb(
        undefined,
        (keys ?? []).filter((k) => this.holds(k)),
      );
    });
  }

  private holds(key: ParsedKey | PublicKeyEntry): boolean {
    if (!this.allowed) return true;
    const blob = 'getPublicSSH' in key ? key.getPublicSSH() : undefined;
    return blob !== undefined && this.allowed.some((a) => a.equals(blob));
  }
}

/**
 * The public half of an identity file, as OpenSSH finds it: the `.pub` beside it, else the private
 * key itself when it opens without a passphrase. Undefined when neither gives one.
 */
export function publicKeyOf(file: string): Buffer | undefined {
  for (const candidate of [`${file}.pub`, file]) {
    if (!existsSync(candidate)) continue;
    const key = utils.parseKey(readFileSync(candidate, 'utf8'));
    if (!(key instanceof Error)) return key.getPublicSSH();
  }
  return undefined;
}
