/**
 * `dingo-recover drill --all s3://BUCKET/backups/`: a restore drill of every archive under the prefix
 * (or `--sample N` of them), one at a time, written for cron: no terminal, no question; a lock in the
 * state folder against a second run while one is under way (exit 75 naming the holder; a lock whose
 * process ended is taken over, with a note); `--budget` for the whole; a table (or `--json`), the exit
 * code of the worst result (src/drill/exit-codes.ts), and `--notify` told only when something failed.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { messageOf, RunLocked, UsageError } from '../../core/errors.js';
import { parseDuration } from '../../core/duration.js';
import { secrets, invocation } from '../../core/invocation.js';
import { systemClock } from '../../core/runtime.js';
import { parseS3Url, formatS3Url } from '../../core/s3-url.js';
import { instanceOfArchive } from '../../archive/location.js';
import { printableJson } from '../../core/display.js';
import type { ArchiveDrilled } from '../../drill/drill-all.js';
import type { RunLock } from '../../engine/run/index.js';
import { DRILL_EXIT } from '../../drill/exit-codes.js';
import { defaultStateDir } from '../flags/state-dir.js';
import { printError } from '../print-error.js';
import { webhookFor } from '../run/notifier.js';
import type { CommandOutput } from '../terminal-out.js';
import { drillAllNotice } from './all-notice.js';
import { notifyDrill } from './notice.js';
import { renderDrillAll, type DrillAllRun, type DrilledArchive } from './render-all.js';
import { renderWarnings } from './render.js';
import { drillSettings, type DrillArgs } from './settings.js';
import { holdWaits } from './quiet-waits.js';
import { checkOnCellFlags, type CellDriller } from './on-cell.js';

/** The flags a drill of one archive takes that mean nothing, or harm, across many. */
const ONE_ARCHIVE_FLAGS = [
  ['targetTime', '--target-time'],
  ['targetXid', '--target-xid'],
  ['targetLsn', '--target-lsn'],
  ['targetName', '--target-name'],
  ['target', '--target'],
  ['expectRows', '--expect-rows'],
  ['keep', '--keep'],
] as const;

function checkFlags(argv: DrillArgs): { sample?: number; budgetMs?: number } {
  checkOnCellFlags(argv);
  for (const [key, flag] of ONE_ARCHIVE_FLAGS) {
    if (argv[key] !== undefined && argv[key] !== false) {
      throw new UsageError(`${flag} is for a drill of one archive, not --all: each archive holds its own data and moments`, {
        hint: `drill the archive alone: dingo-recover drill s3://BUCKET/backups/GUID/wal/ ${flag} …`,
      });
    }
  }
  if (argv.sample !== undefined && (!Number.isInteger(argv.sample) || argv.sample < 1)) {
    throw new UsageError(`--sample must be a whole number of archives, at least 1, not "${argv.sample}"`);
  }
  return {
    sample: argv.sample,
    budgetMs: argv.budget === undefined ? undefined : parseDuration(argv.budget, '--budget'),
  };
}

