/**
 * The part of the OpenSSH client configuration (ssh_config(5)) a cell connection needs, read as
 * OpenSSH 9 reads it, so an operator's existing jumpbox setup works unchanged: the file is walked
 * in order; `Host` (patterns with `*`, `?` and `!`, case-sensitive, against the name as given) and
 * `Match` (all, host, originalhost, user, localuser, final; `!` negates) open blocks; `Include`
 * (globbed, relative to ~/.ssh) reads files in the scope of the block it stands in; the first value
 * obtained wins (IdentityFile and UserKnownHostsFile accumulate). Used: HostName, Port, User,
 * IdentityFile, IdentitiesOnly, IdentityAgent, ProxyJump, ProxyCommand (refused: it would run a
 * command), UserKnownHostsFile, HostKeyAlias, with their % tokens and ${VAR}s; ServerAliveInterval
 * and ServerAliveCountMax. `Match exec` is never run: its block is skipped, with a warning.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { UsageError } from '../../core/errors.js';
import { collect, readTrusted, type Item, type MatchLine, type Setting } from './ssh-config-file.js';
import { matchHostPatterns, matchPatternList } from './ssh-patterns.js';
import { expandTokens, localUser, type TokenValues } from './ssh-tokens.js';

export interface HostConfig {
  hostName?: string;
  port?: number;
  user?: string;
  /** In the order they were obtained (ssh tries them in that order), tokens expanded. */
  identityFiles: string[];
  /** Raw ProxyJump value (`[user@]host[:port]`, comma-separated hops, or `none`). */
  proxyJump?: string;
  /** A ProxyCommand that won over any ProxyJump, with where it was set: a command this tool does not run. */
  proxyCommand?: { command: string; where: string };
  /** Tokens expanded; `none` gives an empty list. */
  userKnownHostsFiles?: string[];
  /** The name the host key is looked up and recorded under in known_hosts, alone (no `[…]:port`). */
  hostKeyAlias?: string;
  /** As written (lowercased): read only to say it is not followed, since every host key is checked here. */
  strictHostKeyChecking?: string;
  /** IdentitiesOnly yes: of the agent's keys, only those of the identity files are offered. */
  identitiesOnly?: boolean;
  /** IdentityAgent: `none`, `SSH_AUTH_SOCK` (the environment's), or a socket path, expanded. */
  identityAgent?: string;
  /** ServerAliveInterval in seconds (0: off, OpenSSH's default). */
  serverAliveInterval?: number;
  /** ServerAliveCountMax: unanswered keepalives before the connection counts as lost. */
  serverAliveCountMax?: number;
}

/** What the caller knows beyond the config: flags that win over it, and the user when none is set. */
export interface Given {
  user?: string;
  port?: number;
  defaultUser?: string;
}

/** The criteria a Match line may use here; `exec` and the others are never evaluated. */
const MATCH_CRITERIA = new Set(['all', 'canonical', 'final', 'host', 'originalhost', 'user', 'localuser']);

export class SshConfig {
  /** What is read but never applied (Match exec...), for the operator. */
  readonly warnings: string[];

  private constructor(private readonly items: Item[]) {
    this.warnings = unevaluated(items).map(
      (m) =>
        `${m.where}: Match ${m.criteria.find((c) => !MATCH_CRITERIA.has(c.name))!.name} is not evaluated (dingo-recover runs no command from the ssh config): the settings of that block are skipped`,
    );
  }

  static empty(): SshConfig {
    return new SshConfig([]);
  }

  static parse(text: string, file = '<config>', home = homedir()): SshConfig {
    return new SshConfig(collect(text, file, home, 0));
  }

  /** Reads a config file; a missing file is an empty configuration. */
  static load(file: string, home = homedir()): SshConfig {
    if (!existsSync(file)) return SshConfig.empty();
    return SshConfig.parse(readTrusted(file), file, home);
  }

  /** The settings for `host` (the name as given, before HostName), first value wins. */
  resolve(host: string, home = homedir(), given: Given = {}): HostConfig {
    // Host and Match originalhost see the name as given, case and all; HostName and %h, lowercased.
    const original = host;
    const got = new Map<string, Setting>();
    const identityFiles: Setting[] = [];
    const knownHostsFiles: string[] = [];
    const hostNameSoFar = (): string => {
      const h = got.get('hostname')?.args[0];
      return (h ? h.replace(/%h/g, original).replace(/%%/g, '%') : original).toLowerCase();
    };
    const matches = (m: MatchLine): boolean =>
      m.criteria.every((c) => {
        const value = {
          all: () => true,
          final: () => true,
          canonical: () => false,
          host: () => matchPatternList(c.arg ?? '', hostNameSoFar()),
          originalhost: () => matchPatternList(c.arg ?? '', original),
          user: () => matchPatternList(c.arg ?? '', given.user ?? got.get('user')?.args[0] ?? given.defaultUser ?? localUser()),
          localuser: () => matchPatternList(c.arg ?? '', localUser()),
        }[c.name];
        return value ? value() !== c.negated : false;
      });
    const walk = (items: Item[], enclosing: boolean, never: boolean): void => {
      let active = enclosing;
      for (const it of items) {
        if (it.kind === 'host') active = !never && matchHostPatterns(it.patterns, original);
        else if (it.kind === 'match') active = !never && evaluable(it) && matches(it);
        else if (it.kind === 'include') for (const f of it.files) walk(f, active, never || !active);
        else if (active) take(it);
      }
    };
    const take = (s: Setting): void => {
      if (s.args.length === 0) return;
      if (s.keyword === 'identityfile') identityFiles.push(s);
      else if (s.keyword === 'userknownhostsfile') {
        if (!got.has('userknownhostsfile')) knownHostsFiles.push(...s.args);
        got.set('userknownhostsfile', s);
      } else {
        // ProxyJump and ProxyCommand: whichever comes first wins, as in OpenSSH.
        const key = s.keyword === 'proxyjump' || s.keyword === 'proxycommand' ? 'proxy' : s.keyword;
        if (!got.has(key)) got.set(key, s);
      }
    };
    walk(this.items, true, false);
    return this.settle(host, home, given, got, identityFiles, knownHostsFiles, hostNameSoFar());
  }

