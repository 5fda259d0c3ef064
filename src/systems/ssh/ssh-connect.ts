/**
 * Opening one SSH connection, possibly through jump hosts (see ssh-hops.ts): each hop's host key
 * is checked (ssh-host-key.ts), it is authenticated (ssh-auth.ts), and the next hop is reached
 * with `forwardOut` from the previous one.
 */
import type { Duplex } from 'node:stream';
import ssh2, { type Client, type ConnectConfig, type HostVerifier } from 'ssh2';

// ssh2 is CommonJS: Node's ESM loader only sees some of its names, so take them from the default export.
const { Client: SshClient } = ssh2;
import { StepFailed } from '../../core/errors.js';
import type { Redactor } from '../../core/redact.js';
import { KnownHosts, preferredHostKeyAlgorithms } from './known-hosts.js';
import { authMethods, connectError } from './ssh-auth.js';
import { checkHostKey, type HostKeyPolicy } from './ssh-host-key.js';
import { describeHop, hostKeyName, type Hop } from './ssh-hops.js';

export interface ConnectSettings extends HostKeyPolicy {
  agent?: string;
  /** Registers the identity files read and redacts the errors. */
  redactor: Redactor;
  keepaliveIntervalMs?: number;
  readyTimeoutMs?: number;
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
      end: () => {
        clients.reverse().forEach((c) => c.end());
      },
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
        const prohibited = ('reason' in err && err.reason === ADMINISTRATIVELY_PROHIBITED) || /prohibited/i.test(err.message);
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
  const auth = authMethods(hop, settings.agent, settings.redactor);
  let refusal: Error | undefined;

  const verify: HostVerifier = (key, done) => {
    checkHostKey(hop, token, key, known, settings)
      .then(() => {
        done(true);
      })
      .catch((err: unknown) => {
        refusal = err instanceof Error ? err : new Error(String(err));
        done(false);
      });
  };

  const algorithms = preferredHostKeyAlgorithms(known.knownTypes(token));
  const config: ConnectConfig = {
    host: hop.hostName,
    port: hop.port,
    username: hop.user,
    ...(sock ? { sock } : {}),
    authHandler: auth.methods,
    hostVerifier: verify,
    // The ssh config's ServerAliveInterval when it sets one; else a keepalive of our own, since a
    // recovery waits minutes on a quiet session (OpenSSH's default, 0, sends none).
    keepaliveInterval: settings.keepaliveIntervalMs ?? (hop.serverAlive?.intervalSeconds ?? 15) * 1000,
    keepaliveCountMax: hop.serverAlive?.countMax ?? 3,
    readyTimeout: settings.readyTimeoutMs ?? 20_000,
    ...(algorithms ? { algorithms: { serverHostKey: algorithms } } : {}),
  };

  return new Promise((resolve, reject) => {
    const client = new SshClient();
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      client.end();
      reject(refusal ?? connectError(err, label, auth.tried, settings.redactor));
    };
    client.once('ready', () => {
      settled = true;
      client.removeListener('error', fail);
      // Later errors (a dropped connection) surface as 'close' on the session; keep them from crashing the process.
      client.on('error', () => {});
      resolve(client);
    });
    // on, not once: a failed handshake may be followed by a reset, which must not go unheard.
    client.on('error', fail);
    client.once('close', () => {
      fail(new Error('connection closed before it was ready'));
    });
    client.connect(config);
  });
}
