/**
 * `dingo-recover archive inspect|swap`: the archive steps of the runbook, on their own.
 *
 * Exit codes of `archive inspect`: 0 restorable and complete (replay reaches the newest archived
 * WAL); 4 not restorable, or restorable only up to a hole in the WAL after LATEST's stop (the
 * JSON says "complete": false and the "lost" range); 1 the archive could not be read; 2 bad usage.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import type { ArchiveReport } from '../wale/report.js';
import { parseS3Location, urlOf, type S3Location } from '../archive/location.js';
import type { SwapPlan } from '../archive/swap.js';
import { formatBytes } from '../core/format.js';
import { s3FlagOptions, storeFromFlags } from './s3-flags.js';
import { type S3Flags } from '../core/s3-flags.js';
import { NeedsOperator, StepFailed, UsageError } from '../core/errors.js';
import { TerminalPrompter, type Prompter } from '../engine/prompts.js';
import { confirmationMatches, describeExpected } from '../engine/confirmation.js';
import { loadAnswers } from '../engine/answers.js';

/** `archive inspect` exit codes beside the usual 1 (could not inspect) and 2 (bad usage). */
export const INSPECT_EXIT = { complete: 0, notRestorable: 4 } as const;

/** The archives the help examples name: the runbook's deleted instance and the new one. */
export const EXAMPLE_ARCHIVES = {
  old: 's3://our-postgresql-backups/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/',
  new: 's3://our-postgresql-backups/backups/78218ded-7d88-4d69-bd44-6f478c300134/wal/',
} as const;
const OLD_ARCHIVE = EXAMPLE_ARCHIVES.old;
const NEW_ARCHIVE = EXAMPLE_ARCHIVES.new;

interface InspectArgs extends S3Flags {
  url: string;
  json?: boolean;
}

const inspect: CommandModule<object, InspectArgs> = {
  command: 'inspect <url>',
  describe: 'Prove a wal-e archive restorable: base backups, LATEST, WAL chain, gaps (exit 4 when not restorable to its newest WAL)',
  builder: (y: Argv<object>) =>
    y
      .positional('url', { type: 'string', demandOption: true, describe: 's3://BUCKET/backups/GUID/wal/' })
      .options(s3FlagOptions)
      .example(`$0 archive inspect ${OLD_ARCHIVE} --json`, 'the report as JSON')
      .epilogue(
        'Exit codes: 0 restorable and complete; 4 not restorable, or WAL after the LATEST backup has a hole so replay cannot reach ' +
          'the newest archived segment ("complete": false, "lost": {"from", "to"}); 1 the archive could not be read; 2 bad usage.',
      ) as unknown as Argv<InspectArgs>,
  handler: async (argv) => {
    const { inspectArchive } = await import('../archive/inspect.js');
    const { renderReport } = await import('./render-archive.js');
    const report = await inspectArchive(await storeFromFlags(argv), argv.url);
    process.stdout.write(argv.json ? JSON.stringify(report, null, 2) + '\n' : renderReport(report));
    process.exitCode = inspectExitCode(report);
  },
};

export function inspectExitCode(report: ArchiveReport): number {
  return report.complete ? INSPECT_EXIT.complete : INSPECT_EXIT.notRestorable;
}

export interface SwapArgs extends S3Flags {
  from: string;
  to: string;
  concurrency: number;
  plan?: string;
  force?: boolean;
  'state-dir': string;
  yes?: boolean;
  answers?: string;
  json?: boolean;
}

export interface SwapIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Asks the typed confirmation; default: the terminal, when there is one. */
  prompter?: Prompter;
}

/** The answers-file key (`confirm.archive-swap`) that confirms a swap without a terminal. */
export const SWAP_CONFIRM_KEY = 'archive-swap';

const defaultIo: SwapIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

function hasTerminal(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY) && process.env.CI !== 'true';
}

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** What the operator types: the target's GUID (its first 8 characters do), or the target URL. */
export function swapConfirmation(target: S3Location): { expected: string; alsoAccept?: string } {
  const guid = GUID.exec(target.prefix)?.[0];
  return guid ? { expected: guid.toLowerCase(), alsoAccept: urlOf(target) } : { expected: urlOf(target) };
}

