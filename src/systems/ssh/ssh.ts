/**
 * The live cell seam: an ssh2 connection to a cell VM, usually through the jumpbox,
 * that runs commands (docker, mv...) and reaches etcd through a port forward.
 *
 * A dropped connection is reopened once, silently, for a read. For a write it is
 * an error saying the outcome is unknown: whether the command ran is for the
 * step's probe to find out, not for a blind retry.
 */
import { homedir } from 'node:os';
import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';
import { StepFailed } from '../../core/errors.js';
import { Redactor } from '../../core/redact.js';
import { isStdinStream } from '../../core/stdin.js';
import { EtcdV2Keys } from '../etcd.js';
import { ConnectionLost, execOn } from './ssh-exec.js';
import { SshConfig } from './ssh-config.js';
import { localUser } from './ssh-tokens.js';
import { TIMEOUT_EXIT, assertSudoWorked, describe, limitedCommand, remoteCommand, timeoutSeconds } from '../../adapters/shell.js';
import { ForwardFailed, connectChain, forward, type Chain, type ConnectSettings } from './ssh-connect.js';
import { describeHop, resolveHop, type Hop } from './ssh-hops.js';
import type { CellAccess, CellSession, CommandResult, CommandSpec, EtcdKeys } from '../../core/seams.js';
import { invocation } from '../../core/invocation.js';

export interface SshOptions {
  /** The jumpbox; without it the config's ProxyJump (if any) is used. */
  gateway?: { user?: string; host: string; port?: number; identityFile?: string };
  /** User on the cell (default: the config's User, else vcap). */
  user?: string;
  identityFile?: string;
  /** ssh-agent socket (default SSH_AUTH_SOCK). */
  agent?: string;
  knownHostsFile?: string;
  /** host (alias, HostKeyAlias, HostName or `[host]:port`) → `SHA256:…`. */
  pinnedFingerprints?: Record<string, string>;
  /** Default ~/.ssh/config; a missing file is an empty configuration. */
  sshConfigFile?: string;
  /** Asked on first use of a host; true records the key in the known_hosts file. */
  onUnknownHostKey?: (host: string, fingerprint: string) => Promise<boolean>;
  /** What of the ssh config is read but never applied (Match exec); default: stderr. */
  onConfigWarning?: (text: string) => void;
  keepaliveIntervalMs?: number;
  readyTimeoutMs?: number;
  /** Home folder for `~` and the default files (default: the operator's). */
  home?: string;
  /** The run's redactor: the identity files read are registered with it. */
  redactor: Redactor;
}

const DEFAULT_CELL_USER = 'vcap';

/** How long past a command's deadline its channel is given up, should the cell's timeout not end it. */
const CHANNEL_GRACE_MS = 5000;

export function createSshCellAccess(opts: SshOptions): CellAccess {
  const home = opts.home ?? homedir();
  const config = SshConfig.load(opts.sshConfigFile ?? `${home}/.ssh/config`, home);
  const warn = opts.onConfigWarning ?? ((text: string) => invocation().stderr.write(`warning: ${text}\n`));
  for (const w of config.warnings) warn(w);
  return {
    async open(cellIp: string): Promise<CellSession> {
      const hop = cellHop(cellIp, opts, config, home);
      const session = new SshCellSession(cellIp, hop, opts);
      await session.connect();
      return session;
    },
  };
}

export function cellHop(cellIp: string, opts: SshOptions, config: SshConfig, home: string): Hop {
  const common = { config, home, knownHostsFile: opts.knownHostsFile };
  if (!opts.gateway) {
    return resolveHop(cellIp, { ...common, user: opts.user, identityFile: opts.identityFile, defaultUser: DEFAULT_CELL_USER });
  }
  const g = opts.gateway;
  const via = resolveHop(g.host, {
    ...common,
    user: g.user,
    port: g.port,
    identityFile: g.identityFile,
    fallbackIdentityFile: opts.identityFile,
    defaultUser: localUser(),
  });
  const cell = resolveHop(cellIp, {
    ...common,
    user: opts.user,
    identityFile: opts.identityFile,
    jumps: [],
    defaultUser: DEFAULT_CELL_USER,
  });
  return { ...cell, via };
}

class SshCellSession implements CellSession {
  readonly where: string;
  private chain: Chain | undefined;
  private lost = false;
  private readonly settings: ConnectSettings;
  private readonly redactor: Redactor;

