/**
 * The S3 client as aws-cli would reach the endpoint: its region, endpoint, proxy, certificate
 * authorities and credentials; the secrets registered with the redactor before any request.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { readInputFile } from '../../core/input-file.js';
import { Redactor } from '../../core/redact.js';
import { stripUrlCredentials } from '../../core/url-secrets.js';
import { s3EndpointOf } from '../../core/s3-flags.js';
import { agentsFor, type Agents } from '../http-route.js';
import { proxyVariable } from '../http-proxy.js';
import { addDeadlines, DEFAULT_S3_ATTEMPTS, DEFAULT_S3_TIMEOUT_MS } from './s3-deadline.js';

export interface S3ClientOptions {
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  /** Absent: the environment's keys (envCredentials), else the SDK's standard credential chain (profile, instance role...). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Attempts per request, first one included (default 5: s3-deadline.ts). */
  maxAttempts?: number;
  /** How long an attempt may take to connect, to answer, and between stretches of its body (default 20 s; s3-deadline.ts). */
  timeoutMs?: number;
  /** The run's redactor: the credentials are registered with it. */
  redactor: Redactor;
}

/**
 * The region: --s3-region, else AWS_REGION or AWS_DEFAULT_REGION (as aws-cli reads them), else the
 * region of the AWS_PROFILE profile (the SDK's own lookup, made only when needed), else us-east-1.
 * `resolved` is told the profile's region once it is known.
 */
function regionOf(opts: S3ClientOptions, env: NodeJS.ProcessEnv, resolved: (region: string) => void): string | (() => Promise<string>) {
  const given = opts.region ?? (env.AWS_REGION || undefined) ?? (env.AWS_DEFAULT_REGION || undefined);
  if (given) return given;
  let profile: Promise<string> | undefined;
  return () =>
    (profile ??= new S3Client({}).config.region().then(
      (r) => r,
      () => 'us-east-1',
    )).then((r) => {
      resolved(r);
      return r;
    });
}

/**
 * The keys in the command line's environment, taken as the SDK's chain takes them first
 * (@aws-sdk/credential-provider-node `defaultProvider`: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,
 * with AWS_SESSION_TOKEN, unless AWS_PROFILE names a profile). Read here, not by the SDK, whose chain
 * reads the process's environment: a command line run inside another program has an environment of its own.
 */
function envCredentials(env: NodeJS.ProcessEnv): S3ClientOptions['credentials'] {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  if (env.AWS_PROFILE || !accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** The endpoint requests go to, as the SDK picks it (--s3-endpoint, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS). */
function endpointOf(opts: S3ClientOptions, region: string | undefined, env: NodeJS.ProcessEnv): string {
  return opts.endpoint ?? (env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || `https://s3.${region ?? 'us-east-1'}.amazonaws.com`);
}

/** AWS_CA_BUNDLE's certificate authorities, as aws-cli trusts them. */
function caBundle(env: NodeJS.ProcessEnv): string | undefined {
  const file = env.AWS_CA_BUNDLE;
  if (!file) return undefined;
  return readInputFile(file, {
    what: 'AWS_CA_BUNDLE',
    maxBytes: 16 * 1024 * 1024,
    hint: 'point AWS_CA_BUNDLE at the PEM file of the certificate authorities that sign the S3 endpoint, or unset it',
  });
}

/** Where requests go, for messages: the endpoint (or region), the proxy, and where the credentials come from. */
export interface S3Place {
  /** The endpoint, or the region when none is given: the profile's once it is known. */
  target: string;
  /** In words: "s3 http://… via proxy http://proxy:3128" (no password), or "s3 REGION": the profile's once it is known. */
  where: string;
  /** The proxy requests go through, without its user and password; undefined when direct. */
  proxy?: string;
  /** The variable that named the proxy (HTTPS_PROXY, http_proxy...). */
  proxyVariable?: string;
  /** AWS_PROFILE, when it names the credentials' profile. */
  profile?: string;
  /** AWS_CA_BUNDLE, when it is set. */
  caBundle?: string;
  /** What the store's messages are redacted with. */
  redactor: Redactor;
}

/** The client, the HTTP agents it sends through, and where it goes (a place its messages name). */
export function s3Client(
  given: S3ClientOptions,
  env: NodeJS.ProcessEnv,
  maxSockets: number,
): { client: S3Client; agents: Agents; place: S3Place; endpoint: string; timeoutMs: number } {
  // An endpoint in wal-e's form names its addressing; a path-style flag given says it first.
  const named = given.endpoint === undefined ? undefined : s3EndpointOf(given.endpoint);
  const opts = { ...given, endpoint: named?.url, forcePathStyle: given.forcePathStyle ?? named?.pathStyle };
  const redactor = opts.redactor;
  const credentials = opts.credentials ?? envCredentials(env);
  if (credentials) {
    redactor.register(credentials.secretAccessKey);
    redactor.register(credentials.sessionToken);
  }
  const place: S3Place = { target: '', where: '', redactor };
  const aim = (to: string) => {
    place.target = to;
    place.where = `s3 ${to}${place.proxy ? ` via proxy ${redactor.redact(place.proxy)}` : ''}`;
  };
  // Without an endpoint a store is named by its region: the profile's once the SDK has read it.
  const region = regionOf(opts, env, (r) => {
    aim(opts.endpoint ?? r);
  });
  const known = typeof region === 'string' ? region : undefined;
  const endpoint = endpointOf(opts, known, env);
  // Through the proxy aws-cli would take to this endpoint (HTTPS_PROXY, NO_PROXY...), trusting AWS_CA_BUNDLE.
  const agents = agentsFor(endpoint, { maxSockets, ca: caBundle(env), env, redactor });
  if (agents.proxy) {
    place.proxy = stripUrlCredentials('proxy', agents.proxy, redactor).url.replace(/\/$/, '');
    place.proxyVariable = proxyVariable(endpoint, env);
  }
  if (!opts.credentials && env.AWS_PROFILE) place.profile = env.AWS_PROFILE;
  if (env.AWS_CA_BUNDLE) place.caBundle = env.AWS_CA_BUNDLE;
  aim(opts.endpoint ?? known ?? endpoint);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_S3_TIMEOUT_MS;
  const config: S3ClientConfig = {
    region,
    endpoint: opts.endpoint,
    forcePathStyle: opts.forcePathStyle,
    credentials,
    maxAttempts: opts.maxAttempts ?? DEFAULT_S3_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: {
      httpAgent: agents.http,
      httpsAgent: agents.https,
      connectionTimeout: timeoutMs,
      requestTimeout: timeoutMs,
      throwOnRequestTimeout: true,
      // A backstop only: the body's own watch (s3-deadline.ts) names the server and fires first.
      socketTimeout: 3 * timeoutMs,
    },
    // Resolve each command's middleware stack once, not on every request: a swap sends one
    // CopyObject per object, and building the stack was a fifth of the client's CPU per request.
    // Nothing changes the stack after the client is made.
    cacheMiddleware: true,
  };
  const client = new S3Client(config);
  // No logger is given, yet the SDK's logger middleware builds a redacted copy of every input and
  // output for it (for a LIST, all 1000 entries of the page): a tenth of the client's CPU per request.
  client.middlewareStack.remove('loggerMiddleware');
  addDeadlines(client, timeoutMs);
  return { client, agents, place, endpoint, timeoutMs };
}
