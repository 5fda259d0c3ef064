/**
 * Live (real sshd, etcd and moto; fake cf/bosh/docker): the new instance's archive is where its
 * container's environment says it archives, whatever its tenant logs; an old archive outside
 * Dingo's prefix in the platform's WAL bucket is refused before anything is changed, naming what
 * was found where; and a run is done only when the container serves the restored database.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, runCli, runIdOf, type CliResult } from '../../support/cli.js';
import { sshdAvailable } from '../../support/sshd.js';
import { etcdAvailable } from '../../support/etcd.js';
import { prepareCase, startLiveServers, type LiveCase, type LiveServers } from '../../support/live/platform.js';
import { NEW_SYSID, assertRecovered, expected } from '../../support/live/recovered.js';
import { BUCKET, OLD_GUID, ONE_RUN_MS, archivePrefix, newArchive } from '../../support/live/shared.js';
import { ifStarted } from '../../support/started.js';
import { readJournal } from '../../../src/engine/journal/index.js';
import { DEFAULT_RUNBOOK, runbookPath } from '../../../src/commands/package-files.js';
import type { ObjectStore } from '../../../src/core/seams.js';

const LOOKALIKE = 'our-postgresql-backups-x';
const OTHER_WAL_BUCKET = 'dingo-wal-elsewhere';
const OLD_URL = `s3://${BUCKET}/${archivePrefix(OLD_GUID)}`;

async function keysIn(s3: ObjectStore, bucket: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const o of s3.list(bucket, prefix)) out[o.key.slice(prefix.length)] = `${o.size} ${o.etag}`;
  return out;
}

function stepsStarted(c: LiveCase, runId: string): string[] {
  return readJournal(join(c.stateDir, 'runs', runId, 'journal.ndjson')).flatMap((e) => (e.type === 'step.started' ? [e.step] : []));
}

/** The error of the run's failed step, as journaled (unwrapped), with the step. */
function failure(c: LiveCase, runId: string): { step: string; error: string } | undefined {
  for (const e of readJournal(join(c.stateDir, 'runs', runId, 'journal.ndjson')))
    if (e.type === 'step.failed') return { step: e.step, error: e.error };
  return undefined;
}

function outputsOf(c: LiveCase, runId: string, step: string): Record<string, unknown> | undefined {
  for (const e of readJournal(join(c.stateDir, 'runs', runId, 'journal.ndjson')))
    if (e.type === 'step.finished' && e.step === step) return e.outputs;
  return undefined;
}

