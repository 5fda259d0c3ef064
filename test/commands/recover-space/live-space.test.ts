/**
 * `dingo-recover recover-space` LIVE (not a rehearsal), unattended (--answers, --yes, CI=true, no
 * stdin), against the real parts on loopback (test/support/live/platform.ts): the seed incident's
 * space deleted with `cf delete-space`, holding two archived Dingo instances (important-db, a
 * two-node cluster; reports-db, solo) and one that never archived (scratch-db). The space comes
 * back under its name with a new GUID; each archived instance is recreated in it, restored from ITS
 * OWN archive and grown to its plan; the never-archived one is reported, not created. Then the same
 * recovery killed (SIGKILL) in the middle of the second instance and resumed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../../src/engine/journal/index.js';
import { loadScenario } from '../../../src/rehearsal/world.js';
import { SEED } from '../../support/live/es-logs.js';
import { runCli, runIdOf, type CliResult } from '../../support/cli.js';
import { sshdAvailable } from '../../support/sshd.js';
import { etcdAvailable } from '../../support/etcd.js';
import { ifStarted } from '../../support/started.js';
import { useCaseRun, useLiveServers } from '../../support/live/hooks.js';
import { prepareCase, seedSpace, type LiveCase, type LiveServers } from '../../support/live/platform.js';
import { assertNoSecrets, assertRecovered, listing, transcriptOf } from '../../support/live/recovered.js';
import { CONFIRMED_STEPS, RESTORE_STEPS, SEED_DELETED, archivePrefix, deletedInstance } from '../../support/live/shared.js';
import { NEVER_ARCHIVED, spaceDeleted, type DeletedSpace } from '../../support/live/deleted-space.js';

/** A whole space run: two instances' recoveries, some 120 cf calls and as many on the cells, on a loaded machine. */
const ONE_RUN_MS = 600_000;
const TWO_RUNS_MS = 2 * ONE_RUN_MS;

const SPACE = 'important-space-and-all-databases';
/** The seed instance: of the cluster plan, but its logs show it ran one node; it comes back with one. */
const IMPORTANT = SEED_DELETED;
/** A two-node cluster the logs show both nodes of: it comes back grown to two. */
const REPORTS = deletedInstance('reports-db', 2);
const ANSWERS = `inputs:\n  org: acme\n  space: ${SPACE}\n`;
/** their-app of the seed space, which the space delete removed. */
const THEIR_APP_GUID = loadScenario(SEED)
  .initial.cf.orgs.flatMap((o) => o.spaces)
  .find((sp) => sp.name === SPACE)!
  .apps.find((a) => a.name === 'their-app')!.guid;

function deletedSpace(): DeletedSpace {
  const { orgGuid, spaceGuid } = seedSpace();
  return {
    name: SPACE,
    guid: spaceGuid,
    orgGuid,
    bindings: { 'their-app': [IMPORTANT, REPORTS] },
    instances: [
      { old: IMPORTANT, plan: 'cluster' },
      { old: REPORTS, plan: 'cluster' },
      { old: NEVER_ARCHIVED, plan: 'solo' },
    ],
  };
}

/** The platform after `cf delete-space`: archives of important-db and reports-db in moto, none of scratch-db. */
function prepareSpaceCase(servers: LiveServers, label: string): Promise<LiveCase> {
  return prepareCase(servers, label, {
    deleted: [IMPORTANT, REPORTS],
    cfWorld: (w) => spaceDeleted(w, deletedSpace()),
    answers: ANSWERS,
  });
}

function recoverSpace(c: LiveCase, env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(['recover-space', '--answers', c.answersFile, '--yes', ...c.platformArgs, '--state-dir', c.stateDir], {
    env: { ...c.env, ...env },
  });
}

