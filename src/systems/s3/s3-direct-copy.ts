/**
 * CopyObject as a plain signed PUT. The SDK spends about a millisecond of CPU per CopyObject
 * (middleware, serialising, parsing); with 10,000 small copies one thread is CPU-bound long
 * before S3's concurrency is. The route (protocol, host, port, path before the key) is learned
 * from a copy the SDK made, the request is signed by the client's own signer, and anything but
 * a clean 200 with an ETag returns undefined so the caller copies through the SDK, whose errors
 * the store knows how to describe.
 */
import http from 'node:http';
import https from 'node:https';
import type { S3Client } from '@aws-sdk/client-s3';
import { watchBody } from './s3-deadline.js';

export interface CopyRoute {
  protocol: string;
  hostname: string;
  port?: number;
  /** The path up to the key: `/bucket/` (path style) or `/` (virtual host). */
  prefix: string;
  /** Direct copies on this route that failed in a row (the store stops trying after a few). */
  misses: number;
}

/** The query the SDK puts on a CopyObject: sent the same way, a server or a proxy sees one request either way. */
const COPY_QUERY = { 'x-id': 'CopyObject' };

export interface DirectCopyOutput {
  etag: string;
  lastModified?: Date;
}

/** The SDK's encoding of a key in a path: every byte but unreserved ones and `/`. */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

/** The route of a request the SDK sent for `key`, or undefined if its path does not end with it. */
export function routeOf(req: { protocol?: string; hostname?: string; port?: number; path?: string }, key: string): CopyRoute | undefined {
  const tail = encodeKey(key);
  if (!req.hostname || !req.path?.endsWith(tail)) return undefined;
  return {
    protocol: req.protocol ?? 'https:',
    hostname: req.hostname,
    port: req.port,
    prefix: req.path.slice(0, req.path.length - tail.length),
    misses: 0,
  };
}

export class DirectCopy {
  /** The client's own agents and deadline: the same sockets, proxy, trusted certificate authorities and timeouts as its requests. */
  constructor(
    private readonly client: S3Client,
    private readonly agents: { http: http.Agent; https: http.Agent },
    private readonly timeoutMs: number,
  ) {}

  /** One copy on `route`; undefined on any failure or unexpected answer. */
  async copy(route: CopyRoute, key: string, copySource: string): Promise<DirectCopyOutput | undefined> {
    try {
      const signer = await this.client.config.signer();
      const port = route.port ? `:${route.port}` : '';
      const signed = await signer.sign(
        {
          method: 'PUT',
          protocol: route.protocol,
          hostname: route.hostname,
          port: route.port,
          path: route.prefix + encodeKey(key),
          query: COPY_QUERY,
          headers: {
            host: route.hostname + port,
            'x-amz-copy-source': copySource,
            'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
            'content-length': '0',
          },
          body: undefined,
        },
        { signingRegion: await this.client.config.region(), signingService: 's3' },
      );
      const body = await this.send(route, `${signed.path}?${new URLSearchParams(COPY_QUERY).toString()}`, signed.headers);
      return body === undefined ? undefined : parseCopyResult(body);
    } catch {
      return undefined;
    }
  }

  private send(route: CopyRoute, path: string, headers: Record<string, string>): Promise<string | undefined> {
    const secure = route.protocol === 'https:';
    const request = secure ? https.request : http.request;
    return new Promise((resolve) => {
      const req = request(
        { method: 'PUT', hostname: route.hostname, port: route.port, path, headers, agent: secure ? this.agents.https : this.agents.http },
        (res) => {
          let text = '';
          const body = watchBody(res, this.timeoutMs, () => `S3 at ${route.hostname}:${route.port ?? ''}`);
          body.setEncoding('utf8');
          body.on('data', (d: string) => (text += d));
          body.on('end', () => {
            resolve(res.statusCode === 200 ? text : undefined);
          });
          body.on('error', () => {
            req.destroy();
            resolve(undefined);
          });
        },
      );
      // Silent past the deadline (connecting, or before its headers): the copy goes through the SDK.
      req.setTimeout(this.timeoutMs, () => req.destroy());
      req.on('error', () => {
        resolve(undefined);
      });
      req.end();
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

/** ETag and LastModified of a CopyObjectResult; undefined for an <Error> body or one without an ETag. */
export function parseCopyResult(xml: string): DirectCopyOutput | undefined {
  if (!xml.includes('<CopyObjectResult') || xml.includes('<Error>')) return undefined;
  const etag = /<ETag>([^<]*)<\/ETag>/.exec(xml)?.[1];
  if (!etag) return undefined;
  const modified = /<LastModified>([^<]*)<\/LastModified>/.exec(xml)?.[1];
  const lastModified = modified ? new Date(modified) : undefined;
  return {
    etag: etag.replace(/&quot;|&#34;/g, '"'),
    lastModified: lastModified && !isNaN(lastModified.getTime()) ? lastModified : undefined,
  };
}
