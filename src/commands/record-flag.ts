/**
 * `--record DIR` of `recover`, `recover-space` and `resume`: the run writes the platform as it found
 * it (before its first change) as a scenario `rehearse --scenario DIR` replays, read with the
 * snapshot's read through the run's own connections. DIR is checked before the run starts.
 */
import type { Argv } from 'yargs';
import { clusterdataIn, runLogSources } from '../actions/support/sources.js';
import type { RecordRequest, ScenarioRecorder } from '../engine/run/index.js';
import { requireWritableDir } from '../snapshot/write.js';

/** The step whose outputs name the deleted instance the run settled on (the bundled runbook's). */
const FIND_STEP = 'find-deleted-instance';

export function recordOption<T>(y: Argv<T>) {
  return y.option('record', {
    type: 'string',
    describe:
      'write the platform as the run found it (read just before its first change) to this new or empty folder, made 0700, secrets replaced: a scenario `rehearse --scenario DIR` replays',
  });
}

/** The deleted instance the run chose (its finder's answer, else --deleted-instance). */
function chosen(r: RecordRequest): string | undefined {
  const guid = r.outputs[FIND_STEP]?.instanceGuid;
  return typeof guid === 'string' ? guid : r.settings.deletedInstance;
}

async function record(dir: string, r: RecordRequest): Promise<string[]> {
  const { takeSnapshot } = await import('../snapshot/snapshot.js');
  const { renderSummary } = await import('../snapshot/summary.js');
  const deletedInstance = chosen(r);
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
    choose: deletedInstance ? { deletedInstance } : {},
    region: r.live?.s3?.region,
    out: dir,
  });
  return renderSummary(summary).trimEnd().split('\n');
}

/** The recorder `--record DIR` asks for, its folder checked now (new or empty, writable); none without the flag. */
export function scenarioRecorder(dir: string | undefined): ScenarioRecorder | undefined {
  if (dir === undefined) return undefined;
  const abs = requireWritableDir(dir, '--record');
  return { dir: abs, write: (r) => record(abs, r) };
}
