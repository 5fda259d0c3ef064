/**
 * restore-to-time LIVE, into a new service, against the live platform (real sshd jumpbox and cell,
 * real etcd, moto, fake cf/bosh/docker): important-db is still alive (cf knows it, its container runs
 * on the cell, and that container's environment pins its archive, a REAL PostgreSQL 15 wal-e archive
 * whose rows were committed in batches about a second apart). The user wants it as it was between
 * two batches, as a new service their app is bound to. The restore runs on this machine's
 * PostgreSQL 15; the copy is created in cf, its container on the cell runs a REAL PostgreSQL 15
 * (./cell-postgres.ts), and each dump goes over SSH into `docker exec -i … pg_restore` there. The
 * rows are then counted through the cell, as the app's role: exactly those committed before the moment.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PSQL_VIA_STDIN } from '../../src/adapters/postgres.js';
import { quote } from '../../src/core/command-line.js';
import type { CfServiceInstance, CfWorld } from '../../src/rehearsal/cf/index.js';
import type { SimContainer } from '../../src/rehearsal/cell-sim.js';
import { runCli } from '../support/cli.js';
import { etcdAvailable } from '../support/etcd.js';
import { FAKE_DOCKER } from '../support/fake-docker/world.js';
import { useCaseRun, useLiveServers } from '../support/live/hooks.js';
import { STORE_ROOT, prepareCase, seedSpace, type LiveCase } from '../support/live/platform.js';
import { assertNoSecrets, doneTranscript, listing } from '../support/live/recovered.js';
import { CELL_IP, OLD_GUID, OLD_ROLES, archivePrefix } from '../support/live/shared.js';
import { sshdAvailable } from '../support/sshd.js';
import { DRILL_TABLE, generateWaleArchive, removeArchive, uploadArchive, type GeneratedArchive } from '../support/wale-archive.js';

const execFileP = promisify(execFile);

/** Where important-db archives: its container's WAL_S3_BUCKET (the logs name another bucket). */
const PITR_BUCKET = 'live-pitr-backups';
/** important-db's node on the cell, as the seed incident's logs have it. */
const NODE = 'c8ce128e-7b4c-4fe7-a533-e9379356f906';
const ORIGINAL = `cf-${NODE}`;
const ORIGINAL_AWS = { keyId: 'AKIAORIGINALLIVE7Q2W', secret: 'original/Container+SecretKey/9xLp' };

/** important-db's container, running on the cell: its environment says where it archives. */
function originalContainer(): SimContainer {
  const env = {
    ETCD_HOST_PORT: '127.0.0.1:4001',
    AWS_ACCESS_KEY_ID: ORIGINAL_AWS.keyId,
    AWS_SECRET_ACCESS_KEY: ORIGINAL_AWS.secret,
    WAL_S3_BUCKET: PITR_BUCKET,
    AWS_REGION: 'us-east-1',
    PATRONI_SCOPE: OLD_GUID,
    NODE_ID: NODE,
    ADMIN_USERNAME: 'dingo-admin',
    ADMIN_PASSWORD: OLD_ROLES['dingo-admin']!,
    SUPERUSER_USERNAME: 'pgsuper',
    SUPERUSER_PASSWORD: OLD_ROLES.pgsuper!,
    APPUSER_USERNAME: 'appuser',
    APPUSER_PASSWORD: OLD_ROLES.appuser!,
  };
  return {
    id: `c8ce128e${'7b4c'.repeat(14)}`,
    name: ORIGINAL,
    image: 'cfcommunity/postgresql-patroni:9.5',
    env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    mounts: [{ Source: join(STORE_ROOT, ORIGINAL, 'data'), Destination: '/data', Mode: '', RW: true }],
    running: true,
    exitCode: 0,
    startedAt: '2016-03-16T18:50:09Z',
    finishedAt: '0001-01-01T00:00:00Z',
    logs: [],
    pg: { ready: true, inRecovery: false, pollsUntilPromoted: 0, roles: { ...OLD_ROLES } },
  };
}

/** important-db as cf knows it while it is alive. */
function importantDb(): CfServiceInstance {
  return {
    guid: OLD_GUID,
    name: 'important-db',
    spaceGuid: seedSpace().spaceGuid,
    offering: 'dingo-postgresql',
    plan: 'cluster',
    createdAt: '2016-03-16T18:50:00Z',
    lastOperation: {
      type: 'create',
      state: 'succeeded',
      description: '',
      createdAt: '2016-03-16T18:50:00Z',
      updatedAt: '2016-03-16T18:50:10Z',
    },
    pollsUntilReady: 0,
  };
}

/** The seed's cf before the deletion: important-db alive, their-app bound to it. */
function stillAlive(w: CfWorld): CfWorld {
  for (const sp of w.orgs.flatMap((o) => o.spaces)) {
    for (const app of sp.apps) if (app.name === 'their-app') app.boundServiceGuids = [OLD_GUID];
  }
  w.instances.push(importantDb());
  return w;
}

const stamp = (at: Date): string => at.toISOString().slice(0, 16).replace(/[-:]/g, '');

let archive: GeneratedArchive | undefined;
let dir: string | undefined;
/** The archive as it was uploaded: relative key → "size etag". */
let uploaded: Record<string, string>;

/** A moment between the first and the second batch: the first batch in, the second out. */
function moment(): Date {
  const [first, second] = archive!.batches;
  return new Date((first!.committed.getTime() + second!.before.getTime()) / 2);
}

const answers = (): string =>
  [
    'inputs:',
    '  org: acme',
    '  space: important-space-and-all-databases',
    '  instance: important-db',
    `  targetTime: "${moment().toISOString()}"`,
    '  into: service',
    '  apps: [their-app]',
    '  plan: solo',
    '',
  ].join('\n');

/** `docker exec` on the cell, over the case's SSH (jumpbox, then the cell, sudo), as the tool reaches containers. */
async function onTheCell(c: LiveCase, dockerArgs: string[], input: string): Promise<string> {
  const sshConfig = c.platformArgs[c.platformArgs.indexOf('--ssh-config') + 1]!;
  const remote = quote(['sudo', '-n', FAKE_DOCKER, '--host', c.dockerHost, ...dockerArgs]);
  const child = execFileP('ssh', ['-F', sshConfig, '-o', 'BatchMode=yes', CELL_IP, remote], { encoding: 'utf8' });
  child.child.stdin!.end(input);
  return (await child).stdout;
}

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
        cfWorld: stillAlive,
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