/** The space is back under its name, with a new GUID, holding exactly the two archived instances. */
async function assertSpaceRecreated(c: LiveCase): Promise<void> {
  const cf = await c.readCf();
  const spaces = cf.orgs.find((o) => o.name === 'acme')!.spaces.filter((s) => s.name === SPACE);
  expect(spaces).toHaveLength(1);
  expect(spaces[0]!.guid).not.toBe(seedSpace().spaceGuid);
  const inSpace = cf.instances.filter((i) => i.spaceGuid === spaces[0]!.guid).map((i) => i.name);
  expect(inSpace.sort()).toEqual(['important-db', 'reports-db']);
  expect(cf.instances.some((i) => i.name === NEVER_ARCHIVED.name)).toBe(false);
}

interface Transcript {
  mode: string;
  status: string;
  steps: { id: string; status: string; confirmations: { method: string; coveredBy?: string }[] }[];
}

/**
 * Each archived instance's item steps finished (growth only for the cluster that had two nodes),
 * the destructive ones covered by the plan's confirmation; nothing of scratch-db ran.
 */
async function assertTranscript(c: LiveCase, runId: string): Promise<void> {
  const t = await transcriptOf<Transcript>(c, runId);
  expect([t.mode, t.status]).toEqual(['live', 'done']);
  const status = new Map(t.steps.map((s) => [s.id, s.status]));
  const confirmedBy = (id: string) => t.steps.find((s) => s.id === id)?.confirmations.map((x) => [x.method, x.coveredBy ?? '']);
  // The operator's one confirmation (--yes) of the plan covers each item's destructive steps.
  expect(confirmedBy('confirm-space-plan')).toEqual([['--yes', '']]);
  for (const id of ['find-instances', 'confirm-space-plan', 'create-space', 'target-space', 'recover-instances', 'report'])
    expect(status.get(id), id).toBe('finished');
  for (const name of ['important-db', 'reports-db']) {
    for (const step of RESTORE_STEPS) expect(status.get(`recover-instances/${name}/${step}`), `${name}/${step}`).toBe('finished');
    for (const step of CONFIRMED_STEPS)
      expect(confirmedBy(`recover-instances/${name}/${step}`), `${name}/${step}`).toEqual([['plan', 'confirm-space-plan']]);
    const items = t.steps.filter((s) => s.id.startsWith(`recover-instances/${name}/`));
    expect(items.filter((s) => s.status !== 'finished' && s.status !== 'skipped').map((s) => [s.id, s.status])).toEqual([]);
  }
  expect(t.steps.filter((s) => s.id.includes(NEVER_ARCHIVED.name))).toEqual([]);
  const grow = (name: string) => status.get(`recover-instances/${name}/grow-service`);
  expect([grow('important-db'), grow('reports-db')]).toEqual(['skipped', 'finished']);
}

/** The never-archived instance reported unrecoverable, with why, in the output and the run's report. */
function assertScratchReported(c: LiveCase, runId: string, output: string): void {
  expect(output).toMatch(new RegExp(`${NEVER_ARCHIVED.name}[^\\n]*NOT recoverable[^\\n]*no archive`));
  const report = readFileSync(join(c.stateDir, 'runs', runId, 'report.md'), 'utf8');
  for (const name of ['important-db', 'reports-db', NEVER_ARCHIVED.name]) expect(report).toContain(name);
  expect(report).toMatch(new RegExp(`${NEVER_ARCHIVED.name}[\\s\\S]*no archive`));
  // their-app went with the space: to be pushed again and bound by the user.
  expect(report).toMatch(/their-app[\s\S]*re-push|re-push[\s\S]*their-app/);
}