describe.skipIf(!sshdAvailable || !etcdAvailable)('the archive locations are pinned, and the restored database is served, live', () => {
  let servers: LiveServers;
  beforeAll(async () => {
    servers = await startLiveServers();
    await servers.moto.createBucket(LOOKALIKE);
    await servers.moto.createBucket(OTHER_WAL_BUCKET);
  });
  afterAll(async () => {
    await ifStarted(servers)?.stop();
  });

  describe("the new container's tenant logs a look-alike bucket as its archive's", () => {
    let c: LiveCase;
    let run: CliResult;
    let runId: string;
    beforeAll(async () => {
      c = await prepareCase(servers, 'forged-target', { forgedBucket: LOOKALIKE });
      run = await runCli(['recover', ...c.liveArgs, '--state-dir', c.stateDir], { env: c.env });
      runId = runIdOf(run.stdout);
    }, ONE_RUN_MS);
    afterAll(async () => {
      await ifStarted(c)?.cleanup();
    });

    it("swaps the archive at the prefix the container's environment names, and never writes the look-alike bucket", async () => {
      expect(run.code, run.stdout + run.stderr).toBe(DONE_DRILLED_ON_CELL);
      // The logs name two archives for it: neither is taken, and its environment says where it archives.
      expect(outputsOf(c, runId, 'find-new-container')).toMatchObject({ archiveUrl: `s3://${BUCKET}/${archivePrefix(c.newGuid)}` });
      expect(outputsOf(c, runId, 'inspect-new-container')).toMatchObject({ archiveUrl: `s3://${BUCKET}/${archivePrefix(c.newGuid)}` });
      expect(await keysIn(servers.s3, LOOKALIKE)).toEqual({});
      await assertRecovered(servers, c);
    });
  });

  describe('a runbook that takes the target from the logs', () => {
    let c: LiveCase;
    let run: CliResult;
    let runId: string;
    beforeAll(async () => {
      // The tenant's line is the only one of the container the logs show: the logs name the look-alike alone.
      c = await prepareCase(servers, 'logs-target', { forgedBucket: LOOKALIKE, forgedOnly: true });
      // As the runbooks had it before the target came from the container's environment: a copy of
      // the bundled folder (the recovery uses its sibling runbooks) with the shared steps changed.
      const folder = join(c.dir, 'runbooks');
      cpSync(dirname(runbookPath(DEFAULT_RUNBOOK)), folder, { recursive: true });
      // The new instance's archive is create-solo's declared output, which recover-instance reads.
      const shared = join(folder, 'create-solo.yaml');
      const text = readFileSync(shared, 'utf8');
      const changed = text.replaceAll(
        '${steps.inspect-new-container.outputs.archiveUrl}',
        '${steps.find-new-container.outputs.archiveUrl}',
      );
      expect(changed).not.toBe(text);
      writeFileSync(shared, changed);
      const runbook = join(folder, `${DEFAULT_RUNBOOK}.yaml`);
      run = await runCli(['recover', ...c.liveArgs, '--runbook', runbook, '--state-dir', c.stateDir], { env: c.env });
      runId = runIdOf(run.stdout);
    }, ONE_RUN_MS);
    afterAll(async () => {
      await ifStarted(c)?.cleanup();
    });

    it('is stopped by preflight naming both prefixes, with nothing changed', async () => {
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(failure(c, runId)).toEqual({
        step: 'preflight',
        error: expect.stringContaining(
          `the target s3://${LOOKALIKE}/${archivePrefix(c.newGuid)} is not where it archives: its environment says s3://${BUCKET}/${archivePrefix(c.newGuid)}`,
        ),
      });
      expect(stepsStarted(c, runId)).not.toContain('stop-container');
      expect(c.readCell().containers[c.container]?.running).toBe(true);
      expect(await keysIn(servers.s3, BUCKET, archivePrefix(c.newGuid))).toEqual(expected(newArchive(c.newGuid, NEW_SYSID)));
      expect(await keysIn(servers.s3, LOOKALIKE)).toEqual({});
    });
  });

  describe("an old archive outside the platform's WAL bucket", () => {
    let c: LiveCase;
    let run: CliResult;
    let runId: string;
    beforeAll(async () => {
      c = await prepareCase(servers, 'other-bucket', { containerWalBucket: OTHER_WAL_BUCKET });
      run = await runCli(['recover', ...c.liveArgs, '--state-dir', c.stateDir], { env: c.env });
      runId = runIdOf(run.stdout);
    }, ONE_RUN_MS);
    afterAll(async () => {
      await ifStarted(c)?.cleanup();
    });

    it("is refused by preflight, naming where it was found and the containers' bucket, with nothing changed", () => {
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(failure(c, runId)).toEqual({
        step: 'preflight',
        error: expect.stringContaining(
          `the old archive ${OLD_URL} is refused: it is in bucket ${BUCKET}, not the platform's WAL bucket ${OTHER_WAL_BUCKET}`,
        ),
      });
      expect(stepsStarted(c, runId)).not.toContain('stop-container');
      expect(c.readCell().containers[c.container]?.running).toBe(true);
    });
  });

  describe('--wal-bucket naming another bucket than the one the logs found the archive in', () => {
    let c: LiveCase;
    let refused: CliResult;
    let resumed: CliResult;
    let runId: string;
    let refusedFailure: ReturnType<typeof failure>;
    let startedBeforeResume: string[];
    beforeAll(async () => {
      c = await prepareCase(servers, 'wal-bucket');
      refused = await runCli(['recover', ...c.liveArgs, '--wal-bucket', LOOKALIKE, '--state-dir', c.stateDir], { env: c.env });
      runId = runIdOf(refused.stdout);
      refusedFailure = failure(c, runId);
      startedBeforeResume = stepsStarted(c, runId);
      resumed = await runCli(['resume', runId, '--yes', '--wal-bucket', `s3://${BUCKET}`, '--state-dir', c.stateDir], { env: c.env });
    }, 2 * ONE_RUN_MS);
    afterAll(async () => {
      await ifStarted(c)?.cleanup();
    });

    it('refuses the archive when it is inspected, before anything is created, naming both', () => {
      expect(refused.code, refused.stdout + refused.stderr).toBe(1);
      expect(refusedFailure).toEqual({
        step: 'inspect-old-archive',
        error: `the archive ${OLD_URL} found for ${OLD_GUID} is refused: it is in bucket ${BUCKET}, not the platform's WAL bucket ${LOOKALIKE} (--wal-bucket)`,
      });
      expect(startedBeforeResume).not.toContain('create-service');
    });

    it('resumes with the right bucket and recovers', async () => {
      expect(resumed.code, resumed.stdout + resumed.stderr).toBe(DONE_DRILLED_ON_CELL);
      await assertRecovered(servers, c);
    });
  });

  describe("a prefix that lost the archive's sysids/sysid after the etcd reset", () => {
    let c: LiveCase;
    let killed: CliResult;
    let stopped: CliResult;
    let again: CliResult;
    let runId: string;
    beforeAll(async () => {
      c = await prepareCase(servers, 'served');
      killed = await runCli(['recover', ...c.liveArgs, '--state-dir', c.stateDir], {
        env: { ...c.env, DINGO_RECOVER_FAILPOINTS: 'step:reset-etcd' },
      });
      runId = runIdOf(killed.stdout);
      // Started on an empty /data with it gone, Dingo's container would find nothing to restore and
      // initialise a database of its own, archived over the copy.
      await servers.s3.deleteMany(BUCKET, [`${archivePrefix(c.newGuid)}sysids/sysid`]);
      stopped = await runCli(['resume', runId, '--yes', '--state-dir', c.stateDir], { env: c.env });
      again = await runCli(['resume', runId, '--yes', '--state-dir', c.stateDir], { env: c.env });
    }, 3 * ONE_RUN_MS);
    afterAll(async () => {
      await ifStarted(c)?.cleanup();
    });

    it('stops before the start, naming the object, starts nothing and stays resumable', async () => {
      expect(killed.signal, killed.stdout + killed.stderr).toBe('SIGKILL');
      expect(stopped.code, stopped.stdout + stopped.stderr).toBe(1);
      const said = `s3://${BUCKET}/${archivePrefix(c.newGuid)}sysids/sysid cannot be read`;
      expect(stopped.stdout).toContain(said);
      expect(stopped.stdout).toContain("so /initialize cannot be set to the restored database's");
      // The container was never started on the broken prefix: it serves nothing.
      expect(c.readCell().containers[c.container]!.running).toBe(false);
      const events = readJournal(join(c.stateDir, 'runs', runId, 'journal.ndjson'));
      // Once by the resume, once by the resume after it.
      expect(events.flatMap((e) => (e.type === 'step.failed' ? [e.step] : []))).toEqual(['start-container', 'start-container']);
      expect(events.some((e) => e.type === 'step.started' && e.step === 'wait-restored')).toBe(false);
      expect(again.code, again.stdout + again.stderr).toBe(1);
      expect(again.stdout).toContain(said);
      const runs = await runCli(['runs', '--json', '--state-dir', c.stateDir], { env: c.env });
      expect(JSON.parse(runs.stdout).runs).toEqual([expect.objectContaining({ runId, status: 'failed' })]);
    });
  });
});
