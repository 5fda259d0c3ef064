/**
 * Opening one SSH connection, possibly through jump hosts: each hop is resolved from
 * the options and the OpenSSH client config, its host key checked (pinned
 * fingerprint, then known_hosts, then the first-use callback), and the next hop is
 * reached with `forwardOut` from the previous one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import type { Duplex } from 'node:stream';
import ssh2, { type AuthenticationType, type Client, type ConnectConfig } from 'ssh2';

// ssh2 is CommonJS: Node's ESM loader only sees some of its names, so take them from the default export.
const { Client: SshClient, utils } = ssh2;
import { StepFailed, UsageError } from '../core/errors.js';
import { secrets } from '../core/redact.js';
import { KnownHosts, fingerprint, hostToken, keyType, knownHostsLine, preferredHostKeyAlgorithms } from './known-hosts.js';
import { SshConfig, expandPath, parseProxyJump, type JumpSpec } from './ssh-config.js';

export interface Hop {
  /** The name asked for (a cell IP, a config alias). */
  alias: string;
  hostName: string;
  port: number;
  user: string;
  identityFiles: string[];
  /** Explicit identity file: only it is offered. */
  identityOnly: boolean;
  knownHostsFiles: string[];
  /** Where knownHostsFiles came from, so a hint can name the setting that changes them. */
  knownHostsFrom: '--known-hosts' | 'UserKnownHostsFile' | 'default';
  hostKeyAlias?: string;
  /** The hop this one is reached through. */
  via?: Hop;
}

export interface HostKeyPolicy {
  pinnedFingerprints?: Record<string, string>;
  onUnknownHostKey?: (host: string, fingerprint: string) => Promise<boolean>;
}

export interface ConnectSettings extends HostKeyPolicy {
  agent?: string;
  keepaliveIntervalMs?: number;
  readyTimeoutMs?: number;
}

const MAX_HOPS = 5;

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
  const c = input.config.resolve(alias, home);
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
    hostName: c.hostName ?? alias,
    port: input.port ?? c.port ?? 22,
    user: input.user ?? c.user ?? input.defaultUser,
    identityFiles: identityFile ? [identityFile] : [...new Set([...configured, ...fallback])],
    identityOnly: identityFile !== undefined,
    knownHostsFiles: input.knownHostsFile
      ? [expandPath(input.knownHostsFile, home, alias)]
      : [...(c.userKnownHostsFiles ?? [`${home}/.ssh/known_hosts`, `${home}/.ssh/known_hosts2`]), '/etc/ssh/ssh_known_hosts'],
    knownHostsFrom: input.knownHostsFile ? '--known-hosts' : c.userKnownHostsFiles ? 'UserKnownHostsFile' : 'default',
    ...(c.hostKeyAlias ? { hostKeyAlias: c.hostKeyAlias } : {}),
    ...(via ? { via } : {}),
  };
}

function localUser(): string {
  return process.env.USER ?? process.env.LOGNAME ?? 'root';
}

function defaultIdentityFiles(home: string): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => `${home}/.ssh/${f}`);
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

/** Every client of a chain, outermost first; the last is the target. */
export interface Chain {
  clients: Client[];
  target: Client;
  end(): void;
}

export async function connectChain(hop: Hop, settings: ConnectSettings): Promise<Chain> {
  const outer = hop.via ? await connectChain(hop.via, settings) : undefined;
  try {
    const sock = outer ? await forward(outer.target, hop.hostName, hop.port, describeHop(hop.via!)) : undefined;
    const client = await connectOne(hop, settings, sock);
    const clients = [...(outer?.clients ?? []), client];
    return {
      clients,
      target: client,
      end: () => clients.reverse().forEach((c) => c.end()),
    };
  } catch (err) {
    outer?.end();
    throw err;
  }
}

/** A port forward the server would not open; `prohibited` when its sshd forbids forwarding. */
export class ForwardFailed extends StepFailed {
  constructor(
    message: string,
    readonly reason: string,
    readonly prohibited: boolean,
    options: { hint: string; cause: unknown },
  ) {
    super(message, options);
  }
}

/** SSH_OPEN_ADMINISTRATIVELY_PROHIBITED (RFC 4254 §5.1); OpenSSH words it "open failed". */
const ADMINISTRATIVELY_PROHIBITED = 1;