function loadPlan(planFile: string): SwapPlan | undefined {
  if (!existsSync(planFile)) return undefined;
  let plan: SwapPlan;
  try {
    plan = JSON.parse(readFileSync(planFile, 'utf8')) as SwapPlan;
    if (typeof plan.stamp !== 'string' || !Array.isArray(plan.objects)) throw new Error('it has no stamp and objects');
  } catch (err) {
    throw new UsageError(`the swap plan ${planFile} cannot be used: ${(err as Error).message}`, {
      hint: 'it is written by an earlier `archive swap` of the same target; restore it from that run, or point --plan elsewhere to start afresh',
    });
  }
  plan.objects = plan.objects.map((o) => ({ ...o, lastModified: new Date(o.lastModified) }));
  return plan;
}

async function confirmSwap(argv: SwapArgs, io: SwapIo, source: S3Location, target: S3Location): Promise<void> {
  const { expected, alsoAccept } = swapConfirmation(target);
  const accepted = describeExpected(expected) + (alsoAccept ? ` or "${alsoAccept}"` : '');
  if (argv.yes) {
    io.stderr('confirmed by --yes\n');
    return;
  }
  const fromFile = loadAnswers(argv.answers).confirm[SWAP_CONFIRM_KEY];
  if (fromFile !== undefined) {
    if (fromFile !== true && !confirmationMatches(String(fromFile), expected, alsoAccept)) {
      throw new UsageError(
        `answers file: confirm.${SWAP_CONFIRM_KEY} is "${fromFile}", but this swap moves ${urlOf(target)} aside (type ${accepted})`,
        {
          hint: 'the answers file was written for another target; correct it and run the swap again',
        },
      );
    }
    io.stderr('confirmed by the answers file\n');
    return;
  }
  const prompter = io.prompter ?? (hasTerminal() ? new TerminalPrompter() : undefined);
  if (!prompter || !prompter.interactive) {
    throw new NeedsOperator(
      `archive swap moves ${urlOf(target)} aside and needs a typed confirmation, but there is no terminal to ask on; nothing was changed`,
      {
        hint: `check the target above, then run the same command with --yes (or in a terminal, typing ${accepted})`,
      },
    );
  }
  const message = `Move ${urlOf(target)} aside and copy ${urlOf(source)} in — type ${accepted} to confirm`;
  const typed = await prompter.typed({ key: SWAP_CONFIRM_KEY, message, expected, alsoAccept });
  if (!confirmationMatches(typed, expected, alsoAccept)) {
    throw new UsageError(`"${typed}" does not confirm the swap of ${urlOf(target)}; nothing was changed`, {
      hint: `type ${accepted} to confirm`,
    });
  }
}

function sourceVerdict(report: ArchiveReport): string {
  if (!report.restorable) return 'NOT restorable';
  const lost = report.lost ? `; WAL ${report.lost.from} .. ${report.lost.to} cannot be replayed` : '';
  return `restorable: LATEST ${report.latest!.name}, replayed up to ${report.restorableTo}${lost}`;
}

