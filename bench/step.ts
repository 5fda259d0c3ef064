/**
 * restore-to-time stepping through time: the second moment looked at, reached from the copy paused at
 * the first (its target rewritten, the server restarted, replay going on from its last restartpoint,
 * no base backup fetched), beside a fresh restore to that same moment (base backup and WAL from S3,
 * replay from the backup's start), on the same archive in the same moto. Both pause the copy as a hot
 * standby; only the ratio means anything: fresh restore / step (target ≥ 1.5). The step still replays
 * from the copy's last restartpoint (the last checkpoint before the first moment), so the ratio grows
 * with the base backup's size and with the WAL between the backup and the moment.
 */
import { Redactor } from '../src/core/redact.js';
import { localProcesses } from '../src/systems/local-processes.js';
import { rm } from 'node:fs/promises';
import { runDrill } from '../src/drill/drill.js';
import type { RecoveryTarget } from '../src/drill/recovery-target.js';
import { parseTargetTime } from '../src/drill/target-time.js';
import { setUpDrill, tearDownDrill, type DrillFixtures } from '../test/support/drill-fixtures.js';

const BUCKET = 'step-bench';
const PREFIX = 'backups/bench/wal/';

const between = (a: Date, b: Date): RecoveryTarget => ({
  stop: { kind: 'time', time: parseTargetTime(new Date((a.getTime() + b.getTime()) / 2).toISOString(), 'the moment') },
  exclusive: false,
  timeline: 'latest',
});

export async function benchStep(): Promise<string> {
  const started: Partial<DrillFixtures> = {};
  try {
    Object.assign(
      started,
      await setUpDrill({
        scratch: 'step-bench-',
        bucket: BUCKET,
        archive: { rowsBefore: 400_000, rowsAfter: 0, batches: { count: 3, rows: 10 }, partitions: 4 },
        prefix: PREFIX,
        env: {},
      }),
    );
    const { moto, archive, dir } = started as DrillFixtures;
    const [b1, b2, b3] = archive.batches;
    const [t1, t2] = [between(b1!.committed, b2!.before), between(b2!.committed, b3!.before)];
    const drill = {
      url: `s3://${BUCKET}/${PREFIX}`,
      store: moto.store,
      processes: localProcesses,
      redactor: new Redactor(),
      keep: true,
      pause: true,
      workdir: dir,
      now: () => new Date(),
    };
    const rounds = 3;
    let stepBest = Infinity;
    let freshBest = Infinity;
    let fetched = { step: 0, fresh: 0 };
    for (let round = 0; round < rounds; round++) {
      const first = await runDrill({ ...drill, target: t1 });
      const s = performance.now();
      const step = await runDrill({ ...drill, target: t2, from: { workdir: first.workdir!, backup: first.backup.name } });
      stepBest = Math.min(stepBest, performance.now() - s);
      await rm(first.workdir!, { recursive: true, force: true });
      if (!step.paused) throw new Error('the step did not leave the copy paused: the benchmark measures nothing');

      const f = performance.now();
      const fresh = await runDrill({ ...drill, target: t2 });
      freshBest = Math.min(freshBest, performance.now() - f);
      await rm(fresh.workdir!, { recursive: true, force: true });
      fetched = { step: step.restore.bytesDownloaded, fresh: fresh.restore.bytesDownloaded };
    }
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
    return [
      `restore-to-time step: the second moment looked at (400,000 rows in the base backup), best of ${rounds}`,
      `  ours (the paused copy moved forward: target rewritten, restart, replay from its restartpoint; fetched ${mib(fetched.step)}): ${stepBest.toFixed(0)} ms`,
      `  a fresh restore to the same moment (base backup and WAL, replay from the backup; fetched ${mib(fetched.fresh)}): ${freshBest.toFixed(0)} ms`,
      `step-bench ratio=${(freshBest / stepBest).toFixed(2)} (fresh restore / step; target >= 1.5)`,
    ].join('\n');
  } finally {
    await tearDownDrill(started);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await benchStep());
}
