/**
 * Whether a promoted restore replayed all the archive holds. PostgreSQL ends recovery when
 * restore_command fails to bring the next segment, whether the archive has no more or wal-fetch failed
 * once (a lost connection to S3), and Patroni promotes it either way. So the end of replay is read
 * from the restored node itself: the timeline it runs on (its control file, promotedTimeline) and that
 * timeline's history file, whose last line is `<parent TLI>\t<switchpoint>\t<reason>` (PostgreSQL's
 * timeline.c): the switchpoint is where replay of the archive ended. Its segment is compared with the
 * last one the archive lets replay reach (a checked `.partial` the copy served under its segment's
 * full name counts). Short of it: the step is done with a warning naming the segments not replayed and
 * the window of writes they held.
 */
import type { StepContext } from '../../engine/executor/index.js';
import type { CellDocker } from '../../adapters/docker.js';
import { DINGO_PGDATA } from '../../adapters/pg-replication.js';
import { StepFailed } from '../../core/errors.js';
import { oneLine } from '../../core/display.js';
import { truncate } from '../../core/screen-lines.js';
import { quote } from '../../core/command-line.js';
import { parseS3Url } from '../../core/s3-url.js';
import {
  formatSegment,
  formatTimeline,
  nextSegment,
  parseLsn,
  segmentDistance,
  segmentIndex,
  segmentOfLsn,
  tryParseSegment,
} from '../../wale/segments.js';
import type { RestorePlan } from './restore-plan.js';

export interface RestoreEnd {
  /** Where replay of the archive ended (the new timeline's switchpoint), or '' when it could not be told. */
  replayedTo: string;
  /** Replay reached the archive's last segment. */
  complete: boolean;
}

const CHECKPOINT_TIMELINE = /^Latest checkpoint's TimeLineID:\s+(\d+)\s*$/m;
const MIN_RECOVERY_TIMELINE = /^Min recovery ending loc's timeline:\s+(\d+)\s*$/m;

/**
 * The timeline a promoted node runs on, from its pg_controldata; null when the output names no
 * checkpoint timeline. Patroni promotes with `pg_ctl promote`, which PostgreSQL (9.3 on) ends as a fast
 * promotion (xlog.c, StartupXLOG): it writes an end-of-recovery record on the new timeline and names that
 * timeline as the minimum recovery point's (CreateEndOfRecoveryRecord), leaves recovery (from then on
 * pg_is_in_recovery() is false), and only then asks for a checkpoint, spread over minutes as any
 * unhurried one. Until that checkpoint is done, "Latest checkpoint's TimeLineID" still names the old
 * timeline; once it is, the checkpoint's is the new one and the minimum recovery point's is cleared (0).
 * The newer of the two is the one the node runs on, whichever moment it is read at.
 */
export function promotedTimeline(control: string): number | null {
  const checkpoint = CHECKPOINT_TIMELINE.exec(control);
  if (!checkpoint) return null;
  return Math.max(Number(checkpoint[1]), Number(MIN_RECOVERY_TIMELINE.exec(control)?.[1] ?? 0));
}
const HISTORY_LINE = /^(\d+)\t([0-9A-F]{1,8}\/[0-9A-F]{1,8})\t(.*)$/;

/** Runs a reading program in the container as the postgres OS user; its output, or a refusal showing what came back. */
async function read(docker: CellDocker, container: string, argv: string[]): Promise<string> {
  const result = await docker.exec(container, argv, { user: 'postgres' });
  if (result.exitCode === 0) return result.stdout;
  throw new StepFailed(
    `\`${quote(argv)}\` in ${container} exited ${result.exitCode}: ${oneLine(truncate(docker.redactor.redact(result.stderr.trim() || result.stdout.trim()), 300)) || '(no output)'}`,
    { hint: `nothing was changed: run \`${quote(['docker', 'exec', '-u', 'postgres', container, ...argv])}\` on the cell, then resume` },
  );
}

/** An answer not of the shape PostgreSQL writes: shown as it came, escaped; nothing is decided on it. */
function unexpected(what: string, container: string, text: string, check: string): StepFailed {
  return new StepFailed(`${what} in ${container} is not what PostgreSQL writes: ${oneLine(truncate(text, 300)) || '(empty)'}`, {
    hint: `nothing was decided on it: ${check}, then resume`,
  });
}

