/**
 * `dingo-recover archive swap --from OLD --to NEW`: checks, inspects the source, confirms, then
 * quarantines the target, copies the source in, serves its checked `.partial` segments under their
 * full names (as the runbook's copy step does) and verifies. The source is listed once: that listing
 * is inspected, planned and copied, and its partials are served as the inspection checked them.
 *
 * Exit codes: 0 swapped; 8 swapped, but a `.partial` of the source was refused (its warning says
 * why; the restore ends before any WAL it holds); 1 a step failed (run it again to resume); 2 bad
 * usage or a source that is not restorable; 3 no confirmation.
 */
import { commandLine } from '../../core/command-line.js';
import type { Argv } from 'yargs';
import { EXIT, StepFailed, UsageError } from '../../core/errors.js';
import { formatBytes } from '../../core/format.js';
import { secrets } from '../../core/invocation.js';
import type { S3Flags } from '../../core/s3-flags.js';
import { urlOf, type S3Location } from '../../core/s3-url.js';
import type { ObjectInfo, ObjectStore } from '../../core/seams.js';
import type { Prompter } from '../../engine/operator/index.js';
import type { ArchiveReport } from '../../wale/report.js';
import { EXAMPLE_ARCHIVES } from './examples.js';
import type { GlobalArgs } from '../flags/global.js';
import { configurable } from '../flags/config-file.js';
import { s3FlagOptions, storeFromFlags } from '../flags/s3.js';
import { setExitCode } from '../exit-code.js';
import { confirmSwap } from './swap-confirm.js';
import { loadPlan, planFileFor, writePlan } from './swap-plan-file.js';
import { screenOutput, type CommandOutput } from '../terminal-out.js';
import { printableJson } from '../../core/display.js';

export interface SwapArgs extends S3Flags {
  from: string;
  to: string;
  concurrency: number;
  'plan-file'?: string;
  force?: boolean;
  'state-dir': string;
  yes?: boolean;
  answers?: string;
  json?: boolean;
}

interface SwapIo extends CommandOutput {
  /** Asks the typed confirmation; default: the terminal, when there is one. */
  prompter?: Prompter;
}

function sourceVerdict(report: ArchiveReport): string {
  if (!report.restorable) return 'NOT restorable';
  const lost = report.lost ? `; WAL ${report.lost.from} .. ${report.lost.to} cannot be replayed` : '';
  return `restorable: LATEST ${report.latest!.name}, replayed up to ${report.restorableTo}${lost}`;
}

/** The plan's lines for the source's `.partial` segments: each checked one is served under its full name after the copy. */
function partialLines(report: ArchiveReport, to: S3Location): string[] {
  return report.partials
    .filter((p) => p.supersededBy === null)
    .map((p) => {
      const rel = p.key.slice(p.key.lastIndexOf('wal_005/'));
      const what = p.usable ? `checked: served as ${urlOf(to)}wal_005/${p.segment}.lzo after the copy` : `refused, not served: ${p.why}`;
      return `  partial     ${rel} ${what}`;
    });
}

/** The source as `archive inspect` sees it, from its `listing`; refused when not restorable, unless --force. */
async function inspectSource(
  store: ObjectStore,
  from: S3Location,
  listing: Map<string, ObjectInfo>,
  argv: SwapArgs,
  io: SwapIo,
): Promise<ArchiveReport> {
  const { inspectListed } = await import('../../archive/inspect.js');
  const report = await inspectListed(store, from, [...listing.values()], { redactor: secrets() });
  if (!report.restorable) {
    const why = report.problems.join('; ') || 'it has no complete base backup';
    if (!argv.force) {
      throw new UsageError(`refusing to swap in ${urlOf(from)}: archive inspect does not find it restorable: ${why}`, {
        hint: `see \`${commandLine(['archive', 'inspect', urlOf(from)])}\`; check --from names the deleted instance's archive. Nothing was changed. --force swaps it in anyway.`,
      });
    }
    io.stderr(`warning: --force: swapping in ${urlOf(from)}, which is not restorable: ${why}\n`);
  } else if (report.lost) {
    io.stderr(
      `warning: ${urlOf(from)} restores only up to ${report.restorableTo}: WAL ${report.lost.from} .. ${report.lost.to} cannot be replayed\n`,
    );
  }
  return report;
}

/**
 * `archive swap`: checks, inspects the source, confirms, then quarantines, copies, serves the checked
 * partials and verifies; the exit code: done, or done with warnings when a partial was refused.
 */
