/**
 * How this machine reaches an HTTP(S) endpoint, by aws-cli's rules, so a jumpbox that reaches S3
 * and Elasticsearch with aws-cli and curl reaches them with dingo-recover too:
 * - the proxy is `https_proxy`/`HTTPS_PROXY` for an https URL, `http_proxy`/`HTTP_PROXY` for an
 *   http one (the lower-case name first; a proxy without a scheme is `http://`);
 * - `no_proxy`/`NO_PROXY` lists hosts reached directly: `*` is every host; `example.com` and
 *   `.example.com` are that host and every host under it; `host:port` only on that port;
 * - `AWS_CA_BUNDLE` names a PEM file of the certificate authorities S3's certificate is checked
 *   against (instead of the system's), as it does for aws-cli.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { Redactor } from '../core/redact.js';

type Env = Record<string, string | undefined>;

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

export interface Agents {
  http: http.Agent;
  /** For https endpoints (an https.Agent, or a tunnel through the proxy). */
  https: http.Agent;
  /** The proxy they go through, if any (its password redacted in every message). */
  proxy?: string;
}

export interface AgentOptions {
  maxSockets?: number;
  /** PEM certificate authorities to trust instead of the system's (as aws-cli does with AWS_CA_BUNDLE). */
  ca?: string | Buffer;
  env?: Env;
  /** Registers the proxy's password. */
  redactor: Redactor;
}

/**
 * A tunnel through the proxy whose TLS to the endpoint trusts `ca`: the agent hands its own options
 * to the proxy connection only, the endpoint's TLS takes the request's, which the SDK does not set.
 */
class TunnelAgent extends HttpsProxyAgent<string> {
  constructor(
    proxy: string,
    options: http.AgentOptions,
    private readonly trust: { ca?: string | Buffer },
  ) {
    super(proxy, options);
  }

  override connect(
    req: http.ClientRequest,
    opts: Parameters<HttpsProxyAgent<string>['connect']>[1],
  ): ReturnType<HttpsProxyAgent<string>['connect']> {
    if (!opts.secureEndpoint) return super.connect(req, opts);
    // The tunnel's TLS is made without the endpoint's host: check the certificate against it here.
    const host = opts.host ?? '';
    return super.connect(req, { ...opts, ...this.trust, checkServerIdentity: (_name, cert) => tls.checkServerIdentity(host, cert) });
  }
}

/** Keep-alive agents for requests to `endpoint`: through the proxy the rules above pick for it, or direct. */
export function agentsFor(endpoint: string, o: AgentOptions): Agents {
  const proxy = proxyFor(endpoint, o.env ?? process.env, o.redactor);
  const base = { keepAlive: true, maxSockets: o.maxSockets ?? 50 };
  const trust = o.ca === undefined ? {} : { ca: o.ca };
  if (!proxy) return { http: new http.Agent(base), https: new https.Agent({ ...base, ...trust }) };
  return { http: new HttpProxyAgent(proxy, base), https: new TunnelAgent(proxy, base, trust), proxy };
}