/** A TCP stream opened by `client`'s server to host:port. */
export function forward(client: Client, host: string, port: number, through: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
      if (err) {
        const prohibited = (err as Error & { reason?: number }).reason === ADMINISTRATIVELY_PROHIBITED || /prohibited/i.test(err.message);
        reject(
          new ForwardFailed(`${through} could not open a connection to ${host}:${port}: ${err.message}`, err.message, prohibited, {
            hint: prohibited
              ? `the sshd on ${through} refuses TCP forwarding (AllowTcpForwarding no)`
              : `check that ${host}:${port} is reachable from ${through}`,
            cause: err,
          }),
        );
      } else resolve(stream);
    });
  });
}

function connectOne(hop: Hop, settings: ConnectSettings, sock?: Duplex): Promise<Client> {
  const label = describeHop(hop);
  const token = hostKeyName(hop);
  const known = new KnownHosts(hop.knownHostsFiles);
  const auth = authMethods(hop, settings.agent);
  let refusal: Error | undefined;

  const verify = (key: Buffer, done: (ok: boolean) => void): void => {
    checkHostKey(hop, token, key, known, settings)
      .then(() => done(true))
      .catch((err: Error) => {
        refusal = err;
        done(false);
      });
  };

  const algorithms = preferredHostKeyAlgorithms(known.knownTypes(token));
  const config: ConnectConfig = {
    host: hop.hostName,
    port: hop.port,
    username: hop.user,
    ...(sock ? { sock: sock as unknown as ConnectConfig['sock'] } : {}),
    authHandler: auth.methods as unknown as AuthenticationType[],
    hostVerifier: verify as unknown as ConnectConfig['hostVerifier'],
    keepaliveInterval: settings.keepaliveIntervalMs ?? 15_000,
    keepaliveCountMax: 3,
    readyTimeout: settings.readyTimeoutMs ?? 20_000,
    ...(algorithms ? { algorithms: { serverHostKey: algorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] } } : {}),
  };

  return new Promise((resolve, reject) => {
    const client = new SshClient();
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      client.end();
      reject(refusal ?? connectError(err, label, auth.tried));
    };
    client.once('ready', () => {
      settled = true;
      client.removeListener('error', fail);
      // Later errors (a dropped connection) surface as 'close' on the session; keep them from crashing the process.
      client.on('error', () => {});
      resolve(client);
    });
    client.once('error', fail);
    client.once('close', () => fail(new Error('connection closed before it was ready')));
    client.connect(config);
  });
}

async function checkHostKey(hop: Hop, token: string, key: Buffer, known: KnownHosts, policy: HostKeyPolicy): Promise<void> {
  const presented = fingerprint(key);
  const name = hop.hostKeyAlias ?? hop.hostName;
  const pinned = policy.pinnedFingerprints?.[hop.alias] ?? policy.pinnedFingerprints?.[name] ?? policy.pinnedFingerprints?.[token];
  if (pinned !== undefined) {
    if (normalizeFingerprint(pinned) === presented) return;
    throw changedKey(hop, [`${normalizeFingerprint(pinned)} (pinned)`], presented, key, `correct the fingerprint pinned for ${name}`);
  }
  const verdict = known.verify(token, key);
  if (verdict.status === 'known') return;
  if (verdict.status === 'revoked') {
    throw new StepFailed(
      `host key of ${describeHop(hop)} (${presented}) is marked @revoked in ${verdict.file}:${verdict.line}; refusing to connect`,
      {
        hint: 'ask the platform team which host key the machine should have now',
      },
    );
  }
  if (verdict.status === 'changed') {
    const at = verdict.expected.map((e) => `${e.file}:${e.line}`).join(', ');
    throw changedKey(
      hop,
      verdict.expected.map((e) => `${e.fingerprint} (${e.type}, ${e.file}:${e.line})`),
      presented,
      key,
      `replace the line at ${at} with \`${knownHostsLine(token, key)}\`, or give a known_hosts file of your own with --known-hosts FILE`,
    );
  }
  if (!policy.onUnknownHostKey) {
    throw new StepFailed(`host key of ${describeHop(hop)} is not known (${keyType(key)} ${presented}); refusing to connect`, {
      hint: `compare ${presented} with the machine's own key (on it: ssh-keygen -lf /etc/ssh/ssh_host_${keyFileKind(key)}_key.pub); if they match, ${pinHint(hop, token, key)}`,
    });
  }
  const accepted = await policy.onUnknownHostKey(token, presented);
  if (!accepted) {
    throw new StepFailed(`host key of ${describeHop(hop)} (${presented}) was not accepted; not connecting`, {
      hint: `verify the fingerprint out of band, then accept it when asked, or ${pinHint(hop, token, key)}`,
    });
  }
  known.add(token, key);
}

function normalizeFingerprint(fp: string): string {
  const trimmed = fp.trim().replace(/=+$/, '');
  return trimmed.startsWith('SHA256:') ? trimmed : `SHA256:${trimmed}`;
}

