/** The % tokens of ssh_config(5) paths (IdentityFile, UserKnownHostsFile), expanded as OpenSSH does. */
import { createHash } from 'node:crypto';
import { hostname, userInfo } from 'node:os';

/** What the % tokens of IdentityFile and UserKnownHostsFile stand for. */
export interface TokenValues {
  home: string;
  /** %h: the host name after HostName. */
  host: string;
  /** %n: the name as given. */
  originalHost: string;
  port: number;
  remoteUser: string;
  hostKeyAlias?: string;
}

/** `~`, and %% %C %d %h %i %k %L %l %n %p %r %u as ssh_config(5) defines them. */
export function expandTokens(value: string, t: TokenValues): string {
  const v = value === '~' || value.startsWith('~/') ? t.home + value.slice(1) : value;
  const local = hostname();
  return v.replace(/%([%CdhikLlnpru])/g, (_, c: string) => {
    switch (c) {
      case '%':
        return '%';
      case 'C':
        return createHash('sha1').update(`${local}${t.host}${t.port}${t.remoteUser}`).digest('hex');
      case 'd':
        return t.home;
      case 'h':
        return t.host;
      case 'i':
        return String(process.getuid?.() ?? '');
      case 'k':
        return t.hostKeyAlias ?? t.originalHost;
      case 'L':
        return local.split('.')[0]!;
      case 'l':
        return local;
      case 'n':
        return t.originalHost;
      case 'p':
        return String(t.port);
      case 'r':
        return t.remoteUser;
      default:
        return localUser();
    }
  });
}

/** A path from a flag (--ssh-key, --known-hosts): `~` and the tokens that need no host. */
export function expandPath(value: string, home: string, host: string): string {
  return expandTokens(value, { home, host, originalHost: host, port: 22, remoteUser: localUser() });
}

export function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? 'root';
  }
}
