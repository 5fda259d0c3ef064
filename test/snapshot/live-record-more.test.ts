/**
 * `--record` beyond the bundled recovery, and a snapshot of logs kept in Elasticsearch, on the live
 * end-to-end platform: a restore-to-time run records the platform it read (when it stops, having
 * changed nothing), and the scenario rehearses restore-to-time on the same instance; the Docker-volume runbook, which reads no Cloud
 * Foundry platform, is refused `--record` before any run exists; a snapshot whose syslog came from
 * Elasticsearch rehearses to the same deleted instance.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DONE_DRILLED_ON_CELL, DONE_UNDRILLED, runCli, runIdOf, type CliResult } from '../support/cli.js';
import { ifStarted } from '../support/started.js';
import { sshdAvailable } from '../support/sshd.js';
import { etcdAvailable } from '../support/etcd.js';
import { prepareCase, type LiveServers } from '../support/live/platform.js';
import { useCaseRun, useLiveServers, useSnapshot, rehearseScenario } from '../support/live/hooks.js';
import { everySecret, filesUnder } from '../support/live/recovered.js';
import { BUCKET, OLD_GUID, ONE_RUN_MS } from '../support/live/shared.js';
import type { LiveCase } from '../support/live/case-types.js';
import { tempDirForAll } from '../support/temp-dirs.js';

interface Step {
  id: string;
  status: string;
  outputs: Record<string, unknown> | null;
}

async function stepsOf(stateDir: string, runId: string, env?: Record<string, string>): Promise<Step[]> {
  const show = await runCli(['show', runId, '--json', '--state-dir', stateDir], { env });
  return (JSON.parse(show.stdout) as { steps: Step[] }).steps;
}

function scenarioDir(): string {
  return join(tempDirForAll('dingo-record-'), 'scenario');
}

function noSecretIn(dir: string, c: LiveCase): void {
  const secrets = everySecret(c);
  expect(secrets.length).toBeGreaterThan(3);
  for (const f of filesUnder(dir)) {
    const text = readFileSync(f, 'utf8');
    for (const secret of secrets) expect(text.includes(secret), `${f} holds ${secret}`).toBe(false);
  }
}

/**
 * restore-to-time's answers, at a moment the seed archive reaches here: the end of the second moto stored
 * its last WAL. The archive reaches from its base backup's STOP TIME (its label's, 2016) to then; the
 * rehearsal of the recording reads the same label, so it reaches the same moments.
 */
async function restoreAnswers(c: LiveCase, servers: LiveServers): Promise<string> {
  let lastWal = 0;
  for await (const o of servers.s3.list(BUCKET, `backups/${OLD_GUID}/wal/wal_005/`)) {
    if (/\/[0-9A-F]{24}\.lzo$/.test(o.key)) lastWal = Math.max(lastWal, o.lastModified.getTime());
  }
  expect(lastWal).toBeGreaterThan(0);
  const moment = new Date(Math.floor(lastWal / 1000) * 1000 + 999).toISOString();
  writeFileSync(
    c.answersFile,
    `inputs:\n  org: acme\n  space: important-space-and-all-databases\n  instance: important-db\n  targetTime: "${moment}"\n`,
  );
  return moment;
}