  private settle(
    host: string,
    home: string,
    given: Given,
    got: Map<string, Setting>,
    identityFiles: Setting[],
    knownHostsFiles: string[],
    hostName: string,
  ): HostConfig {
    const out: HostConfig = { identityFiles: [] };
    const value = (k: string): string | undefined => got.get(k)?.args[0];
    if (value('hostname')) out.hostName = hostName;
    const portSetting = got.get('port');
    if (portSetting) out.port = portNumber(portSetting);
    if (value('user')) out.user = value('user');
    if (value('hostkeyalias')) out.hostKeyAlias = value('hostkeyalias')!.toLowerCase();
    if (value('stricthostkeychecking')) out.strictHostKeyChecking = value('stricthostkeychecking')!.toLowerCase();
    if (value('identitiesonly')) out.identitiesOnly = value('identitiesonly')!.toLowerCase() === 'yes';
    const alive = got.get('serveraliveinterval');
    if (alive) out.serverAliveInterval = seconds(alive);
    const count = got.get('serveralivecountmax');
    if (count)
      out.serverAliveCountMax = /^\d+$/.test(count.args[0]!) ? Number(count.args[0]) : refuse(count, 'ServerAliveCountMax', 'a count');
    const proxy = got.get('proxy');
    if (proxy?.keyword === 'proxyjump') out.proxyJump = proxy.args[0];
    else if (proxy && proxy.args[0]!.toLowerCase() !== 'none') out.proxyCommand = { command: proxy.args.join(' '), where: proxy.where };
    const tokens: TokenValues = {
      home,
      host: out.hostName ?? host.toLowerCase(),
      originalHost: host,
      port: given.port ?? out.port ?? 22,
      remoteUser: given.user ?? out.user ?? given.defaultUser ?? localUser(),
      hostKeyAlias: out.hostKeyAlias,
    };
    out.identityFiles = identityFiles.map((f) => expandTokens(f.args[0]!, tokens, f.where));
    const agent = got.get('identityagent');
    if (agent)
      out.identityAgent = /^(none|SSH_AUTH_SOCK)$/.test(agent.args[0]!) ? agent.args[0] : expandTokens(agent.args[0]!, tokens, agent.where);
    if (got.has('userknownhostsfile'))
      out.userKnownHostsFiles = knownHostsFiles
        .filter((f) => f.toLowerCase() !== 'none')
        .map((f) => expandTokens(f, tokens, got.get('userknownhostsfile')!.where));
    return out;
  }
}

/** Whether every criterion of a Match line can be evaluated here. */
function evaluable(m: MatchLine): boolean {
  return m.criteria.every((c) => MATCH_CRITERIA.has(c.name));
}

/** The Match lines, in every included file too, that cannot be evaluated. */
function unevaluated(items: Item[]): MatchLine[] {
  return items.flatMap((it) =>
    it.kind === 'match' ? (evaluable(it) ? [] : [it]) : it.kind === 'include' ? it.files.flatMap(unevaluated) : [],
  );
}

/** A time as ssh_config(5) writes one: seconds, or numbers with s, m, h, d or w after each (1h30m). */
function seconds(s: Setting): number {
  const raw = s.args[0]!;
  const units: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  const parts = [...raw.matchAll(/(\d+)([smhdw]?)/gi)];
  if (!parts.length || parts.map((m) => m[0]).join('') !== raw) return refuse(s, 'ServerAliveInterval', 'a time (seconds, or like 1m30s)');
  return parts.reduce((sum, m) => sum + Number(m[1]) * units[m[2]!.toLowerCase()]!, 0);
}

function refuse(s: Setting, keyword: string, what: string): never {
  throw new UsageError(`${s.where}: ${keyword} ${s.args.join(' ')} is not ${what}`, {
    hint: 'correct that line of the ssh config (ssh -G refuses it too)',
  });
}

function portNumber(s: Setting): number {
  const raw = s.args[0]!;
  const port = raw === 'ssh' ? 22 : Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${s.where}: Port ${raw} is not a port number`);
  return port;
}

export interface JumpSpec {
  user?: string;
  host: string;
  port?: number;
}

/** ProxyJump value → hops, outermost first; `none` → []. */
export function parseProxyJump(value: string): JumpSpec[] {
  if (value.toLowerCase() === 'none') return [];
  return value.split(',').map((hop) => {
    const m = /^(?:ssh:\/\/)?(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hop.trim());
    if (!m) throw new UsageError(`ProxyJump ${value}: cannot read hop "${hop}"`, { hint: 'use [user@]host[:port]' });
    return {
      ...(m[1] ? { user: m[1] } : {}),
      host: m[2]!.replace(/^\[|\]$/g, ''),
      ...(m[3] ? { port: Number(m[3]) } : {}),
    };
  });
}