function changedKey(hop: Hop, expected: string[], presented: string, key: Buffer, replace: string): StepFailed {
  const shared = hop.hostKeyAlias
    ? ''
    : `. When several machines are reached at one address (a tunnel), give each its own HostKeyAlias in the ssh config (Host ${hop.alias})`;
  return new StepFailed(
    `HOST KEY CHANGED for ${describeHop(hop)}: expected ${expected.join(' or ')}, presented ${keyType(key)} ${presented}; refusing to connect`,
    {
      hint: `someone may be intercepting the connection, or the VM was recreated: confirm the new key with the platform team, then ${replace}${shared}`,
    },
  );
}

/** How to pin a key: the known_hosts line, the file it goes to, and the settings that choose the file and the name. */
function pinHint(hop: Hop, token: string, key: Buffer): string {
  const file = hop.knownHostsFiles[0];
  const where =
    hop.knownHostsFrom === '--known-hosts'
      ? `${file} (the file --known-hosts names)`
      : hop.knownHostsFrom === 'UserKnownHostsFile'
        ? `${file} (UserKnownHostsFile in the ssh config)`
        : `${file}, or to a file of your own given with --known-hosts FILE or UserKnownHostsFile in the ssh config`;
  const name = hop.hostKeyAlias
    ? `The key is looked up as ${token} (HostKeyAlias in the ssh config)`
    : `The key is looked up as ${token}; HostKeyAlias in the ssh config (Host ${hop.alias}) looks it up under another name`;
  return `pin it by adding the line \`${knownHostsLine(token, key)}\` to ${where}. ${name}`;
}

/** The part of /etc/ssh/ssh_host_<kind>_key.pub that holds a key of this type. */
function keyFileKind(key: Buffer): string {
  const type = keyType(key);
  if (type === 'ssh-ed25519') return 'ed25519';
  if (type.startsWith('ecdsa-')) return 'ecdsa';
  if (type === 'ssh-rsa') return 'rsa';
  return '*';
}

interface AuthPlan {
  methods: object[];
  tried: string[];
}

function authMethods(hop: Hop, agentSocket?: string): AuthPlan {
  const methods: object[] = [];
  const tried: string[] = [];
  const agent = agentSocket ?? (hop.identityOnly ? undefined : process.env.SSH_AUTH_SOCK);
  if (agent) {
    methods.push({ type: 'agent', username: hop.user, agent });
    tried.push('ssh-agent');
  }
  for (const file of hop.identityFiles) {
    if (!existsSync(file)) {
      if (hop.identityOnly)
        throw new UsageError(`identity file ${file} does not exist`, { hint: 'pass the private key that opens the cell (or the jumpbox)' });
      continue;
    }
    const text = readFileSync(file, 'utf8');
    secrets.register(text);
    const parsed = utils.parseKey(text);
    if (parsed instanceof Error) {
      const encrypted = /encrypted|passphrase/i.test(parsed.message);
      const message = encrypted
        ? `identity file ${file} is protected by a passphrase`
        : `identity file ${file} is not a private key ssh2 can read`;
      if (hop.identityOnly || methods.length === 0) {
        throw new UsageError(message, {
          hint: encrypted ? 'load it into ssh-agent (ssh-add) and let the agent sign' : 'pass an OpenSSH or PEM private key',
        });
      }
      continue;
    }
    methods.push({ type: 'publickey', username: hop.user, key: text });
    tried.push(file);
  }
  if (methods.length === 0) {
    throw new UsageError(`no way to authenticate to ${describeHop(hop)}: no identity file found and no ssh-agent`, {
      hint: 'pass an identity file or set SSH_AUTH_SOCK',
    });
  }
  return { methods, tried };
}

function connectError(err: Error & { code?: string; level?: string }, label: string, tried: string[]): StepFailed {
  const text = secrets.redact(err.message);
  if (err.level === 'client-authentication' || /authentication methods failed/i.test(text)) {
    return new StepFailed(`ssh to ${label}: authentication failed (offered ${tried.join(', ')})`, {
      hint: 'check the user and that its authorized_keys holds the key you offer',
    });
  }
  if (err.level === 'client-timeout' || /timed out/i.test(text)) {
    return new StepFailed(`ssh to ${label}: timed out waiting for the SSH handshake`, {
      hint: 'check the address, port and any firewall in between',
      cause: err,
    });
  }
  return new StepFailed(`ssh to ${label} failed: ${err.code ? `${err.code} ` : ''}${text}`, {
    hint: 'check the address and port (ssh config HostName/Port/ProxyJump) and that sshd runs there',
  });
}
