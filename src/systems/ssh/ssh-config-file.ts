/**
 * An ssh_config(5) file read into its lines as OpenSSH 9 reads them: `Keyword value…` or
 * `Keyword=value` with double-quoted arguments, `Host` and `Match` lines, and `Include` (globbed,
 * relative to ~/.ssh, or /etc/ssh for the system file) read in place, each file refused as OpenSSH
 * refuses one another account may write. What the lines mean for a host is ssh-config.ts's.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { checkTrusted } from '../../core/file-trust.js';
import { matchPattern } from './ssh-patterns.js';

export interface Setting {
  kind: 'setting';
  keyword: string;
  args: string[];
  where: string;
}
interface HostLine {
  kind: 'host';
  patterns: string[];
}
export interface MatchLine {
  kind: 'match';
  criteria: { negated: boolean; name: string; arg?: string }[];
  where: string;
}
interface IncludeLine {
  kind: 'include';
  files: Item[][];
}
export type Item = Setting | HostLine | MatchLine | IncludeLine;

/**
 * A config file's text, refused as OpenSSH refuses one ("Bad owner or permissions"): its settings
 * choose the host, user, key and known hosts a root run connects with, so another account that owns
 * it, or may write it or a folder above it, could send the run, and the operator's key, elsewhere.
 */
export function readTrusted(file: string): string {
  checkTrusted(file, 'ssh config');
  return readFileSync(file, 'utf8');
}

export function collect(text: string, file: string, home: string, depth: number): Item[] {
  if (depth > 16) throw new UsageError(`${file}: Include nested too deeply`);
  const items: Item[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const parsed = parseLine(raw);
    if (!parsed) return;
    const { keyword, args } = parsed;
    const where = `${file}:${i + 1}`;
    if (keyword === 'host') items.push({ kind: 'host', patterns: args });
    else if (keyword === 'match') items.push({ kind: 'match', criteria: matchCriteria(args, where), where });
    else if (keyword === 'include')
      items.push({
        kind: 'include',
        files: args.flatMap((p) => expandInclude(p, file, home)).map((f) => collect(readTrusted(f), f, home, depth + 1)),
      });
    else items.push({ kind: 'setting', keyword, args, where });
  });
  return items;
}

/** `Match [!]criterion [pattern-list] …`: `all`, `canonical` and `final` take no argument. */
function matchCriteria(args: string[], where: string): MatchLine['criteria'] {
  const out: MatchLine['criteria'] = [];
  for (let i = 0; i < args.length; i++) {
    const negated = args[i]!.startsWith('!');
    const name = args[i]!.slice(negated ? 1 : 0).toLowerCase();
    if (name === 'all' || name === 'canonical' || name === 'final') {
      out.push({ negated, name });
      continue;
    }
    const arg = args[++i];
    if (arg === undefined) throw new UsageError(`${where}: Match ${name} needs an argument`);
    out.push({ negated, name, arg });
  }
  return out;
}

/**
 * `Keyword value…` or `Keyword=value`, with double-quoted arguments; an unquoted word that starts
 * with `#` ends the line, as OpenSSH reads it. Comments and blanks → null.
 */
function parseLine(raw: string): { keyword: string; args: string[] } | null {
  const line = raw.trim();
  if (!line || line.startsWith('#')) return null;
  const m = /^([^\s=]+)(?:\s*=\s*|\s+)?(.*)$/.exec(line)!;
  const args: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let t = re.exec(m[2]!); t; t = re.exec(m[2]!)) {
    if (t[2]?.startsWith('#')) break;
    args.push(t[1] ?? t[2]!);
  }
  return { keyword: m[1]!.toLowerCase(), args };
}

/** Include paths are relative to ~/.ssh (or /etc/ssh for the system file); any component may hold `*` and `?`. */
function expandInclude(pattern: string, file: string, home: string): string[] {
  let path = pattern === '~' || pattern.startsWith('~/') ? home + pattern.slice(1) : pattern;
  if (!isAbsolute(path)) path = join(file.startsWith('/etc/') ? '/etc/ssh' : join(home, '.ssh'), path);
  let found = ['/'];
  for (const part of path.split('/').filter(Boolean)) {
    if (!/[*?]/.test(part)) {
      found = found.map((d) => join(d, part)).filter((p) => existsSync(p));
      continue;
    }
    // As glob(3): a wildcard never matches a leading dot; the matches are sorted.
    found = found.flatMap((d) =>
      listDir(d)
        .filter((n) => !n.startsWith('.') && matchPattern(part, n))
        .sort()
        .map((n) => join(d, n)),
    );
  }
  return found;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
