/**
 * `recover --record DIR` and `resume --record DIR` on the live end-to-end platform (real sshd, etcd
 * and moto, the fake cf/bosh/docker processes): the run writes the platform as it found it, before
 * its first change, as a scenario; `rehearse --scenario` of it finds the same deleted instance with
 * the same evidence and finishes. A bad folder is refused before any run exists; a resume past its
 * first change writes nothing and says so.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, DONE_UNDRILLED, runCli, runIdOf, type CliResult } from '../support/cli.js';
import { ifStarted } from '../support/started.js';
import { sshdAvailable } from '../support/sshd.js';
import { etcdAvailable } from '../support/etcd.js';
import { prepareCase } from '../support/live/platform.js';
import { SEED_SPACE, seedSpaceDeleted } from '../support/live/deleted-space.js';
import type { WorldState } from '../../src/rehearsal/world-state.js';
import { useCaseRun, useLiveServers, type CaseRun, rehearseScenario } from '../support/live/hooks.js';
import { assertNoSecrets, assertRecovered, filesUnder } from '../support/live/recovered.js';
import { BUCKET, OLD_GUID, ONE_RUN_MS, deletedInstance } from '../support/live/shared.js';
import type { LiveCase } from '../support/live/case-types.js';
import { tempDirForAll } from '../support/temp-dirs.js';

interface Transcript {
  status: string;
  scenarios: { dir: string; written: boolean; before: string | null; reason: string | null }[];
  steps: { id: string; status: string; outputs: Record<string, unknown> | null; notes: { text: string }[] }[];
}

async function transcript(stateDir: string, runId: string, env?: Record<string, string>): Promise<Transcript> {
  const show = await runCli(['show', runId, '--json', '--state-dir', stateDir], { env });
  return JSON.parse(show.stdout) as Transcript;
}

/** The journal's --record events. */
function recordEvents(c: LiveCase, runId: string): Record<string, unknown>[] {
  return readFileSync(join(c.stateDir, 'runs', runId, 'journal.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => String(e.type).startsWith('scenario.'));
}

/** What the finder decided and the evidence it showed: the log lines and why, whatever file held them. */
function finding(t: Transcript): { outputs: Record<string, unknown>; evidence: string[] } {
  const step = t.steps.find((s) => s.id === 'find-deleted-instance')!;
  const evidence = step.notes.map((n) => n.text).filter((text) => text.includes('\n  '));
  // Live, the operator's --deleted-instance chose; rehearsed, the scenario's answers file, which holds that choice.
  const { decidedBy, ...outputs } = step.outputs ?? {};
  expect(decidedBy).toMatch(/^the operator/);
  // A kept line sits in the scenario's own syslog file: the file and offset differ, never the line.
  return { outputs, evidence: evidence.map((e) => e.replace(/\n {2}\S+ @ byte \d+: /, '\n  FILE: ')) };
}

function secretsOf(c: LiveCase): string[] {
  const s = c.secrets;
  return [s.containerAwsKeyId, s.containerAwsSecret, s.operatorAwsSecret, ...s.passwords, ...s.privateKeyLines];
}

function scenarioDir(): string {
  return join(tempDirForAll('dingo-record-'), 'scenario');
}

describe.skipIf(!sshdAvailable || !etcdAvailable)('dingo-recover recover --record, live', () => {
  const live = useLiveServers();

  describe('a live recovery that records what it found', () => {
    const out = scenarioDir();
    const rec = useCaseRun(
      () => prepareCase(live.servers, 'record'),
      (c) => runCli(['recover', ...c.liveArgs, '--record', out, '--state-dir', c.stateDir], { env: c.env }),
    );

    it('recovers as without --record, and names the scenario in its closing lines', async () => {
      expect(rec.run.code, rec.run.stdout + rec.run.stderr).toBe(DONE_DRILLED_ON_CELL);
      expect(rec.run.stdout).toContain(
        `--record: reading the platform as the run found it (before step "create-service" changes it) into ${out}`,
      );
      expect(rec.run.stdout).toContain(`wrote the scenario ${out}`);
      const tail = rec.run.stdout.slice(rec.run.stdout.indexOf(`run ${rec.runId} is done`));
      expect(tail).toContain(`scenario of the platform as the run found it: ${out}`);
      await assertRecovered(live.servers, rec.c);
    });

    it('journals that the scenario was written, where, and before which step; show keeps it', async () => {
      expect(recordEvents(rec.c, rec.runId)).toEqual([
        expect.objectContaining({ type: 'scenario.recorded', dir: out, before: 'create-service' }),
      ]);
      const t = await transcript(rec.c.stateDir, rec.runId, rec.c.env);
      expect(t.scenarios).toEqual([expect.objectContaining({ dir: out, written: true, before: 'create-service', reason: null })]);
      const show = await runCli(['show', rec.runId, '--state-dir', rec.c.stateDir], { env: rec.c.env });
      expect(show.stdout).toContain(`to ${out}, before step create-service`);
    });

    it('writes a 0700 scenario of the platform before the run changed it, with no secret in it', () => {
      expect(statSync(out).mode & 0o777).toBe(0o700);
      expect(readdirSync(out).sort()).toEqual(['answers.yaml', 'scenario.yaml', 'syslog']);
      const scenario = readFileSync(join(out, 'scenario.yaml'), 'utf8');
      expect(scenario).toContain(OLD_GUID);
      // The instance the run created came after: the scenario does not know it.
      expect(scenario).not.toContain(rec.c.newGuid);
      expect(readFileSync(join(out, 'answers.yaml'), 'utf8')).toContain(`deletedInstance: ${OLD_GUID}`);
      for (const f of filesUnder(out)) {
        const text = readFileSync(f, 'utf8');
        for (const secret of secretsOf(rec.c)) expect(text.includes(secret), `${f} holds ${secret}`).toBe(false);
      }
      assertNoSecrets(rec.c, rec.runId, rec.run.stdout + rec.run.stderr);
    });

    it(
      'rehearses: the same deleted instance, with the same evidence, and every step finishes',
      async () => {
        const { run, stateDir } = await rehearseScenario(out);
        expect(run.code, run.stdout + run.stderr).toBe(DONE_UNDRILLED);
        const rehearsed = await transcript(stateDir, runIdOf(run.stdout));
        expect(rehearsed.status).toBe('done');
        const found = finding(rehearsed);
        expect(found.outputs).toMatchObject({ instanceGuid: OLD_GUID, archiveUrl: `s3://${BUCKET}/backups/${OLD_GUID}/wal/` });
        expect(found.evidence.length).toBeGreaterThan(0);
        expect(found).toEqual(finding(await transcript(rec.c.stateDir, rec.runId, rec.c.env)));
      },
      ONE_RUN_MS,
    );
  });

  describe('a --record folder that cannot take the scenario', () => {
    const full = scenarioDir();
    let c: LiveCase;
    let refused: CliResult;
    beforeAll(async () => {
      mkdirSync(full, { recursive: true });
      writeFileSync(join(full, 'notes.txt'), 'the operator keeps this\n');
      c = await prepareCase(live.servers, 'record-refused');
      refused = await runCli(['recover', ...c.liveArgs, '--record', full, '--state-dir', c.stateDir], { env: c.env });
    }, ONE_RUN_MS);
    afterAll(async () => {
      await ifStarted(c)?.cleanup();
    });

    it('is refused before any run exists, saying what to do, and the folder is left as it was', async () => {
      expect(refused.code, refused.stdout + refused.stderr).toBe(2);
      expect(refused.stderr).toContain(`--record ${full} is not empty`);
      expect(refused.stderr).toContain('what to do: pick another folder');
      expect(refused.stdout).not.toContain('starts run');
      expect(existsSync(join(c.stateDir, 'runs')) ? readdirSync(join(c.stateDir, 'runs')) : []).toEqual([]);
      expect(readdirSync(full)).toEqual(['notes.txt']);
      expect((await c.readCf()).instances.map((i) => i.guid)).not.toContain(c.newGuid);
    });
  });
});

describe.skipIf(!sshdAvailable || !etcdAvailable)('dingo-recover resume --record, live', () => {
  const live = useLiveServers();

  /** A case whose first run (`first`) stops or is killed, then `resume --record out --yes`. */
  function resumedWithRecord(
    label: string,
    out: string,
    first: (c: LiveCase) => Promise<CliResult>,
  ): { readonly case: CaseRun; readonly resumed: CliResult } {
    let resumed: CliResult | undefined;
    const run = useCaseRun(
      () => prepareCase(live.servers, label),
      async (c) => {
        const stopped = await first(c);
        resumed = await runCli(['resume', runIdOf(stopped.stdout), '--yes', '--record', out, '--state-dir', c.stateDir], { env: c.env });
        return stopped;
      },
      2 * ONE_RUN_MS,
    );
    return {
      case: run,
      get resumed(): CliResult {
        if (!resumed) throw new Error('the resume has not run yet');
        return resumed;
      },
    };
  }

  describe('a run that stopped before its first change (--plan), resumed with --record', () => {
    const out = scenarioDir();
    const planned = resumedWithRecord('record-resume', out, (c) =>
      runCli(['recover', ...c.liveArgs, '--plan', '--state-dir', c.stateDir], { env: c.env }),
    );

    it('writes the scenario before the first change, and the recovery finishes', async () => {
      expect(planned.case.run.code, planned.case.run.stdout + planned.case.run.stderr).toBe(0);
      expect(planned.resumed.code, planned.resumed.stdout + planned.resumed.stderr).toBe(DONE_DRILLED_ON_CELL);
      expect(planned.resumed.stdout).toContain(`wrote the scenario ${out}`);
      expect(recordEvents(planned.case.c, planned.case.runId)).toEqual([
        expect.objectContaining({ type: 'scenario.recorded', dir: out, before: 'create-service' }),
      ]);
      expect(readFileSync(join(out, 'scenario.yaml'), 'utf8')).not.toContain(planned.case.c.newGuid);
      await assertRecovered(live.servers, planned.case.c);
    });
  });

  describe('a run killed after its first change, resumed with --record', () => {
    const out = scenarioDir();
    const killed = resumedWithRecord('record-late', out, (c) =>
      runCli(['recover', ...c.liveArgs, '--state-dir', c.stateDir], { env: { ...c.env, DINGO_RECOVER_FAILPOINTS: 'step:create-service' } }),
    );

    it('writes no scenario, says why plainly, journals it, and the recovery finishes', async () => {
      expect(killed.case.run.signal, killed.case.run.stdout + killed.case.run.stderr).toBe('SIGKILL');
      expect(killed.resumed.code, killed.resumed.stdout + killed.resumed.stderr).toBe(DONE_DRILLED_ON_CELL);
      expect(killed.resumed.stdout).toContain(
        `--record: nothing written to ${out}: the run already changed the platform (step "create-service"`,
      );
      expect(killed.resumed.stdout).toContain(`scenario: none written to ${out}`);
      expect(existsSync(out)).toBe(false);
      expect(recordEvents(killed.case.c, killed.case.runId)).toEqual([
        expect.objectContaining({ type: 'scenario.not-recorded', dir: out }),
      ]);
      await assertRecovered(live.servers, killed.case.c);
    });
  });
});

const SPACE = SEED_SPACE;
const REPORTS = deletedInstance('reports-db', 2);
/** A whole space rehearsed: two instances' recoveries. */
const SPACE_RUN_MS = 600_000;

describe.skipIf(!sshdAvailable || !etcdAvailable)('dingo-recover recover-space --plan --record, live', () => {
  const live = useLiveServers();
  const out = scenarioDir();
  const planned = useCaseRun(
    () => prepareCase(live.servers, 'record-space', seedSpaceDeleted(REPORTS)),
    (c) =>
      runCli(
        ['recover-space', '--answers', c.answersFile, '--yes', ...c.platformArgs, '--plan', '--record', out, '--state-dir', c.stateDir],
        {
          env: c.env,
        },
      ),
  );

  it('records the deleted space before the first change, where --plan stops', () => {
    expect(planned.run.code, planned.run.stdout + planned.run.stderr).toBe(0);
    expect(planned.run.stdout).toContain('PLAN: nothing has been changed');
    expect(planned.run.stdout).toContain(`scenario of the platform as the run found it: ${out}`);
    const [recorded] = recordEvents(planned.c, planned.runId);
    expect(recorded).toMatchObject({ type: 'scenario.recorded', dir: out });
    const scenario = readFileSync(join(out, 'scenario.yaml'), 'utf8');
    expect(scenario).toMatch(/^runbook: recover-space$/m);
    expect(scenario).toContain('audit.space.delete-request');
    for (const f of filesUnder(out)) {
      const text = readFileSync(f, 'utf8');
      for (const secret of secretsOf(planned.c)) expect(text.includes(secret), `${f} holds ${secret}`).toBe(false);
    }
  });

  it(
    'rehearses: recover-space brings back both archived instances',
    async () => {
      const { run, stateDir } = await rehearseScenario(out, SPACE_RUN_MS);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const runId = runIdOf(run.stdout);
      const world = JSON.parse(readFileSync(join(stateDir, 'runs', runId, 'world.json'), 'utf8')) as WorldState;
      const space = world.cf.orgs.find((o) => o.name === 'acme')!.spaces.find((sp) => sp.name === SPACE)!;
      expect(
        world.cf.instances
          .filter((i) => i.spaceGuid === space.guid)
          .map((i) => i.name)
          .sort(),
      ).toEqual(['important-db', 'reports-db']);
    },
    SPACE_RUN_MS,
  );
});
