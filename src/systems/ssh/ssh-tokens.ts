/** The % tokens and ${VAR}s of ssh_config(5) paths (IdentityFile, UserKnownHostsFile, IdentityAgent), expanded as OpenSSH does. */
import { createHash } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { UsageError } from '../../core/errors.js';
import { invocation } from '../../core/invocation.js';

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

/**
 * `~`, `${VAR}` from the environment, and %% %C %d %h %i %k %L %l %n %p %r %u as ssh_config(5)
 * defines them. A variable the environment does not set is an error, as in OpenSSH; `where` names
 * the setting in it.
 */
export function expandTokens(value: string, t: TokenValues, where: string): string {
  const tilde = value === '~' || value.startsWith('~/') ? t.home + value.slice(1) : value;
  const v = tilde.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
    const set = invocation().env[name];
    if (set === undefined || name === '') {
      throw new UsageError(`${where}: \${${name}} in ${value} is not set in the environment`, {
        hint: `set ${name || 'the variable'} before running dingo-recover, or write the path out in the ssh config`,
      });
    }
    return set;
  });
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
  return expandTokens(value, { home, host, originalHost: host, port: 22, remoteUser: localUser() }, 'a path given on the command line');
}

export function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return invocation().env.USER ?? invocation().env.LOGNAME ?? 'root';
  }
}
