/**
 * restore-to-time LIVE, into a new service, against the live platform (real sshd jumpbox and cell,
 * real etcd, moto, fake cf/bosh/docker): important-db is still alive (cf knows it, its container runs
 * on the cell, and that container's environment pins its archive, a REAL PostgreSQL 15 wal-e archive
 * whose rows were committed in batches about a second apart). The user wants it as it was between
 * two batches, as a new service their app is bound to. The restore runs on this machine's
 * PostgreSQL 15; the copy is created in cf, its container on the cell runs a REAL PostgreSQL 15
 * (test/support/live/cell-postgres.ts), and each dump goes over SSH into `docker exec -i … pg_restore` there. The
 * rows are then counted through the cell, as the app's role: exactly those committed before the moment.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PSQL_VIA_STDIN } from '../../../src/adapters/container-database.js';
import type { SimContainer } from '../../../src/rehearsal/cell-sim.js';
import { runCli } from '../../support/cli.js';
import { etcdAvailable } from '../../support/etcd.js';
import { useCaseRun, useLiveServers } from '../../support/live/hooks.js';
import { ALIVE_CONTAINER, aliveLeader, importantDb, stillAlive, importantDbAnswers } from '../../support/live/alive-instance.js';
import { onTheCell } from '../../support/live/on-the-cell.js';
import { prepareCase } from '../../support/live/platform.js';
import { assertNoSecrets, doneTranscript, listing } from '../../support/live/recovered.js';
import { OLD_GUID, OLD_ROLES, archivePrefix } from '../../support/live/shared.js';
import { sshdAvailable } from '../../support/sshd.js';
import {
  betweenBatches,
  DRILL_TABLE,
  generateWaleArchive,
  removeArchive,
  uploadArchive,
  type GeneratedArchive,
} from '../../support/wale-archive.js';

/** Where important-db archives: its container's WAL_S3_BUCKET (the logs name another bucket). */
const PITR_BUCKET = 'live-pitr-backups';
const ORIGINAL = ALIVE_CONTAINER;
const ORIGINAL_AWS = { keyId: 'AKIAORIGINALLIVE7Q2W', secret: 'original/Container+SecretKey/9xLp' };
/** important-db's leader, archiving where its environment says. */
const originalContainer = (): SimContainer => aliveLeader(PITR_BUCKET, ORIGINAL_AWS);

const stamp = (at: Date): string => at.toISOString().slice(0, 16).replace(/[-:]/g, '');

let archive: GeneratedArchive | undefined;
let dir: string | undefined;
/** The archive as it was uploaded: relative key → "size etag". */
let uploaded: Record<string, string>;

/** A moment between the first and the second batch: the first batch in, the second out. */
const moment = (): Date => betweenBatches(archive!, 0);

const answers = (): string => importantDbAnswers(moment(), ['  into: service', '  apps: [their-app]', '  plan: solo']);