  constructor(
    readonly cellIp: string,
    private readonly hop: Hop,
    opts: SshOptions,
  ) {
    this.where = `cell ${cellIp}${hop.via ? ` via ${describeHop(hop.via)}` : ''}`;
    this.settings = {
      pinnedFingerprints: opts.pinnedFingerprints,
      onUnknownHostKey: opts.onUnknownHostKey,
      agent: opts.agent,
      keepaliveIntervalMs: opts.keepaliveIntervalMs,
      readyTimeoutMs: opts.readyTimeoutMs,
      redactor: (this.redactor = opts.redactor),
    };
  }

  /** Opens the connection (again, when it was lost). */
  async connect(): Promise<Client> {
    if (this.chain && !this.lost) return this.chain.target;
    this.drop();
    const chain = await connectChain(this.hop, this.settings);
    this.chain = chain;
    this.lost = false;
    for (const c of chain.clients) {
      c.once('close', () => {
        if (this.chain === chain) this.lost = true;
      });
    }
    return chain.target;
  }

  async run(spec: CommandSpec): Promise<CommandResult> {
    const remote = remoteCommand(spec);
    for (let attempt = 0; ; attempt++) {
      const client = await this.connect();
      try {
        // The cell's timeout ends the command, and what it started, at the deadline; the channel is given up a little later.
        const local = spec.timeoutMs === undefined ? undefined : timeoutSeconds(spec.timeoutMs) * 1000 + CHANNEL_GRACE_MS;
        const ran = await execOn(client, limitedCommand(remote.command, spec.timeoutMs), remote.stdin, this.redactor, local, spec.stdout);
        const result = spec.timeoutMs !== undefined && ran.exitCode === TIMEOUT_EXIT ? { ...ran, timedOut: true } : ran;
        assertSudoWorked(spec, result, this.where, this.redactor);
        return result;
      } catch (err) {
        if (!(err instanceof ConnectionLost)) throw err;
        this.drop();
        // A stream was read once already, or output already went on: only the step, run again, can do it anew.
        if (!spec.writes && attempt === 0 && !isStdinStream(spec.stdin) && !spec.stdout) continue;
        throw new StepFailed(
          spec.writes
            ? `connection to ${this.where} lost during \`${describe(spec, this.redactor)}\`; outcome unknown`
            : `connection to ${this.where} lost ${attempt === 0 ? '' : 'twice '}during \`${describe(spec, this.redactor)}\``,
          {
            hint: spec.writes
              ? 'resume the run: the step checks whether the command took effect before doing anything again'
              : 'check the network path to the cell (jumpbox, VPN) and resume',
          },
        );
      }
    }
  }

  etcd(hostPort: string): Promise<EtcdKeys> {
    // A host:port that cannot be read rejects, as every call of the seam does.
    return new Promise((resolve) => {
      resolve(this.etcdThroughCell(hostPort));
    });
  }

  private etcdThroughCell(hostPort: string): EtcdKeys {
    const { host, port } = splitHostPort(hostPort);
    // Through the cell (what the containers see); through the jumpbox when the
    // cell's sshd refuses forwarding, as hardened stemcells may.
    let throughGateway = false;
    const connection = {
      hostPort,
      via: this.where,
      connect: async (): Promise<Duplex> => {
        const target = await this.connect();
        const gatewayClient = this.chain!.clients.at(-2);
        if (!throughGateway || !gatewayClient) {
          try {
            return await forward(target, host, port, this.where);
          } catch (err) {
            if (!(err instanceof ForwardFailed && err.prohibited && gatewayClient && this.hop.via)) throw err;
            throughGateway = true;
            connection.via = describeHop(this.hop.via);
          }
        }
        return forward(gatewayClient, host, port, connection.via);
      },
    };
    return new EtcdV2Keys(connection, { redactor: this.redactor });
  }

  close(): Promise<void> {
    this.drop();
    return Promise.resolve();
  }

  private drop(): void {
    const chain = this.chain;
    this.chain = undefined;
    chain?.end();
  }
}

function splitHostPort(hostPort: string): { host: string; port: number } {
  const stripped = hostPort.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(stripped);
  if (!m)
    throw new StepFailed(`cannot read host:port from ${JSON.stringify(hostPort)}`, {
      hint: 'ETCD_HOST_PORT looks like 10.58.111.149:4001',
    });
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : 4001 };
}
