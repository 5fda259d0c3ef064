/**
 * Runs one swap in its own process so a test can SIGKILL it mid-way. The plan
 * is journaled to PLAN_FILE (fsynced) before the first write, as the engine's
 * journal does; a rerun loads it. Progress goes to stdout as JSON lines.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createS3Store } from '../../src/systems/s3/index.js';
import { runSwap, type SwapPlan } from '../../src/archive/swap.js';
import { Redactor } from '../../src/core/redact.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const planFile = env('PLAN_FILE');
const store = createS3Store({
  redactor: new Redactor(),
  endpoint: env('S3_ENDPOINT'),
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: env('AWS_ACCESS_KEY_ID'), secretAccessKey: env('AWS_SECRET_ACCESS_KEY') },
});
let plan: SwapPlan | undefined;
if (existsSync(planFile)) {
  const raw = JSON.parse(readFileSync(planFile, 'utf8')) as {
    stamp: string;
    objects: Array<{ key: string; size: number; etag: string; lastModified: string }>;
  };
  plan = { stamp: raw.stamp, objects: raw.objects.map((o) => ({ ...o, lastModified: new Date(o.lastModified) })) };
}
const bucket = env('BUCKET');
runSwap(
  store,
  { bucket, prefix: env('FROM') },
  { bucket, prefix: env('TO') },
  {
    redactor: new Redactor(),
    stamp: env('STAMP'),
    plan,
    concurrency: Number(process.env.CONCURRENCY ?? '2'),
    onPlan: (p) => {
      const fd = openSync(planFile, 'w');
      writeSync(fd, JSON.stringify(p));
      fsyncSync(fd);
      closeSync(fd);
    },
    onProgress: (e) => process.stdout.write(`${JSON.stringify(e)}\n`),
  },
).then(
  (report) => process.stdout.write(`DONE ${JSON.stringify(report)}\n`),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  },
);