/** How far the promoted node in CONTAINER replayed, from CONTROL_DATA (its pg_controldata, read once it left recovery) and its timeline's history file. */
export async function proveRestoreComplete(
  ctx: StepContext,
  docker: CellDocker,
  container: string,
  plan: RestorePlan,
  archive: { oldArchiveUrl: string; servedPartials: readonly string[] },
  controlData: string,
): Promise<RestoreEnd> {
  const control = docker.redactor.redact(controlData);
  const timeline = promotedTimeline(control);
  if (timeline === null)
    throw unexpected('pg_controldata', container, control, "check the container's PostgreSQL (its data directory is /data/postgres0)");
  if (timeline <= 1) {
    ctx.warn(
      `${container} runs on timeline 1: its recovery never ended on a new timeline, so how far it replayed the archive cannot be told; check its data before the apps use it`,
    );
    return { replayedTo: '', complete: false };
  }
  const wal = plan.pgMajor && /^\d+$/.test(plan.pgMajor) && Number(plan.pgMajor) >= 10 ? 'pg_wal' : 'pg_xlog';
  const file = `${DINGO_PGDATA}/${wal}/${formatTimeline(timeline)}.history`;
  const history = docker.redactor.redact(await read(docker, container, ['cat', file]));
  const lines = history.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const switched = HISTORY_LINE.exec(lines.at(-1) ?? '');
  const parent = switched ? Number(switched[1]) : NaN;
  if (!switched || !(parent < timeline)) throw unexpected(file, container, history, `read ${file} in the container`);
  const lsn = switched[2]!;
  const ended = segmentOfLsn(parseLsn(lsn), parent);
  const source = `${file}: timeline ${parent} ended at ${lsn} (${switched[3]!.trim() || 'no reason given'})`;
  const last = plan.lastSegment ? tryParseSegment(plan.lastSegment) : null;
  if (!last) {
    ctx.warn(
      `replay ended at ${lsn} in ${formatSegment(ended)} (${source}), but the archive's last segment is unknown: nothing to compare it with`,
    );
    return { replayedTo: lsn, complete: false };
  }
  const servedKey = archive.servedPartials.find((k) => k.endsWith(`/${formatSegment(last)}.lzo`));
  const lastText = `${formatSegment(last)}${servedKey ? ' (a checked .partial, served under its full name)' : ''}`;
  if (segmentIndex(ended, plan.pgMajor) >= segmentIndex(last, plan.pgMajor)) {
    ctx.evidence(`replay reached the archive's last segment ${lastText}: ${source}`);
    return { replayedTo: lsn, complete: true };
  }
  const first = nextSegment(ended, plan.pgMajor);
  const count = segmentDistance(ended, last, plan.pgMajor);
  const [from, to] = await Promise.all([archivedAt(ctx, archive.oldArchiveUrl, ended), archivedAt(ctx, archive.oldArchiveUrl, last)]);
  ctx.warn(
    `the restore stopped short of the archive: replay ended at ${lsn} in ${formatSegment(ended)} (${source}), but the archive holds WAL up to ${lastText}. ` +
      `${count === 1 ? `Segment ${formatSegment(first)} was` : `Segments ${formatSegment(first)} … ${formatSegment(last)} (${count}) were`} not replayed: ` +
      `the writes archived ${from ? `after about ${from}` : 'after the last replayed segment'}${to ? ` up to ${to}` : ''} are not in the restored database (the data-loss window). ` +
      `They are still in the old archive, ${archive.oldArchiveUrl}, untouched`,
  );
  return { replayedTo: lsn, complete: false };
}

/** When the old archive received a segment (its newest object of that name: the segment or its .partial), or null. */
async function archivedAt(ctx: StepContext, oldArchiveUrl: string, segment: ReturnType<typeof nextSegment>): Promise<string | null> {
  try {
    const { bucket, prefix } = parseS3Url(oldArchiveUrl);
    let newest: Date | null = null;
    for await (const o of ctx.s3.list(bucket, `${prefix}wal_005/${formatSegment(segment)}`)) {
      if (!newest || o.lastModified > newest) newest = o.lastModified;
    }
    return newest ? newest.toISOString() : null;
  } catch {
    // The window's ends are a courtesy of the warning; the shortfall itself is the news.
    return null;
  }
}
