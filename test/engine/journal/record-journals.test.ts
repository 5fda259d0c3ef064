/**
 * Records golden journals: each a rehearsal run to its end from source, its journal copied to
 * test/engine/journal/golden/NAME.ndjson. Only when asked:
 * `DINGO_RECORD_GOLDEN=space-done,restore-to-time,recover-to-target,docker-volume npx vitest run test/engine/journal/record-journals.test.ts`,
 * then `npx vitest run test/engine/journal/resume-decisions.test.ts -u` writes what the executor does on each cut
 * of them; review both before committing. The older journals there (done, waiting, midcopy, afterstop,
 * space) were recorded by earlier versions and are kept as they are: a resume must still read them.
 */
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../../support/cli.js';
import { readJournal } from '../../../src/engine/journal/index.js';
import { liveInstanceScenario } from '../../support/live-instance-scenario.js';
import { buildVolumesTree, type VolumesTree } from '../../support/pg-volumes.js';

interface Recording {
  /** The rehearse arguments, given a scratch folder of the recording's own. */
  args(work: string): string[] | Promise<string[]>;
  /** Removes what args made beside the scratch folder. */
  cleanup?: () => void;
}

const RECORDINGS: Record<string, () => Recording> = {
  'space-done': () => ({ args: () => ['rehearse', '--scenario', join(ROOT, 'fixtures/space-scenario'), '--yes'] }),
  // The instance still live, restored into a new service: the for-each that creates the copy runs too.
  'restore-to-time': () => ({
    args: async (work) => {
      const answers = join(work, 'answers.yaml');
      writeFileSync(
        answers,
        'inputs:\n  org: acme\n  space: important-space-and-all-databases\n  instance: important-db\n  targetTime: "2016-03-17T05:00:00Z"\n  into: service\n',
      );
      const scenario = await liveInstanceScenario(work);
      return ['rehearse', '--scenario', scenario, '--runbook', 'restore-to-time', '--answers', answers, '--yes'];
    },
  }),
  // The deleted instance of the seed incident brought back as it was just before a transaction, into a new service of its name.
  'recover-to-target': () => ({
    args: () => ['rehearse', '--target-xid', '1843', '--target-exclusive', '--yes'],
  }),
  'docker-volume': () => {
    let tree: VolumesTree | undefined;
    return {
      args: async (work) => {
        tree = await buildVolumesTree();
        const answers = join(work, 'answers.yaml');
        writeFileSync(
          answers,
          `inputs:\n  outDir: ${join(work, 'dumps')}\n  volumesRoot: ${tree.root}\n  scratchDir: ${join(work, 'scratch')}\n`,
        );
        return ['rehearse', '--runbook', 'recover-docker-volume', '--answers', answers, '--yes'];
      },
      cleanup: () => {
        tree?.cleanup();
      },
    };
  },
};

/** Records NAME; its journal's file. */
async function record(name: string): Promise<string> {
  const recording = RECORDINGS[name]!();
  const work = mkdtempSync(join(tmpdir(), 'golden-'));
  // The scratch account a throwaway server runs as passes through it to its copy.
  chmodSync(work, 0o755);
  try {
    const state = join(work, 'state');
    const r = await runCli([...(await recording.args(work)), '--state-dir', state]);
    // Done, or done with warnings (exit 8: a step could not do all its work, e.g. a restore of the seed's 9.5 archive to a target, which no server here runs).
    if (r.code !== 0 && r.code !== 8) throw new Error(`${name}: the rehearsal ended with ${r.code ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
    const [run] = readdirSync(join(state, 'runs'));
    const file = join(ROOT, 'test/engine/journal/golden', `${name}.ndjson`);
    copyFileSync(join(state, 'runs', run!, 'journal.ndjson'), file);
    chmodSync(file, 0o644);
    return file;
  } finally {
    recording.cleanup?.();
    rmSync(work, { recursive: true, force: true });
  }
}

const wanted = (process.env.DINGO_RECORD_GOLDEN ?? '').split(',').filter(Boolean);

describe.runIf(wanted.length)('recording golden journals (DINGO_RECORD_GOLDEN)', () => {
  it.each(wanted)(
    '%s',
    async (name) => {
      expect(Object.keys(RECORDINGS), `no recording ${name}`).toContain(name);
      const file = await record(name);
      const events = readJournal(file);
      expect(events.at(-1)?.type).toBe('run.finished');
    },
    300_000,
  );
});
