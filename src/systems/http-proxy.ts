/**
 * Which proxy a request goes through, by aws-cli's rules, so a jumpbox that reaches S3 and
 * Elasticsearch with aws-cli and curl reaches them with dingo-recover too:
 * - the proxy is `https_proxy`/`HTTPS_PROXY` for an https URL, `http_proxy`/`HTTP_PROXY` for an
 *   http one (the lower-case name first; a proxy without a scheme is `http://`);
 * - `no_proxy`/`NO_PROXY` lists hosts reached directly: `*` is every host; `example.com` and
 *   `.example.com` are that host and every host under it; `host:port` only on that port.
 */
import type { Redactor } from '../core/redact.js';

export type Env = Record<string, string | undefined>;

function envValue(env: Env, name: string): string | undefined {
  return env[name.toLowerCase()] || env[name.toUpperCase()] || undefined;
}

/** Whether `no_proxy` sends requests to `host` (and `port`) directly. */
export function bypassesProxy(host: string, port: string, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const hostname = host.replace(/^\[|\]$/g, '').toLowerCase();
  return noProxy
    .split(',')
    .map((n) => n.trim().toLowerCase())
    .filter(Boolean)
    .some((entry) => {
      if (entry === '*') return true;
      const at = /^(.*):(\d+)$/.exec(entry);
      if (at && at[2] !== port) return false;
      const name = (at ? at[1]! : entry).replace(/^\*?\.+/, '').replace(/^\[|\]$/g, '');
      return name !== '' && (hostname === name || hostname.endsWith(`.${name}`));
    });
}

/** The proxy requests to `url` go through, or undefined for a direct connection; its password is registered with `redactor`. */
export function proxyFor(url: string | URL, env: Env, redactor: Redactor): string | undefined {
  const target = new URL(url);
  const scheme = target.protocol.replace(/:$/, '');
  const port = target.port || (scheme === 'https' ? '443' : '80');
  if (bypassesProxy(target.hostname, port, envValue(env, 'no_proxy'))) return undefined;
  const proxy = envValue(env, `${scheme}_proxy`);
  if (!proxy) return undefined;
  const withScheme = proxy.includes('://') ? proxy : `http://${proxy}`;
  const password = URL.canParse(withScheme) ? new URL(withScheme).password : '';
  if (password) redactor.register(decodeURIComponent(password));
  return withScheme;
}

/** The variable the proxy of `endpoint` is read from (the lower-case name first), to name it in a message. */
export function proxyVariable(endpoint: string, env: Env): string {
  const scheme = new URL(endpoint).protocol === 'https:' ? 'https' : 'http';
  return env[`${scheme}_proxy`] ? `${scheme}_proxy` : `${scheme.toUpperCase()}_PROXY`;
}
