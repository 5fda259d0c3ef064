/**
 * `--record DIR` of `recover`, `recover-space` and `resume`: the run writes the platform as it found
 * it (before its first change) as a scenario `rehearse --scenario DIR` replays, read with the
 * snapshot's read through the run's own connections. DIR is checked before the run starts, and so is
 * the runbook: one that reads no Cloud Foundry platform has nothing a scenario could hold.
 */
import { basename } from 'node:path';
import type { Argv } from 'yargs';
import { UsageError } from '../core/errors.js';
import { clusterdataIn, runLogSources } from '../actions/support/sources.js';
import type { RecordRequest, ScenarioRecorder } from '../engine/run/index.js';
import type { SnapshotSubject } from '../snapshot/snapshot.js';
import { isBundledRunbook } from './package-files.js';
import { requireWritableDir } from '../snapshot/write.js';

/** The step whose outputs name the instance the run settled on, by runbook. */
const FOUND_BY: Record<string, string> = {
  'recover-deleted-service': 'find-deleted-instance',
  'restore-to-time': 'find-instance',
};

/** Runbooks whose disaster is not on a Cloud Foundry platform: a scenario cannot hold what they read. */
const NOT_RECORDABLE: Record<string, string> = {
  'recover-docker-volume': "it reads a Docker host's volumes and data folders, which a scenario does not hold",
};

export function recordOption<T>(y: Argv<T>) {
  return y.option('record', {
    type: 'string',
    describe:
      'write the platform as the run found it (read just before its first change) to this new or empty folder, made 0700, secrets replaced: a scenario `rehearse --scenario DIR` replays',
  });
}

/** The service the answers name, and the instance the run settled on (its finder's answer, else what the answers and flags chose). */
function subjectOf(
  r: RecordRequest,
  named: { serviceName?: string; mayBeLive?: boolean; subject?: SnapshotSubject },
): { serviceName?: string; mayBeLive?: boolean; subject?: SnapshotSubject } {
  const found = r.outputs[FOUND_BY[r.runbook] ?? ''] ?? {};
  if (typeof found.instanceGuid !== 'string' || !found.instanceGuid) return named;
  const archiveUrl = typeof found.archiveUrl === 'string' && found.archiveUrl ? found.archiveUrl : undefined;
  return { ...named, subject: { guid: found.instanceGuid, live: found.live === true, archiveUrl } };
}

async function record(dir: string, r: RecordRequest): Promise<string[]> {
  const { takeSnapshot, answersSubject } = await import('../snapshot/snapshot.js');
  const { renderSummary } = await import('../snapshot/summary.js');
  const summary = await takeSnapshot({
    platform: r.platform,
    tools: {
      cfBinary: r.settings.cfBinary,
      boshBinary: r.settings.boshBinary,
      dockerBinary: r.settings.dockerBinary,
      dockerHost: r.settings.dockerHost,
    },
    sources: runLogSources(r.settings, r.platform, r.runtime),
    clusterdata: clusterdataIn(r.settings, r.platform.s3),
    inputs: r.inputs,
    ...subjectOf(r, answersSubject(r.inputs, r.settings.deletedInstance)),
    runbook: isBundledRunbook(r.runbook) ? r.runbook : undefined,
    region: r.live?.s3?.region,
    out: dir,
  });
  return renderSummary(summary).trimEnd().split('\n');
}

/**
 * The recorder `--record DIR` asks for, its folder checked now (new or empty, writable) and the
 * runbook (its name, or the path of its file) one a scenario can hold; none without the flag.
 */
export function scenarioRecorder(dir: string | undefined, runbook: string): ScenarioRecorder | undefined {
  if (dir === undefined) return undefined;
  const name = basename(runbook).replace(/\.yaml$/, '');
  const why = NOT_RECORDABLE[name];
  if (why) {
    throw new UsageError(`--record cannot record a ${name} run: ${why}`, {
      hint: 'run it without --record; its own report and journal keep what it found',
    });
  }
  const abs = requireWritableDir(dir, '--record');
  return { dir: abs, write: (r) => record(abs, r) };
}
