/**
 * The live platform: the operator's cf and bosh CLIs, the cells over SSH, S3.
 * Its options are journaled with the run (they hold no secrets: keys stay in
 * files, the agent or the environment), so a resume reaches the same systems.
 */
import type { Redactor } from '../../core/redact.js';
import type { CellAccess, Platform } from '../../core/seams.js';
import type { LiveOptions } from '../../engine/runbook/index.js';

export type { LiveOptions };
import { LocalRunner } from '../../systems/local-runner.js';
import { PrivateCfHomeRunner } from '../../systems/cf-home.js';
import { SshConfig, createSshCellAccess, localUser } from '../../systems/ssh/index.js';
import { homedir } from 'node:os';
import { boshScratchName, createBoshCellAccess, type BoshGateway } from '../../systems/bosh-ssh/index.js';
import { rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createS3Store } from '../../systems/s3/index.js';
import { localMachine } from './local-machine.js';
import { openLogSource } from '../../systems/log-source.js';
import { invocation } from '../../core/invocation.js';

/** `--gateway [user@]host[:port]`; without a user, the ssh config's User for that host applies, else the local user (as `ssh -J`). */
export function parseGateway(text: string): { user?: string; host: string; port?: number } {
  const m = text.match(/^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/);
  if (!m) throw new Error(`bad --gateway "${text}": use user@host[:port]`);
  return { ...(m[1] ? { user: m[1] } : {}), host: m[2]!.replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : undefined };
}

/**
 * `bosh ssh`'s gateway from `--gateway` and `--ssh-key`: `none` ignores the director's gateway;
 * no gateway takes the director's (a port was refused with the flags: bosh's gateway flags take none).
 * A gateway given without a user is given the one `ssh HOST` would log in as (the ssh config's User
 * for it, else the local user): bosh-cli v2 puts `--gw-user`, else the director's gateway user, after
 * `-l` in its ProxyCommand, and with neither writes `-l  HOST`, which leaves ssh no host
 * (ssh/ssh_args.go `gwOpts`). A SOCKS5 proxy (`--gw-socks5`, from `BOSH_ALL_PROXY`) wins over every
 * gateway flag there: a gateway given, or `none`, empties it for the ssh route (`--gw-socks5=`), as the
 * operator asked; the director is still reached through it (bosh-utils reads the variable itself).
 */
export function boshGateway(
  gateway: string | undefined,
  privateKey: string | undefined,
  o: { sshConfigFile?: string; env?: Record<string, string | undefined> } = {},
): BoshGateway {
  const proxy = (o.env ?? invocation().env).BOSH_ALL_PROXY;
  const overProxy = proxy ? { overProxy: true } : {};
  if (gateway === 'none') return { disable: true, ...overProxy };
  if (!gateway) return { ...(proxy ? { proxy: 'BOSH_ALL_PROXY' } : {}), ...(privateKey ? { privateKey } : {}) };
  const gw = parseGateway(gateway);
  const user = gw.user ?? sshUserFor(gw.host, o.sshConfigFile);
  return { host: gw.host, user, ...(privateKey ? { privateKey } : {}), ...overProxy };
}

/** The user `ssh HOST` logs in as: the ssh config's User for it, else the local user. */
function sshUserFor(host: string, sshConfigFile: string | undefined): string {
  const home = homedir();
  return SshConfig.load(sshConfigFile ?? join(home, '.ssh', 'config'), home).resolve(host, home).user ?? localUser();
}

/**
 * The cells as the recovery reaches them: `bosh ssh` (`--ssh-via bosh`) or direct SSH, through the
 * gateway, with the operator's user, key, known_hosts and ssh config. `scratch`: where `bosh ssh`
 * sessions keep their private files.
 */
export function cellAccess(
  ssh: NonNullable<LiveOptions['ssh']>,
  {
    redactor,
    scratch,
    runFolder,
    runner = new LocalRunner(),
  }: { redactor: Redactor; scratch: string; runFolder?: boolean; runner?: LocalRunner },
): CellAccess {
  return ssh.via === 'bosh'
    ? createBoshCellAccess({
        runner,
        binary: ssh.boshBinary,
        gateway: boshGateway(ssh.gateway, ssh.identityFile, { sshConfigFile: ssh.sshConfigFile }),
        redactor,
        scratch,
        runFolder,
      })
    : createSshCellAccess({
        gateway: ssh.gateway ? parseGateway(ssh.gateway) : undefined,
        user: ssh.user,
        identityFile: ssh.identityFile,
        knownHostsFile: ssh.knownHostsFile,
        sshConfigFile: ssh.sshConfigFile,
        agent: invocation().env.SSH_AUTH_SOCK,
        redactor,
      });
}

/**
 * `runDir`: a run's folder, where cf gets a private copy of the operator's CF_HOME for the session
 * (its target changes there, not in the operator's own config; the copy is removed when the
 * session closes the platform, or the process exits); without it (a snapshot, which only reads) cf
 * runs on the operator's. `redactor`: the run's, which the systems register the secrets they meet with;
 * `scratch`: the run's scratch folder, where `bosh ssh` sessions keep their private files.
 */
export function livePlatform(
  options: LiveOptions,
  { redactor, scratch }: { redactor: Redactor; scratch: string },
  runDir?: string,
): Platform {
  const local = new LocalRunner();
  const ssh = options.ssh ?? {};
  const cf = runDir === undefined ? undefined : new PrivateCfHomeRunner(local, runDir);
  // A run's bosh ssh sessions keep their files in a folder of the run: a killed session's (a manifest, a staged
  // input) goes when the run is resumed (this session holds its lock) or abandoned.
  const boshScratch = runDir === undefined ? undefined : join(scratch, boshScratchName(basename(runDir)));
  if (boshScratch) rmSync(boshScratch, { recursive: true, force: true });
  return {
    mode: 'live',
    cf: cf ?? local,
    bosh: local,
    cells: cellAccess(ssh, { redactor, scratch: boshScratch ?? scratch, runFolder: boshScratch !== undefined, runner: local }),
    s3: createS3Store({
      endpoint: options.s3?.endpoint,
      region: options.s3?.region,
      forcePathStyle: options.s3?.pathStyle,
      timeoutMs: options.s3?.timeoutMs,
      redactor,
    }),
    // The operator's --logs and --es-url; a live platform writes no log of its own.
    openLogs: openLogSource,
    ...localMachine,
    // The session ends: the copy of the operator's cf config goes with it (a resume copies it again).
    close(): Promise<void> {
      cf?.close();
      if (boshScratch) rmSync(boshScratch, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}