/** `archive swap`: checks, inspects the source, confirms, then quarantines, copies and verifies. */
export async function runSwapCommand(argv: SwapArgs, io: SwapIo = defaultIo): Promise<void> {
  const { checkSwap, prepareSwap, quarantineLocation, runSwap, formatProgress, utcStamp } = await import('../archive/swap.js');
  const { inspectArchive } = await import('../archive/inspect.js');
  const from = parseS3Location(argv.from, 'source (--from)');
  const to = parseS3Location(argv.to, 'target (--to)');
  if (!Number.isInteger(argv.concurrency) || argv.concurrency < 1) {
    throw new UsageError(`--concurrency must be a whole number of copies, 1 or more, not "${argv.concurrency}"`);
  }
  const planFile = resolve(
    argv.plan ?? join(argv['state-dir'], 'swaps', `${to.bucket}_${to.prefix.replace(/[^A-Za-z0-9.-]+/g, '_')}.json`),
  );
  const plan = loadPlan(planFile);
  const stamp = plan?.stamp ?? utcStamp(new Date());
  const { quarantine } = checkSwap(from, to, quarantineLocation(to, stamp));
  if (plan) io.stderr(`resuming the swap planned in ${planFile} (quarantine stamp ${plan.stamp})\n`);

  const store = await storeFromFlags(argv);
  const report = await inspectArchive(store, urlOf(from));
  if (!report.restorable) {
    const why = report.problems.join('; ') || 'it has no complete base backup';
    if (!argv.force) {
      throw new UsageError(`refusing to swap in ${urlOf(from)}: archive inspect does not find it restorable: ${why}`, {
        hint: `see \`dingo-recover archive inspect ${urlOf(from)}\`; check --from names the deleted instance's archive. Nothing was changed. --force swaps it in anyway.`,
      });
    }
    io.stderr(`warning: --force: swapping in ${urlOf(from)}, which is not restorable: ${why}\n`);
  } else if (report.lost) {
    io.stderr(
      `warning: ${urlOf(from)} restores only up to ${report.restorableTo}: WAL ${report.lost.from} .. ${report.lost.to} cannot be replayed\n`,
    );
  }

  const prepared = await prepareSwap(store, from, to, { plan, stamp });
  const moving = prepared.plan.objects;
  const summary = [
    `archive swap`,
    `  source      ${urlOf(from)} (${prepared.source.size} objects; ${sourceVerdict(report)})`,
    `  target      ${urlOf(to)}: ${moving.length} object(s), ${formatBytes(moving.reduce((n, o) => n + o.size, 0))} ${plan ? 'planned to move' : 'to move'} aside`,
    `  quarantine  ${urlOf(quarantine!)}`,
  ].join('\n');
  io.stderr(`${summary}\n`);
  await confirmSwap(argv, io, from, to);

  if (!plan) {
    mkdirSync(resolve(planFile, '..'), { recursive: true });
    writeFileSync(planFile, JSON.stringify(prepared.plan));
    io.stderr(`plan written to ${planFile}: ${moving.length} object(s) to quarantine with stamp ${prepared.plan.stamp}\n`);
  }
  const swapped = await runSwap(store, from, to, {
    concurrency: argv.concurrency,
    plan: prepared.plan,
    source: prepared.source,
    onProgress: (e) => io.stderr(formatProgress(e) + '\n'),
  });
  if (!swapped.verify.ok)
    throw new StepFailed('the target differs from the source after the copy', { hint: 'run the same command again to finish' });
  io.stdout(
    argv.json
      ? JSON.stringify(swapped, null, 2) + '\n'
      : `swapped: ${swapped.from} → ${swapped.to}; the target's previous objects are in ${urlOf(quarantine!)}\n`,
  );
}

const swap: CommandModule<object, SwapArgs> = {
  command: 'swap',
  describe: 'Move the target archive aside to a dated quarantine, copy the source in, verify (asks a typed confirmation)',
  builder: (y: Argv<object>) =>
    y
      .option('from', { type: 'string', demandOption: true, describe: 'the archive to restore (only read); must be restorable' })
      .option('to', { type: 'string', demandOption: true, describe: 'the prefix the new instance restores from' })
      .option('concurrency', { type: 'number', default: 32, describe: 'parallel server-side copies' })
      .option('plan', {
        type: 'string',
        describe: 'plan file: written before the first change, reused to resume (default: in --state-dir)',
      })
      .option('force', { type: 'boolean', default: false, describe: 'swap in a source that `archive inspect` does not find restorable' })
      .options(s3FlagOptions)
      .example(
        `$0 archive swap --from ${OLD_ARCHIVE} --to ${NEW_ARCHIVE}`,
        'swap after typing the first 8 characters of the target GUID; run it again to resume after a crash',
      )
      .example(
        `$0 archive swap --from ${OLD_ARCHIVE} --to ${NEW_ARCHIVE} --yes`,
        'the same without a terminal (--yes accepts the confirmation)',
      )
      .epilogue(
        'Without a terminal it needs --yes (or confirm.archive-swap in --answers FILE), else it stops with exit 3. ' +
          'A source that `archive inspect` does not find restorable is refused (exit 2) unless --force.',
      ) as unknown as Argv<SwapArgs>,
  handler: async (argv) => {
    await runSwapCommand(argv);
  },
};

export const archiveCommand: CommandModule = {
  command: 'archive <command>',
  describe: 'wal-e archive tools: inspect, swap',
  builder: (y) =>
    y
      .command(inspect as unknown as CommandModule)
      .command(swap as unknown as CommandModule)
      .demandCommand(1),
  handler: () => undefined,
};
