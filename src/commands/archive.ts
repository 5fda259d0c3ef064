/**
 * `dingo-recover archive inspect|swap`: the archive steps of the runbook, on their own.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { inspectArchive } from '../wale/inspect.js';
import { renderReport } from '../wale/render.js';
import { parseS3Url } from '../wale/url.js';
import { runSwap, formatProgress, type SwapPlan } from '../archive/swap.js';
import { s3FlagOptions, storeFromFlags, type S3Flags } from '../drill/s3-flags.js';
import { StepFailed } from '../engine/errors.js';

interface InspectArgs extends S3Flags {
  url: string;
  json?: boolean;
}

const inspect: CommandModule<object, InspectArgs> = {
  command: 'inspect <url>',
  describe: 'Prove a wal-e archive restorable: base backups, LATEST, WAL chain, gaps',
  builder: (y: Argv<object>) =>
    y
      .positional('url', { type: 'string', demandOption: true, describe: 's3://BUCKET/backups/GUID/wal/' })
      .options(s3FlagOptions)
      .example('$0 archive inspect s3://our-postgresql-backups/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/ --json', 'the report as JSON') as unknown as Argv<InspectArgs>,
  handler: async (argv) => {
    const report = await inspectArchive(storeFromFlags(argv), argv.url);
    process.stdout.write(argv.json ? JSON.stringify(report, null, 2) + '\n' : renderReport(report));
    if (!report.restorable) process.exitCode = 1;
  },
};

interface SwapArgs extends S3Flags {
  from: string;
  to: string;
  concurrency: number;
  plan?: string;
  'state-dir': string;
  json?: boolean;
}

const swap: CommandModule<object, SwapArgs> = {
  command: 'swap',
  describe: 'Move the target archive aside to a dated quarantine, copy the source in, verify',
  builder: (y: Argv<object>) =>
    y
      .option('from', { type: 'string', demandOption: true, describe: 'the archive to restore (only read)' })
      .option('to', { type: 'string', demandOption: true, describe: 'the prefix the new instance restores from' })
      .option('concurrency', { type: 'number', default: 32, describe: 'parallel server-side copies' })
      .option('plan', { type: 'string', describe: 'plan file: written before the first change, reused to resume (default: in --state-dir)' })
      .options(s3FlagOptions)
      .example('$0 archive swap --from s3://b/backups/OLD/wal/ --to s3://b/backups/NEW/wal/', 'swap, resumable after a crash by running it again') as unknown as Argv<SwapArgs>,
  handler: async (argv) => {
    const from = parseS3Url(argv.from);
    const to = parseS3Url(argv.to);
    const planFile = resolve(argv.plan ?? join(argv['state-dir'], 'swaps', `${to.bucket}_${to.prefix.replace(/[^A-Za-z0-9.-]+/g, '_')}.json`));
    const plan = existsSync(planFile) ? (JSON.parse(readFileSync(planFile, 'utf8')) as SwapPlan) : undefined;
    if (plan) {
      plan.objects = plan.objects.map((o) => ({ ...o, lastModified: new Date(o.lastModified) }));
      process.stderr.write(`resuming the swap planned in ${planFile} (quarantine stamp ${plan.stamp})\n`);
    }
    const report = await runSwap(storeFromFlags(argv), from, to, {
      concurrency: argv.concurrency,
      plan,
      onPlan: (p) => {
        mkdirSync(resolve(planFile, '..'), { recursive: true });
        writeFileSync(planFile, JSON.stringify(p));
        process.stderr.write(`plan written to ${planFile}: ${p.objects.length} object(s) to quarantine with stamp ${p.stamp}\n`);
      },
      onProgress: (e) => process.stderr.write(formatProgress(e) + '\n'),
    });
    if (!report.verify.ok) throw new StepFailed(`the target differs from the source after the copy`, { hint: 'run the same command again to finish' });
    process.stdout.write(argv.json ? JSON.stringify(report, null, 2) + '\n' : `swapped: ${report.from} → ${report.to}; the target's previous objects are in its .quarantine-${report.stamp}/ prefix\n`);
  },
};

export const archiveCommand: CommandModule = {
  command: 'archive <command>',
  describe: 'wal-e archive tools: inspect, swap',
  builder: (y) => y.command(inspect as unknown as CommandModule).command(swap as unknown as CommandModule).demandCommand(1),
  handler: () => undefined,
};
