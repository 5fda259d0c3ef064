/**
 * Whether S3 can be reached before a run needs it: credentials the AWS chain resolves, and the
 * endpoint (or the proxy requests to it go through) answering a TCP connection. That a bucket can be
 * listed is asked of the store itself.
 */
import { connect } from 'node:net';
import { s3Client, type S3ClientOptions } from './s3-client.js';
import { invocation } from '../../core/invocation.js';

export interface S3Reach {
  /** The store as messages name it. */
  where: string;
  /** Resolves the credentials of the AWS chain (environment, profile, instance role); throws when none resolve. */
  credentials(): Promise<void>;
  /** Opens and closes a TCP connection to the endpoint, or to the proxy on the way to it; what it reached. */
  connect(timeoutMs: number): Promise<string>;
}

export function s3Reach(opts: S3ClientOptions, env: NodeJS.ProcessEnv = invocation().env): S3Reach {
  const { client, agents, place, endpoint } = s3Client(opts, env, 1);
  return {
    where: place.where,
    async credentials() {
      const found = await client.config.credentials();
      place.redactor.register(found.secretAccessKey);
      place.redactor.register(found.sessionToken);
    },
    async connect(timeoutMs) {
      const target = new URL(agents.proxy ?? endpoint);
      const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
      const host = target.hostname.replace(/^\[|\]$/g, '');
      await new Promise<void>((resolve, reject) => {
        const socket = connect({ host, port, timeout: timeoutMs });
        socket.once('connect', () => {
          socket.destroy();
          resolve();
        });
        socket.once('timeout', () => {
          socket.destroy();
          reject(new Error(`no TCP connection to ${host}:${String(port)} within ${String(Math.round(timeoutMs / 1000))} s`));
        });
        socket.once('error', (err) => {
          reject(new Error(`cannot connect to ${host}:${String(port)}: ${err.message}`));
        });
      });
      return `${host}:${String(port)}${agents.proxy ? ' (the proxy)' : ''}`;
    },
  };
}
