/**
 * A webhook (`--notify URL`): one JSON POST, answered within a few seconds or given up. It goes
 * through the proxy the environment names for the URL (http-route.ts), as S3 and Elasticsearch do.
 * Its caller decides what a failure means; nothing here retries.
 */
import http from 'node:http';
import https from 'node:https';
import { agentsFor } from './http-route.js';

/** How long a webhook may take to answer. */
const NOTIFY_TIMEOUT_MS = 5000;

/** Posts `body` as JSON to `url`; resolves with the HTTP status when it is 2xx, else rejects saying why. */
export function postJson(
  url: string,
  body: unknown,
  o: { timeoutMs?: number; env?: Record<string, string | undefined> } = {},
): Promise<number> {
  const timeoutMs = o.timeoutMs ?? NOTIFY_TIMEOUT_MS;
  const target = new URL(url);
  const payload = Buffer.from(JSON.stringify(body));
  const agents = agentsFor(url, { maxSockets: 1, env: o.env });
  const send = target.protocol === 'https:' ? https.request : http.request;
  return new Promise<number>((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        agent: target.protocol === 'https:' ? agents.https : agents.http,
        headers: { 'content-type': 'application/json', 'content-length': payload.length, 'user-agent': 'dingo-recover' },
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(status);
          else reject(new Error(`it answered HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`));
        });
        res.on('error', reject);
      },
    );
    req.on('error', (err: Error & { code?: string }) => {
      reject(err.name === 'AbortError' || err.name === 'TimeoutError' ? new Error(`no answer within ${timeoutMs / 1000} s`) : err);
    });
    req.end(payload);
  }).finally(() => {
    agents.http.destroy();
    agents.https.destroy();
  });
}
