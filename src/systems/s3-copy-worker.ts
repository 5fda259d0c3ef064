/**
 * A worker thread of the S3 copy pool (s3-copy-pool.ts): its own S3 client, made from the same
 * settings as the store's, sending the CopyObject requests posted to it. Errors go back as the
 * fields the store's error messages read (name, Code, code, message, $metadata).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CopyObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { CopyReply, CopyRequest } from './s3-copy-pool.js';

// The SDK's warning about Node versions is silenced for the store's own client too (s3.ts).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const port = parentPort!;
const client = new S3Client(workerData as S3ClientConfig);
client.middlewareStack.remove('loggerMiddleware');

port.on('message', (m: CopyRequest) => {
  client.send(new CopyObjectCommand(m.input)).then(
    (r) => {
      const reply: CopyReply = { id: m.id, etag: r.CopyObjectResult?.ETag, lastModified: r.CopyObjectResult?.LastModified?.getTime() };
      port.postMessage(reply);
    },
    (err: unknown) => {
      const e = (err ?? {}) as { name?: string; message?: string; Code?: string; code?: string; $metadata?: unknown };
      const reply: CopyReply = {
        id: m.id,
        error: { name: e.name, message: e.message ?? String(err), Code: e.Code, code: e.code, $metadata: e.$metadata },
      };
      port.postMessage(reply);
    },
  );
});
port.postMessage('ready');
