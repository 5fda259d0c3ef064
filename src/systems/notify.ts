/**
 * A webhook (`--notify URL`): one JSON POST, answered within a few seconds or given up. It goes
 * through the proxy the environment names for the URL (http-proxy.ts), as S3 and Elasticsearch do.
 * The deadline covers the whole exchange (connecting, the headers, the last byte of the body), so
 * a webhook that stalls or trickles its answer is given up as one that never answers. Its caller
 * decides what a failure means; nothing here retries (a notice is a courtesy, never a stop).
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import type { Redactor } from '../core/redact.js';
import { agentsFor } from './http-route.js';

/** How long a webhook may take to answer. */
const NOTIFY_TIMEOUT_MS = 5000;

/**
 * `postJson` while this process waits and nothing else of it runs: a child node process posts
 * (given the URL and body on its stdin, never in its arguments), within the same timeout. The reason
 * it was not sent, or null.
 */
export function postJsonBlocking(url: string, body: unknown, timeoutMs = NOTIFY_TIMEOUT_MS): string | null {
  const self = new URL(import.meta.url).href;
  // The child meets no secret but the proxy's, which it redacts from its answer with a redactor of its own.
  const redact = new URL('../core/redact.js', import.meta.url).href;
  const script = `let t='';process.stdin.on('data',(d)=>{t+=d}).on('end',async()=>{const {url,body,timeoutMs}=JSON.parse(t);
const redactor=new (await import(${JSON.stringify(redact)})).Redactor();
try{await (await import(${JSON.stringify(self)})).postJson(url,body,{timeoutMs,redactor});}catch(e){process.stderr.write(redactor.redact(String(e&&e.message||e)));process.exit(1);}});`;
  // The parent's loader flags (tsx when run from source) let the child import this very module.
  const child = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], {
    input: JSON.stringify({ url, body, timeoutMs }),
    encoding: 'utf8',
    timeout: timeoutMs + 2000,
  });
  if (child.error) return child.error.message;
  if (child.status === 0) return null;
  return child.stderr.trim() || `the notifying process ended with ${child.signal ?? `exit code ${child.status}`}`;
}

/** Posts `body` as JSON to `url`; resolves with the HTTP status when it is 2xx, else rejects saying why. */
export function postJson(
  url: string,
  body: unknown,
  o: { timeoutMs?: number; env?: Record<string, string | undefined>; redactor: Redactor },
): Promise<number> {
  const timeoutMs = o.timeoutMs ?? NOTIFY_TIMEOUT_MS;
  const target = new URL(url);
  const payload = Buffer.from(JSON.stringify(body));
  const agents = agentsFor(url, { maxSockets: 1, env: o.env, redactor: o.redactor });
  const send = target.protocol === 'https:' ? https.request : http.request;
  const late = (): Error => new Error(`${target.host} gave no answer within ${timeoutMs / 1000} s`);
  const signal = AbortSignal.timeout(timeoutMs);
  return new Promise<number>((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        agent: target.protocol === 'https:' ? agents.https : agents.http,
        headers: { 'content-type': 'application/json', 'content-length': payload.length, 'user-agent': 'dingo-recover' },
        signal,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(status);
          else reject(new Error(`it answered HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`));
        });
        res.on('error', (err) => {
          reject(signal.aborted ? late() : err);
        });
      },
    );
    req.on('error', (err: Error & { code?: string }) => {
      reject(signal.aborted ? late() : err);
    });
    req.end(payload);
  }).finally(() => {
    agents.http.destroy();
    agents.https.destroy();
  });
}
