/**
 * `--record DIR` of `recover`, `recover-space` and `resume`: the run writes the platform as it found
 * it (before its first change) as a scenario `rehearse --scenario DIR` replays, read with the
 * snapshot's read through the run's own connections, about the instance the runbook declares its
 * subject. DIR is checked before the run starts, and so is the runbook: one that declares no
 * subject (a Docker host's volumes) is about no Cloud Foundry instance a scenario could hold.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../../core/errors.js';
import { clusterdataIn, runLogSources } from '../../actions/support/sources.js';
import type { RecordRequest, ScenarioRecorder } from '../../engine/executor/index.js';
import type { SnapshotSubject } from '../../snapshot/snapshot.js';
import { loadRunbook } from '../../engine/runbook/index.js';
import { actionRegistry } from '../action-registry.js';
import { isBundledRunbook, runbookPath } from '../package-files.js';
import { requireWritableDir } from '../../snapshot/write.js';

export function recordOption<T>(y: Argv<T>) {
  return y.option('record', {
    type: 'string',
    describe:
      'write the platform as the run found it (read just before its first change) to this new or empty folder, made 0700, secrets replaced: a scenario `rehearse --scenario DIR` replays',
  });
}

/** The service the answers name, and the instance the run settled on (its subject, else what the answers and flags chose). */
function subjectOf(
  r: RecordRequest,
  named: { serviceName?: string; mayBeLive?: boolean; subject?: SnapshotSubject },
): { serviceName?: string; mayBeLive?: boolean; subject?: SnapshotSubject } {
  const s = r.subject;
  return s ? { ...named, subject: { guid: s.instanceGuid, live: s.live, archiveUrl: s.archiveUrl } } : named;
}

async function record(dir: string, r: RecordRequest): Promise<string[]> {
  const { takeSnapshot, answersSubject } = await import('../../snapshot/snapshot.js');
  const { renderSummary } = await import('../../snapshot/summary.js');
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
    redactor: r.runtime.redactor,
    now: r.runtime.clock.now(),
  });
  return renderSummary(summary).trimEnd().split('\n');
}

/**
 * The recorder `--record DIR` asks for, its folder checked now (new or empty, writable) and the
 * runbook (its name, or the path of its file) one that declares its subject; none without the flag.
 */
export async function scenarioRecorder(dir: string | undefined, runbook: string): Promise<ScenarioRecorder | undefined> {
  if (dir === undefined) return undefined;
  const loaded = loadRunbook(runbookPath(runbook), await actionRegistry());
  if (!loaded.subject) {
    throw new UsageError(
      `--record cannot record a ${loaded.name} run: the runbook declares no subject (the Cloud Foundry instance and archive it is about), so a scenario could hold nothing it reads`,
      { hint: 'run it without --record; its own report and journal keep what it found' },
    );
  }
  const abs = requireWritableDir(dir, '--record');
  return { dir: abs, write: (r) => record(abs, r) };
}
