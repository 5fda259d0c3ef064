/**
 * Keep-alive agents that reach an HTTP(S) endpoint as aws-cli would: through the proxy the environment
 * names for it (http-proxy.ts), and for https trusting the certificate authorities of `AWS_CA_BUNDLE`
 * (a PEM file, instead of the system's) as aws-cli does.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import type { Redactor } from '../core/redact.js';
import { proxyFor, type Env } from './http-proxy.js';
import { invocation } from '../core/invocation.js';

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

/** Keep-alive agents for requests to `endpoint`: through the proxy http-proxy.ts picks for it, or direct. */
export function agentsFor(endpoint: string, o: AgentOptions): Agents {
  const proxy = proxyFor(endpoint, o.env ?? invocation().env, o.redactor);
  const base = { keepAlive: true, maxSockets: o.maxSockets ?? 50 };
  const trust = o.ca === undefined ? {} : { ca: o.ca };
  if (!proxy) return { http: new http.Agent(base), https: new https.Agent({ ...base, ...trust }) };
  return { http: new HttpProxyAgent(proxy, base), https: new TunnelAgent(proxy, base, trust), proxy };
}