async function runSwapCommand(argv: SwapArgs, io: SwapIo = screenOutput): Promise<number> {
  const {
    checkSwap,
    listArchive,
    prepareSwap,
    quarantineLocation,
    runSwap,
    formatProgress,
    parseS3Location,
    utcStamp,
    refusedLine,
    servedLine,
  } = await import('../../archive/swap.js');
  const from = parseS3Location(argv.from, 'source (--from)');
  const to = parseS3Location(argv.to, 'target (--to)');
  if (!Number.isInteger(argv.concurrency) || argv.concurrency < 1) {
    throw new UsageError(`--concurrency must be a whole number of copies, 1 or more, not "${argv.concurrency}"`);
  }
  const planFile = planFileFor(to, argv['state-dir'], argv['plan-file']);
  const plan = loadPlan(planFile);
  const stamp = plan?.stamp ?? utcStamp(new Date());
  const { quarantine } = checkSwap(from, to, quarantineLocation(to, stamp));
  if (plan) io.stderr(`resuming the swap planned in ${planFile} (quarantine stamp ${plan.stamp})\n`);

  const store = await storeFromFlags(argv);
  const listing = await listArchive(store, from);
  const report = await inspectSource(store, from, listing, argv, io);
  const prepared = await prepareSwap(store, from, to, { plan, stamp, source: listing });
  const moving = prepared.plan.objects;
  const summary = [
    `archive swap`,
    `  source      ${urlOf(from)} (${prepared.source.size} objects; ${sourceVerdict(report)})`,
    `  target      ${urlOf(to)}: ${moving.length} object(s), ${formatBytes(moving.reduce((n, o) => n + o.size, 0))} ${plan ? 'planned to move' : 'to move'} aside`,
    `  quarantine  ${urlOf(quarantine!)}`,
    ...partialLines(report, to),
  ].join('\n');
  io.stderr(`${summary}\n`);
  await confirmSwap({ yes: argv.yes, answers: argv.answers, prompter: io.prompter, stderr: io.stderr }, from, to);

  if (!plan) {
    writePlan(planFile, prepared.plan);
    io.stderr(`plan written to ${planFile}: ${moving.length} object(s) to quarantine with stamp ${prepared.plan.stamp}\n`);
  }
  const swapped = await runSwap(store, from, to, {
    // The partials were read and checked by the inspection of this same listing: the serve step HEADs them, never reads them again.
    checked: report,
    concurrency: argv.concurrency,
    plan: prepared.plan,
    stamp: prepared.plan.stamp,
    source: prepared.source,
    onProgress: (e) => {
      io.stderr(formatProgress(e) + '\n');
    },
  });
  if (!swapped.verify.ok)
    throw new StepFailed('the target differs from the source after the copy', { hint: 'run the same command again to finish' });
  const { refused } = swapped.partials;
  for (const r of refused) io.stderr(`warning: ${refusedLine(from.bucket, r)}\n`);
  if (argv.json) {
    // A refused partial is named by its s3:// URL, as a served one is (`from`).
    const partials = { ...swapped.partials, refused: refused.map((r) => ({ from: `s3://${from.bucket}/${r.key}`, why: r.why })) };
    io.stdout(printableJson({ ...swapped, partials }, 2) + '\n');
  } else {
    const served = swapped.partials.served.map((s) => `served: ${servedLine(s)}\n`).join('');
    io.stdout(`${served}swapped: ${swapped.from} → ${swapped.to}; the target's previous objects are in ${urlOf(quarantine!)}\n`);
  }
  return refused.length > 0 ? EXIT.doneWithWarnings : EXIT.done;
}

function swapOptions(y: Argv<GlobalArgs>) {
  return (
    configurable(y, s3FlagOptions)
      .option('from', { type: 'string', demandOption: true, describe: 'the archive to restore (only read); must be restorable' })
      .option('to', { type: 'string', demandOption: true, describe: 'the prefix the new instance restores from' })
      .option('concurrency', { type: 'number', default: 32, describe: 'parallel server-side copies' })
      // Not --plan: everywhere else --plan means "look, change nothing", and this file is what a swap that changes things keeps.
      .option('plan-file', {
        type: 'string',
        describe: "the swap's plan file: written before the first change, reused to resume (default: in --state-dir)",
      })
      .option('force', { type: 'boolean', default: false, describe: 'swap in a source that `archive inspect` does not find restorable' })
      .options(s3FlagOptions)
      .example(
        `$0 archive swap --from ${EXAMPLE_ARCHIVES.old} --to ${EXAMPLE_ARCHIVES.new}`,
        'swap after typing the first 8 characters of the target GUID; run it again to resume after a crash',
      )
      .example(
        `$0 archive swap --from ${EXAMPLE_ARCHIVES.old} --to ${EXAMPLE_ARCHIVES.new} --yes`,
        'the same without a terminal (--yes accepts the confirmation)',
      )
      .epilogue(
        'Without a terminal it needs --yes (or confirm.archive-swap in --answers FILE), else it stops with exit 3. ' +
          'A source that `archive inspect` does not find restorable is refused (exit 2) unless --force. ' +
          'Exit 8: swapped, but a .partial of the source was refused and not served (its warning says why).',
      )
  );
}

export const swapCommand = {
  command: 'swap',
  describe:
    "Move the target archive aside to a dated quarantine, copy the source in and its checked .partial under its segment's name, verify (asks a typed confirmation)",
  builder: swapOptions,
  handler: async (argv: SwapArgs) => {
    setExitCode(await runSwapCommand(argv));
  },
};
