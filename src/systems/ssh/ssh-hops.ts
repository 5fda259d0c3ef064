/**
 * The hops of an SSH connection: each resolved from the options and the OpenSSH client config
 * (HostName, Port, User, identities, known_hosts files, HostKeyAlias, ProxyJump), outermost
 * jump host last in the `via` chain.
 */
import { homedir } from 'node:os';
import { UsageError } from '../../core/errors.js';
import { hostToken } from './known-hosts.js';
import { SshConfig, parseProxyJump, type JumpSpec } from './ssh-config.js';
import { expandPath, localUser } from './ssh-tokens.js';

export interface Hop {
  /** The name asked for (a cell IP, a config alias). */
  alias: string;
  hostName: string;
  port: number;
  user: string;
  identityFiles: string[];
  /** Explicit identity file: only it is offered. */
  identityOnly: boolean;
  /** Only the identity files' keys are offered, from the agent too (an explicit file, or IdentitiesOnly yes). */
  identitiesOnly: boolean;
  /** The config's IdentityAgent: `none`, `SSH_AUTH_SOCK`, or a socket path. */
  identityAgent?: string;
  /** The config's ServerAliveInterval (seconds, when above 0) and ServerAliveCountMax. */
  serverAlive?: { intervalSeconds?: number; countMax?: number };
  knownHostsFiles: string[];
  /** Where knownHostsFiles came from, so a hint can name the setting that changes them. */
  knownHostsFrom: '--known-hosts' | 'UserKnownHostsFile' | 'default';
  hostKeyAlias?: string;
  /** The ssh config's StrictHostKeyChecking, when set: never followed, named when a key is refused. */
  strictHostKeyChecking?: string;
  /** The hop this one is reached through. */
  via?: Hop;
}

const MAX_HOPS = 5;
/** OpenSSH's GlobalKnownHostsFile default. */
const GLOBAL_KNOWN_HOSTS = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

export interface ResolveInput {
  config: SshConfig;
  home?: string;
  /** Explicit settings win over the config, as command-line flags do for ssh. */
  user?: string;
  port?: number;
  identityFile?: string;
  /** Offered after the configured identities (the cell's key, tried on a jumpbox too). */
  fallbackIdentityFile?: string;
  knownHostsFile?: string;
  /** Jump hosts, outermost first; undefined: take ProxyJump from the config. */
  jumps?: JumpSpec[];
  defaultUser: string;
}

export function resolveHop(alias: string, input: ResolveInput, depth = 0): Hop {
  if (depth > MAX_HOPS) throw new UsageError(`ProxyJump chain for ${alias} is longer than ${MAX_HOPS} hops (a loop in the ssh config?)`);
  const home = input.home ?? homedir();
  const c = input.config.resolve(alias, home, { user: input.user, port: input.port, defaultUser: input.defaultUser });
  if (c.proxyCommand && input.jumps === undefined) {
    throw new UsageError(
      `the ssh config reaches ${alias} through ProxyCommand "${c.proxyCommand.command}" (${c.proxyCommand.where}): dingo-recover runs no command from the ssh config`,
      { hint: 'write that route as ProxyJump [user@]jumpbox[:port] in the ssh config, or give --gateway user@jumpbox' },
    );
  }
  const identityFile = input.identityFile ? expandPath(input.identityFile, home, alias) : undefined;
  const jumps = input.jumps ?? (c.proxyJump ? parseProxyJump(c.proxyJump) : []);
  // Several hops in one ProxyJump: each is reached through the one before it; the
  // first one may have a ProxyJump of its own in the config.
  let via: Hop | undefined;
  for (const j of jumps) {
    const jump = resolveHop(
      j.host,
      {
        config: input.config,
        home,
        user: j.user,
        port: j.port,
        fallbackIdentityFile: input.identityFile ?? input.fallbackIdentityFile,
        knownHostsFile: input.knownHostsFile,
        defaultUser: localUser(),
        ...(via ? { jumps: [] } : {}),
      },
      depth + 1,
    );
    via = via ? { ...jump, via } : jump;
  }
  const configured = c.identityFiles.length > 0 ? c.identityFiles : defaultIdentityFiles(home);
  const fallback = input.fallbackIdentityFile ? [expandPath(input.fallbackIdentityFile, home, alias)] : [];
  return {
    alias,
    hostName: c.hostName ?? alias.toLowerCase(),
    port: input.port ?? c.port ?? 22,
    user: input.user ?? c.user ?? input.defaultUser,
    identityFiles: identityFile ? [identityFile] : [...new Set([...configured, ...fallback])],
    identityOnly: identityFile !== undefined,
    identitiesOnly: identityFile !== undefined || c.identitiesOnly === true,
    ...(c.identityAgent ? { identityAgent: c.identityAgent } : {}),
    ...(c.serverAliveInterval || c.serverAliveCountMax !== undefined
      ? { serverAlive: { intervalSeconds: c.serverAliveInterval || undefined, countMax: c.serverAliveCountMax } }
      : {}),
    knownHostsFiles: input.knownHostsFile
      ? [expandPath(input.knownHostsFile, home, alias)]
      : [...(c.userKnownHostsFiles ?? [`${home}/.ssh/known_hosts`, `${home}/.ssh/known_hosts2`]), ...GLOBAL_KNOWN_HOSTS],
    knownHostsFrom: input.knownHostsFile ? '--known-hosts' : c.userKnownHostsFiles ? 'UserKnownHostsFile' : 'default',
    ...(c.hostKeyAlias ? { hostKeyAlias: c.hostKeyAlias } : {}),
    ...(c.strictHostKeyChecking ? { strictHostKeyChecking: c.strictHostKeyChecking } : {}),
    ...(via ? { via } : {}),
  };
}

/** OpenSSH's default IdentityFile list, in its order, less the kinds ssh2 cannot use (sk, xmss, dsa). */
function defaultIdentityFiles(home: string): string[] {
  return ['id_rsa', 'id_ecdsa', 'id_ed25519'].map((f) => `${home}/.ssh/${f}`);
}

/** `user@host:port`, with the HostName when it differs from the alias. */
export function describeHop(hop: Hop): string {
  const name = hop.alias === hop.hostName ? hop.alias : `${hop.alias} (${hop.hostName})`;
  return `${hop.user}@${name}${hop.port === 22 ? '' : `:${hop.port}`}`;
}

/**
 * The name a hop's host key is looked up and recorded under, as OpenSSH does: the
 * HostKeyAlias alone when one is set (never with the port), else the HostName with
 * `[…]:port` for a port other than 22.
 */
export function hostKeyName(hop: Hop): string {
  return hop.hostKeyAlias ?? hostToken(hop.hostName, hop.port);
}