describe.skipIf(!sshdAvailable || !etcdAvailable)('dingo-recover recover --runbook restore-to-time, live, into a new service', () => {
  const live = useLiveServers(async (s) => {
    dir = await mkdtemp(join(tmpdir(), 'live-pitr-'));
    archive = await generateWaleArchive({ dir, rowsBefore: 100, rowsAfter: 0, batches: { count: 3, rows: 10, backupAfter: 2 } });
    await s.moto.createBucket(PITR_BUCKET);
    await uploadArchive(s.s3, archive.root, PITR_BUCKET, archivePrefix(OLD_GUID));
    uploaded = await listing(s.s3, archivePrefix(OLD_GUID), PITR_BUCKET);
  });
  afterAll(async () => {
    if (archive) await removeArchive(archive);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const pitr = useCaseRun(
    () =>
      prepareCase(live.servers, 'pitr', {
        deleted: [],
        newInstances: 1,
        containers: [originalContainer()],
        cfWorld: (w) => stillAlive(w, ['their-app']),
        otherSecrets: [ORIGINAL_AWS.keyId, ORIGINAL_AWS.secret, ...Object.values(OLD_ROLES)],
        realPostgres: true,
        answers: answers(),
      }),
    (c) =>
      runCli(
        ['recover', '--runbook', 'restore-to-time', '--answers', c.answersFile, '--yes', ...c.platformArgs, '--state-dir', c.stateDir],
        {
          env: c.env,
        },
      ),
  );
  const copyName = (): string => `important-db-at-${stamp(moment())}`;

  it('exits 0, the copy created as a new service', async () => {
    expect(pitr.run.code, pitr.run.stdout + pitr.run.stderr).toBe(0);
    expect(pitr.run.stdout).toContain(`run ${pitr.runId} is done`);
    const t = await doneTranscript<{
      steps: {
        id: string;
        status: string;
        outputs: Record<string, unknown> | null;
        commands: { where: string; argv: string[]; exitCode: number }[];
      }[];
    }>(pitr.c, pitr.runId);
    expect(t.steps.find((s) => s.id === 'find-instance')!.outputs).toMatchObject({
      live: true,
      instanceGuid: OLD_GUID,
      archiveUrl: `s3://${PITR_BUCKET}/${archivePrefix(OLD_GUID)}`,
      container: ORIGINAL,
    });
    // The dump went over SSH, through the jumpbox, into pg_restore in the copy's container.
    const load = t.steps.find((s) => s.id === 'load-dumps')!;
    expect(load.outputs).toEqual({ loaded: ['postgres'] });
    expect(load.commands.find((x) => x.argv.includes('--single-transaction'))).toMatchObject({
      exitCode: 0,
      argv: expect.arrayContaining(['exec', '-i', pitr.c.container]) as unknown,
      where: expect.stringMatching(/^cell 10\.58\.111\.150 via dingolivegw@dingo-jumpbox \(127\.0\.0\.1\)/) as unknown,
    });
    const report = readFileSync(join(pitr.c.stateDir, 'runs', pitr.runId, 'report.md'), 'utf8');
    expect(report.startsWith('# restore-to-time\n')).toBe(true);
    expect(report).toContain(
      `- The copy is the new service ${copyName()}: created as solo, the dumps loaded into its leader, bound to their-app`,
    );
    expect(report).not.toContain('grown to the plan');
    expect(report).toContain('- The live instance was not touched: only its archive was read');
    expect(report).not.toContain('quarantined archive');
    const cf = await pitr.c.readCf();
    expect(cf.instances.map((i) => [i.name, i.guid, i.plan]).sort()).toEqual(
      [
        ['important-db', OLD_GUID, 'cluster'],
        [copyName(), pitr.c.newGuid, 'solo'],
      ].sort(),
    );
  });

  it('loaded the dump into a real PostgreSQL 15 behind the copy container, through the cell', () => {
    const cell = pitr.c.readCell();
    expect(Object.keys(cell.postgres ?? {})).toEqual([pitr.c.container]);
    expect(cell.history).toContain(`broker created ${pitr.c.container} for ${pitr.c.newGuid}`);
    expect(cell.history).toContain(`pg_restore in ${pitr.c.container} ran on its PostgreSQL 15`);
  });

  it('holds exactly the rows committed before the moment, read through the cell as the role the app binds with', async () => {
    const [first, second] = archive!.batches;
    const out = await onTheCell(
      pitr.c,
      ['exec', '-i', pitr.c.container, 'sh', '-c', PSQL_VIA_STDIN, 'sh', 'appuser', '-tAc', `select count(*), max(id) from ${DRILL_TABLE}`],
      `${pitr.c.newPasswords.appuser}\n`,
    );
    expect(out.trim()).toBe(`${String(archive!.rowsBefore + 10)}|${String(first!.lastId)}`);
    expect(first!.lastId).toBeLessThan(second!.lastId);
  });

  it('binds the app to the copy, and leaves the original instance, its container and its archive untouched', async () => {
    const cf = await pitr.c.readCf();
    const app = cf.orgs.flatMap((o) => o.spaces.flatMap((sp) => sp.apps)).find((a) => a.name === 'their-app')!;
    expect([...app.boundServiceGuids].sort()).toEqual([OLD_GUID, pitr.c.newGuid].sort());
    expect(cf.instances.find((i) => i.guid === OLD_GUID)).toEqual(importantDb());
    const cell = pitr.c.readCell();
    expect(cell.containers[ORIGINAL]).toEqual(originalContainer());
    expect(cell.history.filter((h) => h.includes(ORIGINAL))).toEqual([]);
    expect(await listing(live.servers.s3, archivePrefix(OLD_GUID), PITR_BUCKET)).toEqual(uploaded);
  });

  it('writes no secret to the run folder or the output, the original container’s included', () => {
    expect(pitr.c.secrets.others).toContain(ORIGINAL_AWS.secret);
    assertNoSecrets(pitr.c, pitr.runId, pitr.run.stdout + pitr.run.stderr);
    expect(JSON.stringify(pitr.c.readCell().history)).not.toContain(pitr.c.newPasswords.appuser);
  });
});