/** `--all`: returns the exit code. */
export async function runDrillAll(argv: DrillArgs, out: CommandOutput, local: { binRoot?: string } = {}): Promise<number> {
  if (argv.sample !== undefined && !argv.all) throw new UsageError('--sample picks among the archives of --all: give --all too');
  if (argv.budget !== undefined && !argv.all)
    throw new UsageError('--budget limits a drill of --all: give --all too, or --deadline for one drill');
  const began = performance.now();
  const startedAt = systemClock.now();
  const hook = await webhookFor(argv.notify, argv.notifyFormat);
  const abort = new AbortController();
  const onSignal = (): void => {
    abort.abort();
  };
  const stopListening = invocation().onStop(onSignal);
  let lock: RunLock | undefined;
  let cell: CellDriller | undefined;
  let run: DrillAllRun;
  const waits = holdWaits(argv.quiet, out);
  try {
    const { sample, budgetMs } = checkFlags(argv);
    const under = parseS3Url(argv.url);
    const prefix = under.prefix === '' || under.prefix.endsWith('/') ? under.prefix : `${under.prefix}/`;
    const stateDir = resolve(argv['state-dir'] ?? defaultStateDir());
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const { RunLock } = await import('../../engine/run/index.js');
    lock = RunLock.acquire(join(stateDir, 'drill-all.lock'), { clock: systemClock, refusal: heldBy, raced });
    if (lock.takenOver) {
      const was = lock.takenOver.previous;
      out.stderr(
        `dingo-recover drill: note: took over the lock ${lock.file}${was ? ` of pid ${was.pid} (${was.by}, since ${was.startedAt})` : ''}, whose process ended; the old lock is kept as ${lock.keptAt}\n`,
      );
    }
    const settings = await drillSettings(argv, out, local);
    const { findArchives } = await import('../../archive/archive-prefixes.js');
    const found = await findArchives(settings.store, under.bucket, prefix);
    const { readHistory, recordHistory, sampleOf } = await import('../../drill/drill-history.js');
    const historyFile = join(stateDir, 'drill-history.json');
    const history = readHistory(historyFile, startedAt, (w) => {
      out.stderr(renderWarnings([w]));
    });
    const urls = found.archives.map((p) => formatS3Url(under.bucket, p));
    const chosen = sample === undefined ? urls : sampleOf(urls, history, sample);
    const names = await instanceNames(argv, out);
    const { drillAll, worstExit } = await import('../../drill/drill-all.js');
    const { runDrill } = await import('../../drill/drill.js');
    // One session to the cell for every archive; opened once there is something to drill.
    if (argv.onCell && chosen.length) cell = await (await import('./on-cell.js')).openCellDrillerHere(argv, settings);
    const onCell = cell;
    const results = await drillAll({
      archives: chosen,
      drillOne: (url, how) =>
        onCell ? onCell.drill(url, how) : runDrill({ ...settings, url, signal: how.signal, inspected: how.inspected }),
      budgetMs,
      began,
      signal: abort.signal,
      now: () => systemClock.now(),
      progress: settings.progress,
    });
    recordHistory(historyFile, history, results);
    const exitCode = chosen.length === 0 ? DRILL_EXIT.notRestorable : worstExit(results);
    run = {
      under: formatS3Url(under.bucket, prefix),
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(performance.now() - began),
      budgetMs: budgetMs ?? null,
      sample: sample ?? null,
      found: urls.length,
      setAside: found.setAside.map((p) => formatS3Url(under.bucket, p)),
      exitCode,
      ranOn: argv.onCell ? ranOnOf(argv.onCell, results) : null,
      archives: results.map((r) => withInstance(r, names)),
    };
  } catch (err) {
    waits.say();
    if (err instanceof RunLocked || err instanceof UsageError) {
      printError('drill', err, out.stderr);
      return err.exitCode;
    }
    // Listing the archives failed (S3 refused, unreachable): nothing was drilled.
    printError('drill', err, out.stderr);
    const code = abort.signal.aborted ? DRILL_EXIT.interrupted : DRILL_EXIT.couldNotRun;
    if (hook) await notifyDrill(hook, drillAllNotice(argv.url, code, startedAt, { err }), out.stderr);
    return code;
  } finally {
    await cell?.close().catch(() => undefined);
    lock?.release();
    stopListening();
  }
  if (run.exitCode === DRILL_EXIT.ok) waits.drop();
  else waits.say();
  if (argv.json) out.stdout(secrets().redact(`${printableJson({ ok: run.exitCode === DRILL_EXIT.ok, ...run }, 2)}\n`));
  else if (!argv.quiet || run.exitCode !== DRILL_EXIT.ok) out.stdout(secrets().redact(renderDrillAll(run)));
  if (hook && (run.exitCode !== DRILL_EXIT.ok || argv.notifyOn === 'always')) {
    await notifyDrill(hook, drillAllNotice(run.under, run.exitCode, startedAt, { run }), out.stderr);
  }
  return run.exitCode;
}

/** The refusal of a second `drill --all` while one holds the lock. */
function heldBy(holder: { host: string; pid: number; by: string; startedAt: string }, file: string): RunLocked {
  return new RunLocked(
    `another drill --all is running: pid ${holder.pid} on ${holder.host} (${holder.by}), since ${holder.startedAt}; its lock is ${file}`,
    {
      hint: `let it finish (its --budget bounds it), or stop it (kill ${holder.pid}); a lock whose process ended is taken over by the next run`,
    },
  );
}

/** Another drill --all took the lock at the very moment this one did: no --steal-lock here, only another try. */
function raced(file: string): RunLocked {
  return new RunLocked(`could not take the lock ${file}: another drill --all took it at the same moment`, {
    hint: 'run it again later: it then names the drill --all that holds the lock, or takes over a lock whose process ended',
  });
}

/** Where the drills ran: the cell, and the image of the first that reached it. */
function ranOnOf(cell: string, results: readonly ArchiveDrilled[]): { cell: string; image: string | null } {
  const report = results.find((r) => r.report && 'image' in r.report)?.report;
  return { cell, image: report && 'image' in report ? report.image : null };
}

/** Each Dingo instance's service name, from the broker's clusterdata records (`--clusterdata`); none without it, or when they cannot be read. */
async function instanceNames(argv: DrillArgs, out: CommandOutput): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (!argv.clusterdata) return names;
  const { clusterdataFromArgs } = await import('../logs/sources.js');
  const { readClusterdata } = await import('../../logs/clusterdata.js');
  const { emptyReport } = await import('../../core/log-source.js');
  const report = emptyReport([]);
  try {
    const spec = await clusterdataFromArgs(argv);
    for (const r of spec ? await readClusterdata(spec, report, secrets()) : []) if (r.serviceName) names.set(r.instanceGuid, r.serviceName);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    out.stderr(renderWarnings([`the clusterdata records were not read (${messageOf(err)}): no instance names`]));
  }
  out.stderr(renderWarnings(report.problems));
  return names;
}

function withInstance(r: ArchiveDrilled, names: Map<string, string>): DrilledArchive {
  const guid = instanceOfArchive(parseS3Url(r.archive).prefix);
  return { ...r, instance: guid, name: guid ? (names.get(guid) ?? null) : null };
}