describe.skipIf(!sshdAvailable || !etcdAvailable)(
  'dingo-recover recover-space, live, against real sshd, etcd, moto and cf/bosh/docker processes',
  () => {
    const live = useLiveServers();

    describe('one uninterrupted run', () => {
      const once = useCaseRun(() => prepareSpaceCase(live.servers, 'space'), recoverSpace);

      it('exits 0, live', () => {
        expect(once.run.code, once.run.stdout + once.run.stderr).toBe(0);
      });

      it('recreates the space and restores each archived instance in it from its own archive, grown to its plan', async () => {
        await assertSpaceRecreated(once.c);
        await assertRecovered(live.servers, once.c, { bound: {}, untouched: [] });
      });

      it('reports the never-archived instance as unrecoverable and creates nothing for it', async () => {
        assertScratchReported(once.c, once.runId, once.run.stdout + once.run.stderr);
        expect(await listing(live.servers.s3, archivePrefix(NEVER_ARCHIVED.guid))).toEqual({});
      });

      it("journals each instance's steps as finished", async () => {
        await assertTranscript(once.c, once.runId);
      });

      it('names the app the space delete removed from its restage event, with its GUID and the commands to re-push and bind it', () => {
        // No create event of their-app is left: its name comes from a restage the week before.
        const app = THEIR_APP_GUID;
        const screen = once.run.stdout.replace(/\n +/g, ' ');
        for (const service of ['important-db', 'reports-db'])
          expect(screen).toContain(
            `- ${service}: re-push their-app (${app}) (the space delete removed them), then cf push their-app --no-start; cf bind-service their-app ${service}; cf start their-app`,
          );
      });

      it('writes no secret to the run folder or the output', () => {
        assertNoSecrets(once.c, once.runId, once.run.stdout + once.run.stderr);
      });
    });
    describe('killed (SIGKILL) in the middle of the second instance, then resumed', () => {
      const FAILPOINT = 'recover-instances/reports-db/quarantine-new-archive';
      let c: LiveCase;
      let killed: CliResult;
      let resumed: CliResult;
      let runId: string;
      let journalAtKill: ReturnType<typeof readJournal>;
      beforeAll(async () => {
        c = await prepareSpaceCase(live.servers, 'space-killed');
        killed = await recoverSpace(c, { DINGO_RECOVER_FAILPOINTS: `step:${FAILPOINT}` });
        runId = runIdOf(killed.stdout);
        journalAtKill = readJournal(join(c.stateDir, 'runs', runId, 'journal.ndjson'));
        resumed = await runCli(['resume', runId, '--yes', ...c.platformArgs, '--state-dir', c.stateDir], { env: c.env });
      }, TWO_RUNS_MS);
      afterAll(async () => {
        await ifStarted(c)?.cleanup();
      });

      it('dies by SIGKILL between two destructive steps of reports-db, and the resume exits 0', () => {
        expect(killed.signal, killed.stdout + killed.stderr).toBe('SIGKILL');
        const finished = journalAtKill.some((e) => e.type === 'step.finished' && e.step === FAILPOINT);
        const copyStarted = journalAtKill.some(
          (e) => e.type === 'step.started' && e.step === 'recover-instances/reports-db/copy-old-archive',
        );
        expect([finished, copyStarted, journalAtKill.some((e) => e.type === 'run.finished')]).toEqual([true, false, false]);
        expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
        expect(resumed.stdout).toContain(`resumes run ${runId}`);
      });

      it('leaves the same final state as an uninterrupted run', async () => {
        await assertSpaceRecreated(c);
        await assertRecovered(live.servers, c, { bound: {}, untouched: [] });
        assertScratchReported(c, runId, killed.stdout + resumed.stdout);
      });

      it('ran each destructive command once across both processes, and journals every step finished', async () => {
        const writes = readJournal(join(c.stateDir, 'runs', runId, 'journal.ndjson')).flatMap((e) =>
          e.type === 'command' && e.writes ? [`${e.step} ${e.argv.join(' ')}`] : [],
        );
        // A repeated command is journaled twice with the same step and argv (a repeated move aside
        // would add a second dated folder: assertRecovered counts them).
        expect(writes.filter((w, i) => writes.indexOf(w) !== i)).toEqual([]);
        // reports-db's steps before the kill ran their commands in the first process. (important-db
        // ran at once: a command of it in flight at the kill is probed, not journaled, by the resume.)
        for (const step of ['create-service', 'stop-container']) {
          const id = `recover-instances/reports-db/${step}`;
          expect(writes.filter((w) => w.startsWith(`${id} `)).length, id).toBeGreaterThan(0);
        }
        await assertTranscript(c, runId);
      });

      it('writes no secret to the run folder or the output', () => {
        assertNoSecrets(c, runId, killed.stdout + killed.stderr + resumed.stdout + resumed.stderr);
      });
    });
  },
);
