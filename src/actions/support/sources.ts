/** Where a step searches: the run's syslog files and Elasticsearch, and the broker's clusterdata bucket. */
import type { StepContext } from '../../engine/executor/index.js';
import type { Settings } from '../../engine/runbook/index.js';
import type { ObjectStore, Platform } from '../../core/seams.js';
import type { Runtime } from '../../core/runtime.js';
import { StepFailed } from '../../core/errors.js';
import { esMaxDocs, esTimeoutSeconds, whereSkipped, type LogSource, type SearchReport } from '../../core/log-source.js';
import { parseClusterdataUrl } from '../../logs/clusterdata.js';
import type { ClusterdataSpec } from '../../logs/types.js';

/**
 * Where to search, opened through the platform: the syslog files given (and a rehearsal's own),
 * and Elasticsearch when --es-url was given. Its credentials come from the environment
 * (ES_API_KEY, or ES_USERNAME and ES_PASSWORD), so they are never journaled; a resume reads them
 * again; so does its deadline (ES_TIMEOUT), as `logs` reads it when --es-timeout is not given.
 */
export function logSources(ctx: StepContext): LogSource {
  return runLogSources(ctx.settings, ctx.platform, ctx.runtime);
}

/** A run's log sources, opened through its platform from its settings and the environment (logSources, --record). */
export function runLogSources(settings: Settings, platform: Platform, runtime: Pick<Runtime, 'env' | 'redactor'>): LogSource {
  const paths = settings.logPaths;
  const { esUrl, esIndex, esCaFile } = settings;
  const { env, redactor } = runtime;
  redactor.register(env.ES_API_KEY);
  redactor.register(env.ES_PASSWORD);
  const es = esUrl
    ? {
        url: esUrl,
        index: esIndex,
        caFile: esCaFile,
        apiKey: env.ES_API_KEY,
        username: env.ES_USERNAME,
        password: env.ES_PASSWORD,
        timeoutSeconds: esTimeoutSeconds(env.ES_TIMEOUT),
        maxDocs: esMaxDocs(env.ES_MAX_DOCS),
        redactor,
      }
    : undefined;
  const source = platform.openLogs({ paths: paths.length ? paths : undefined, es });
  if (source.empty) {
    throw new StepFailed('no syslog to search', {
      hint: 'pass --logs PATH (files or folders of the platform syslog, .gz is fine) or --es-url URL (Logsearch), then resume',
    });
  }
  return source;
}

/** The broker's clusterdata bucket (--clusterdata), read through the run's S3 seam. */
export function clusterdataOf(ctx: StepContext): ClusterdataSpec | undefined {
  return clusterdataIn(ctx.settings, ctx.s3);
}

/** The clusterdata bucket the settings name, read through `store`. */
export function clusterdataIn(settings: Settings, store: ObjectStore): ClusterdataSpec | undefined {
  const where = settings.clusterdata ? parseClusterdataUrl(settings.clusterdata) : null;
  return where ? { store, ...where } : undefined;
}

/** What the search ignored or skipped (lines from a source that cannot have written them, unreadable files), as warnings. */
export function noteSearchWarnings(ctx: StepContext, searched: SearchReport): void {
  for (const w of searched.warnings) ctx.note(`warning: ${w}`);
  for (const s of searched.skipped.slice(0, 10)) ctx.note(`warning: skipped ${s.kind}: ${whereSkipped(s)}: ${s.why}`);
  if (searched.skippedTotal > 10)
    ctx.note(`warning: … and ${searched.skippedTotal - 10} more skipped (dingo-recover logs find --json lists them)`);
}
