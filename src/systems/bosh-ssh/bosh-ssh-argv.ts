/**
 * The `bosh ssh` and `bosh scp` command lines of each CLI era, with the director's SSH gateway
 * flags passed through: v2 (Go) `bosh -d DEPLOYMENT ssh GROUP/ID -c CMD --results --json` (or,
 * for an output read as it comes, without `--results --json`) and
 * `--gw-host/--gw-user/--gw-private-key/--gw-disable`; v1 (Ruby) `bosh -n -d MANIFEST ssh JOB/INDEX
 * CMD` and `--gateway_host/--gateway_user/--gateway_identity_file/--no_gateway`.
 */

/** Where `bosh ssh` goes: the deployment (v1: its manifest file too) and the instance. */
export interface BoshSshTarget {
  major: 1 | 2;
  deployment: string;
  /** v1 only: the manifest `-d` takes (`bosh download manifest`). */
  manifest?: string;
  /** v2 `group/uuid`, v1 `job/index`, as `bosh vms` names it. */
  instance: string;
}

/** The SSH gateway bosh goes through: none given means the one the director names, if any. */
export interface BoshGateway {
  /** Ignore the director's gateway and connect to the cell directly. */
  disable?: boolean;
  host?: string;
  user?: string;
  privateKey?: string;
  /** v2: empty the SOCKS5 proxy (`--gw-socks5=`) that BOSH_ALL_PROXY would give, which wins over every gateway flag. */
  overProxy?: boolean;
  /** Where the proxy bosh goes through comes from (the session's name says it), when none was overridden. */
  proxy?: string;
}

function gatewayFlags(major: 1 | 2, gw: BoshGateway): string[] {
  // go-flags takes an empty value only after `=`.
  const proxy = major === 2 && gw.overProxy ? ['--gw-socks5='] : [];
  if (gw.disable) return [major === 2 ? '--gw-disable' : '--no_gateway', ...proxy];
  const names =
    major === 2
      ? { host: '--gw-host', user: '--gw-user', key: '--gw-private-key' }
      : { host: '--gateway_host', user: '--gateway_user', key: '--gateway_identity_file' };
  return [
    ...(gw.host ? [names.host, gw.host] : []),
    ...(gw.user ? [names.user, gw.user] : []),
    ...(gw.privateKey ? [names.key, gw.privateKey] : []),
    ...proxy,
  ];
}

function deploymentFlags(t: BoshSshTarget): string[] {
  if (t.major === 2) return ['-d', t.deployment];
  if (!t.manifest) throw new Error(`bosh v1 needs the manifest of ${t.deployment} to ssh to ${t.instance}`);
  return ['-n', '-d', t.manifest];
}

/**
 * Runs `command` (one remote shell line) on the instance, non-interactively; v2 answers a results
 * table, or with `streamed` prints the command's output as it comes, each line behind the instance's name.
 */
export function boshSshArgs(t: BoshSshTarget, gw: BoshGateway, command: string, streamed = false): string[] {
  const run = t.major === 2 ? ['-c', command, ...(streamed ? [] : ['--results', '--json'])] : [command];
  return [...deploymentFlags(t), 'ssh', t.instance, ...run, ...gatewayFlags(t.major, gw)];
}

/** Copies a local file to `remote` on the instance. */
export function boshScpArgs(t: BoshSshTarget, gw: BoshGateway, local: string, remote: string): string[] {
  const copy = t.major === 2 ? [local, `${t.instance}:${remote}`] : [t.instance, '--upload', local, remote];
  return [...deploymentFlags(t), 'scp', ...copy, ...gatewayFlags(t.major, gw)];
}

/**
 * v2's interactive `bosh ssh` to the instance, holding its connection for others to share (bosh-ssh-mux.ts):
 * ssh's options go through `--opts=VALUE`, each whole, since go-flags takes no value that starts with a dash
 * after a space ("expected argument for flag `--opts', but got option `-N'"). Its failure comes as `--json` gives it.
 */
export function boshSshMasterArgs(t: BoshSshTarget, gw: BoshGateway, socket: string): string[] {
  const opts = ['-N', '-oControlMaster=yes', `-oControlPath=${socket}`, '-oControlPersist=no'].map((o) => `--opts=${o}`);
  // --json: what bosh says of a failure comes as the results table's command does (ssh writes nothing with -N).
  return [...deploymentFlags(t), 'ssh', t.instance, ...opts, '--json', ...gatewayFlags(t.major, gw)];
}
