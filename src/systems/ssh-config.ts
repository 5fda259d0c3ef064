/**
 * The part of the OpenSSH client configuration (ssh_config(5)) a cell connection needs,
 * so an operator's existing jumpbox setup works unchanged: Host blocks with `*`, `?`
 * and `!` patterns, first obtained value wins, HostName, Port, User, IdentityFile,
 * ProxyJump, UserKnownHostsFile, HostKeyAlias, Include. `Match` blocks are not
 * evaluated: their settings are skipped.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { UsageError } from '../core/errors.js';

export interface HostConfig {
  hostName?: string;
  port?: number;
  user?: string;
  /** In the order they were obtained (ssh tries them in that order). */
  identityFiles: string[];
  /** Raw ProxyJump value (`[user@]host[:port]`, comma-separated hops, or `none`). */
  proxyJump?: string;
  userKnownHostsFiles?: string[];
  /** The name the host key is looked up and recorded under in known_hosts, alone (no `[…]:port`). */
  hostKeyAlias?: string;
}

interface Line {
  keyword: string;
  args: string[];
  file: string;
  line: number;
}

interface Block {
  /** null: before any Host line (applies to every host); 'match': an unevaluated Match block. */
  patterns: string[] | null | 'match';
  lines: Line[];
}

export class SshConfig {
  private constructor(private readonly blocks: Block[]) {}

  static empty(): SshConfig {
    return new SshConfig([]);
  }

  static parse(text: string, file = '<config>', home = homedir()): SshConfig {
    const blocks: Block[] = [{ patterns: null, lines: [] }];
    collect(text, file, home, blocks, 0);
    return new SshConfig(blocks);
  }

  /** Reads a config file; a missing file is an empty configuration. */
  static load(file: string, home = homedir()): SshConfig {
    if (!existsSync(file)) return SshConfig.empty();
    return SshConfig.parse(readFileSync(file, 'utf8'), file, home);
  }

  /** The settings for `host` (the name as given, before HostName), first value wins. */
  resolve(host: string, home = homedir()): HostConfig {
    const out: HostConfig = { identityFiles: [] };
    const seen = new Set<string>();
    const lower = host.toLowerCase();
    for (const block of this.blocks) {
      if (block.patterns === 'match') continue;
      if (block.patterns !== null && !matchHostPatterns(block.patterns, lower)) continue;
      for (const { keyword, args, file, line } of block.lines) {
        const value = args[0];
        if (value === undefined) continue;
        if (keyword === 'identityfile') {
          out.identityFiles.push(value);
          continue;
        }
        if (seen.has(keyword)) continue;
        seen.add(keyword);
        switch (keyword) {
          case 'hostname':
            out.hostName = value.replace(/%h/g, host).replace(/%%/g, '%');
            break;
          case 'port': {
            const port = Number(value);
            if (!Number.isInteger(port) || port < 1 || port > 65535) {
              throw new UsageError(`${file}:${line}: Port ${value} is not a port number`);
            }
            out.port = port;
            break;
          }
          case 'user':
            out.user = value;
            break;
          case 'proxyjump':
            out.proxyJump = value;
            break;
          case 'userknownhostsfile':
            out.userKnownHostsFiles = args.map((a) => expandPath(a, home, host));
            break;
          case 'hostkeyalias':
            out.hostKeyAlias = value;
            break;
        }
      }
    }
    // %h in a path means the real host name, known only once HostName is settled.
    out.identityFiles = out.identityFiles.map((f) => expandPath(f, home, out.hostName ?? host));
    return out;
  }
}

function collect(text: string, file: string, home: string, blocks: Block[], depth: number): void {
  if (depth > 8) throw new UsageError(`${file}: Include nested too deeply`);
  text.split(/\r?\n/).forEach((raw, i) => {
    const parsed = parseLine(raw);
    if (!parsed) return;
    const { keyword, args } = parsed;
    if (keyword === 'host') {
      blocks.push({ patterns: args.map((a) => a.toLowerCase()), lines: [] });
    } else if (keyword === 'match') {
      blocks.push({ patterns: args.length === 1 && args[0]!.toLowerCase() === 'all' ? null : 'match', lines: [] });
    } else if (keyword === 'include') {
      for (const pattern of args) {
        for (const included of expandInclude(pattern, file, home)) {
          collect(readFileSync(included, 'utf8'), included, home, blocks, depth + 1);
        }
      }
    } else {
      blocks[blocks.length - 1]!.lines.push({ keyword, args, file, line: i + 1 });
    }
  });
}

/** `Keyword value…` or `Keyword=value`, with double-quoted arguments; comments and blanks → null. */
function parseLine(raw: string): { keyword: string; args: string[] } | null {
  const line = raw.trim();
  if (!line || line.startsWith('#')) return null;
  const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
  if (!m) return { keyword: line.toLowerCase(), args: [] };
  const args: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let t = re.exec(m[2]!); t; t = re.exec(m[2]!)) args.push(t[1] ?? t[2]!);
  return { keyword: m[1]!.toLowerCase(), args };
}

/** Include paths are relative to ~/.ssh and may use `*` and `?` in their last component. */
function expandInclude(pattern: string, file: string, home: string): string[] {
  let path = expandPath(pattern, home, '');
  if (!isAbsolute(path)) path = join(file.startsWith('/etc/') ? '/etc/ssh' : join(home, '.ssh'), path);
  if (!/[*?]/.test(basename(path))) return existsSync(path) ? [path] : [];
  const dir = dirname(path);
  if (!existsSync(dir)) return [];
  const name = basename(path);
  return readdirSync(dir)
    .filter((f) => matchPattern(name, f))
    .sort()
    .map((f) => join(dir, f));
}

/** `~`, `%d` (home), `%u` (local user), `%h` (host), `%%`. */
export function expandPath(value: string, home: string, host: string): string {
  let v = value;
  if (v === '~' || v.startsWith('~/')) v = home + v.slice(1);
  return v.replace(/%([%dhu])/g, (_, c: string) => {
    if (c === '%') return '%';
    if (c === 'd') return home;
    if (c === 'h') return host;
    return safeUser();
  });
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? '';
  }
}

/** One pattern with `*` and `?` against a whole name. */
export function matchPattern(pattern: string, name: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('') +
      '$',
  );
  return re.test(name);
}

/**
 * A pattern list (Host line, comma list of known_hosts): a matching negated pattern
 * vetoes the whole list; otherwise any matching positive pattern matches.
 */
export function matchHostPatterns(patterns: string[], name: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (matchPattern(p.slice(1), name)) return false;
    } else if (matchPattern(p, name)) {
      matched = true;
    }
  }
  return matched;
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