describe.skipIf(!sshdAvailable || !etcdAvailable)('recover --runbook restore-to-time --record, live', () => {
  const live = useLiveServers();
  const out = scenarioDir();
  let moment = '';
  const rec = useCaseRun(
    async () => {
      const c = await prepareCase(live.servers, 'record-pitr');
      moment = await restoreAnswers(c, live.servers);
      return c;
    },
    (c) => runCli(['recover', '--runbook', 'restore-to-time', ...c.liveArgs, '--record', out, '--state-dir', c.stateDir], { env: c.env }),
  );

  it('writes a scenario of the instance it found, for restore-to-time, with its answers and no secret', () => {
    const text = rec.run.stdout + rec.run.stderr;
    // The seed archive is PostgreSQL 9.5, which this machine cannot run: the run stops at the restore,
    // having changed nothing, and the platform is recorded as it found it.
    expect(rec.run.code, text).toBe(1);
    expect(text).toContain('the archive was written by PostgreSQL 9.5');
    expect(text).toContain(`--record: reading the platform as the run found it into ${out}`);
    expect(text).toContain(`wrote the scenario ${out}`);
    expect(readdirSync(out).sort()).toEqual(['answers.yaml', 'scenario.yaml', 'syslog']);
    const scenario = parse(readFileSync(join(out, 'scenario.yaml'), 'utf8')) as {
      runbook?: string;
      world: { s3: Record<string, Record<string, object>> };
    };
    expect(scenario.runbook).toBe('restore-to-time');
    expect(Object.keys(scenario.world.s3[BUCKET] ?? {}).some((k) => k.startsWith(`backups/${OLD_GUID}/wal/`))).toBe(true);
    // The base backup's label, whose STOP TIME the restore starts from, is kept whole.
    expect(scenario.world.s3[BUCKET]?.[`backups/${OLD_GUID}/wal/wal_005/000000010000000000000002.00000028.backup.lzo`]).toHaveProperty(
      'bodyBase64',
    );
    const answers = parse(readFileSync(join(out, 'answers.yaml'), 'utf8')) as {
      inputs: Record<string, unknown>;
      choose?: Record<string, string>;
    };
    expect(answers.inputs).toMatchObject({ instance: 'important-db', targetTime: moment });
    expect(answers.choose).toEqual({ deletedInstance: OLD_GUID });
    noSecretIn(out, rec.c);
  });

  it('names the scenario in the incident report, with the command that replays it', async () => {
    const report = await runCli(['show', rec.runId, '--format', 'markdown', '--state-dir', rec.c.stateDir], { env: rec.c.env });
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain(
      `- Scenario of the platform as the run found it (the run changed nothing): \`${out}\`; replay it with \`dingo-recover rehearse --scenario ${out}`,
    );
  });

  it(
    'rehearses restore-to-time on the same instance and archive',
    async () => {
      const { run, stateDir } = await rehearseScenario(out);
      const text = run.stdout + run.stderr;
      // A recorded scenario keeps the archive's sizes and ETags, not its bytes: the drill on the cell cannot run (exit 8).
      expect(run.code, text).toBe(8);
      expect(text).toContain('Bring a Dingo PostgreSQL database back as it was at a moment');
      const rehearsed = (await stepsOf(stateDir, runIdOf(run.stdout))).find((s) => s.id === 'find-instance');
      const recorded = (await stepsOf(rec.c.stateDir, rec.runId, rec.c.env)).find((s) => s.id === 'find-instance');
      expect(rehearsed?.status, text).toBe('finished');
      expect(rehearsed?.outputs).toMatchObject({
        live: false,
        instanceGuid: OLD_GUID,
        archiveUrl: `s3://${BUCKET}/backups/${OLD_GUID}/wal/`,
      });
      expect(rehearsed?.outputs).toEqual(recorded?.outputs);
    },
    ONE_RUN_MS,
  );
});

describe.skipIf(!sshdAvailable || !etcdAvailable)('restore-to-time --record of an instance still alive, live', () => {
  const live = useLiveServers();
  const out = scenarioDir();
  const rec = useCaseRun(
    () => prepareCase(live.servers, 'record-pitr-live'),
    async (c) => {
      // The recovery brings important-db back: cf knows it again, its container serves it on the cell.
      const recovered = await runCli(['recover', ...c.liveArgs, '--state-dir', c.stateDir], { env: c.env });
      expect(recovered.code, recovered.stdout + recovered.stderr).toBe(DONE_DRILLED_ON_CELL);
      writeFileSync(
        c.answersFile,
        'inputs:\n  org: acme\n  space: important-space-and-all-databases\n  instance: important-db\n  targetTime: "2016-03-17T05:00:00Z"\n',
      );
      return runCli(['recover', '--runbook', 'restore-to-time', ...c.liveArgs, '--record', out, '--state-dir', c.stateDir], { env: c.env });
    },
    2 * ONE_RUN_MS,
  );

  it(
    'records the live instance with its container, and the rehearsal finds it alive, in the same container',
    async () => {
      const text = rec.run.stdout + rec.run.stderr;
      expect(text).toContain(`wrote the scenario ${out}`);
      const answers = parse(readFileSync(join(out, 'answers.yaml'), 'utf8')) as { choose?: unknown };
      expect(answers.choose).toBeUndefined();
      const scenario = readFileSync(join(out, 'scenario.yaml'), 'utf8');
      expect(scenario).toContain(`cf-${rec.c.nodeUuid}`);
      noSecretIn(out, rec.c);
      const recorded = (await stepsOf(rec.c.stateDir, rec.runId, rec.c.env)).find((s) => s.id === 'find-instance');
      expect(recorded?.outputs).toMatchObject({ live: true, instanceGuid: rec.c.newGuid, container: `cf-${rec.c.nodeUuid}` });
      const { run, stateDir } = await rehearseScenario(out);
      const rehearsed = (await stepsOf(stateDir, runIdOf(run.stdout))).find((s) => s.id === 'find-instance');
      expect(rehearsed?.status, run.stdout + run.stderr).toBe('finished');
      expect(rehearsed?.outputs).toEqual(recorded?.outputs);
    },
    ONE_RUN_MS,
  );
});

describe.skipIf(!sshdAvailable || !etcdAvailable)('recover --runbook recover-docker-volume --record', () => {
  const live = useLiveServers();
  const out = scenarioDir();
  let c: LiveCase;
  let refused: CliResult;
  beforeAll(async () => {
    c = await prepareCase(live.servers, 'record-volume');
    writeFileSync(c.answersFile, `inputs:\n  volume: pgdata\n  outDir: ${join(c.dir, 'dumps')}\n`);
    refused = await runCli(['recover', '--runbook', 'recover-docker-volume', ...c.liveArgs, '--record', out, '--state-dir', c.stateDir], {
      env: c.env,
    });
  }, ONE_RUN_MS);
  afterAll(async () => {
    await ifStarted(c)?.cleanup();
  });

  it('is refused before any run exists, saying why and what to do', () => {
    expect(refused.code, refused.stdout + refused.stderr).toBe(2);
    expect(refused.stderr).toContain('--record cannot record a recover-docker-volume run');
    expect(refused.stderr).toContain('what to do: run it without --record');
    expect(refused.stdout).not.toContain('starts run');
    expect(existsSync(join(c.stateDir, 'runs')) ? readdirSync(join(c.stateDir, 'runs')) : []).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });
});

describe.skipIf(!sshdAvailable || !etcdAvailable)('dingo-recover snapshot of a platform whose syslog is in Elasticsearch', () => {
  const r = useSnapshot((servers) => prepareCase(servers, 'snapshot-es', { logsIn: 'elasticsearch' }), {
    args: ['--deleted-instance', OLD_GUID],
  });

  it('keeps the lines the finder matched, from the cluster, and no secret', () => {
    expect(r.snap.code, r.snap.stdout + r.snap.stderr).toBe(0);
    const files = readdirSync(join(r.out, 'syslog'));
    expect(files).toEqual(['00-elasticsearch.log']);
    const lines = readFileSync(join(r.out, 'syslog', files[0]!), 'utf8');
    expect(lines).toContain(OLD_GUID);
    noSecretIn(r.out, r.c);
  });

  it(
    'rehearses to the same deleted instance, from the kept lines',
    async () => {
      const { run, stateDir } = await rehearseScenario(r.out);
      expect(run.code, run.stdout + run.stderr).toBe(DONE_UNDRILLED);
      const found = (await stepsOf(stateDir, runIdOf(run.stdout))).find((s) => s.id === 'find-deleted-instance');
      expect(found?.outputs).toMatchObject({ instanceGuid: OLD_GUID, archiveUrl: `s3://${BUCKET}/backups/${OLD_GUID}/wal/` });
    },
    ONE_RUN_MS,
  );
});
