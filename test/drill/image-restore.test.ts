/**
 * `drill --target-time --docker-host` on a jumpbox with no PostgreSQL server of the archive's major,
 * only its client (as Debian's postgresql-client-15 installs it: psql, pg_dump, pg_restore,
 * pg_isready, no pg_ctl): a real PostgreSQL 15 archive in moto and a real Docker Engine (a private
 * dockerd started by this file) with the tests' postgres:15 image. The restore runs in the container,
 * which never sees a credential and is inspected while it runs. That nothing is pulled when the image
 * is missing is shown on the fake Engine API, whose request log the real Engine has no equivalent of.
 */
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableReadout } from '../../src/volumes/table-readout.js';
import { runDrillCommand, type DrillArgs } from '../../src/commands/drill/drill.js';
import { DRILL_EXIT } from '../../src/drill/exit-codes.js';
import { runDrill, type DrillReport } from '../../src/drill/drill.js';
import type { RecoveryTarget } from '../../src/drill/recovery-target.js';
import { parseTargetTime } from '../../src/drill/target-time.js';
import { Redactor } from '../../src/core/redact.js';
import { dockerEngine } from '../../src/systems/docker-engine.js';
import { localProcesses } from '../../src/systems/local-processes.js';
import { startFakeEngine, type FakeEngine } from '../support/docker-engine-server.js';
import { allContainers, skipWithoutDockerd, startDockerd, watchRunning, type DockerInspect, type Dockerd } from '../support/dockerd.js';
import { expectHardened } from '../support/hardened.js';
import { importPostgresImage } from '../support/pg-image-build.js';
import { ifStarted } from '../support/started.js';
import { drillArgs, pausedRows, setUpDrill, tearDownDrill } from '../support/drill-fixtures.js';
import type { Moto } from '../support/moto.js';
import { archiveKeys, DRILL_TABLE, type GeneratedArchive } from '../support/wale-archive.js';

const BUCKET = 'image-bucket';
const PREFIX = 'backups/image/wal/';
const URL = `s3://${BUCKET}/${PREFIX}`;
const KEY_ID = 'AKIAIMAGEKEY00001';
const SECRET = 'image-secret-Q7vz2';

let moto: Moto;
let archive: GeneratedArchive;
let dir: string;
const skip = skipWithoutDockerd();
let engine: Dockerd;
let noImage: FakeEngine;
let noBinaries: string;
/** Where the jumpbox's PostgreSQL is looked for: a 15/bin with the client package's programs alone. */
let clientOnly: string;

beforeAll(async () => {
  ({ moto, archive, dir } = await setUpDrill({
    scratch: 'drill-image-',
    bucket: BUCKET,
    archive: { rowsBefore: 100, rowsAfter: 0, batches: { count: 3, rows: 10, backupAfter: 2 }, partitions: 2 },
    prefix: PREFIX,
    env: { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET },
  }));
  noImage = await startFakeEngine({ volumes: [], containers: [], images: ['postgres:16'] });
  noBinaries = await mkdtemp(join(dir, 'no-binaries-'));
  clientOnly = await mkdtemp(join(dir, 'client-only-'));
  await mkdir(join(clientOnly, '15', 'bin'), { recursive: true });
  for (const program of ['psql', 'pg_dump', 'pg_restore', 'pg_isready'])
    await symlink(`/usr/lib/postgresql/15/bin/${program}`, join(clientOnly, '15', 'bin', program));
  if (skip) return;
  engine = await startDockerd();
  importPostgresImage(engine, '15');
}, 300_000);

afterAll(async () => {
  await ifStarted(engine)?.stop();
  await ifStarted(noImage)?.close();
  await tearDownDrill({ moto, archive, dir });
});

async function drill(extra: Partial<DrillArgs>, binRoot = clientOnly): Promise<{ code: number; out: string; containers: DockerInspect[] }> {
  let out = '';
  const args = drillArgs(URL, moto, { query: `select count(*), max(id) from ${DRILL_TABLE}`, json: true, ...extra });
  const watch = extra.dockerHost === ifStarted(engine)?.host ? watchRunning(engine, 'dingo-recover.purpose') : null;
  const code = await runDrillCommand(args, { stdout: (t) => (out += t), stderr: (t) => (out += t) }, { binRoot });
  const containers = (await watch?.stop()) ?? [];
  expect(out).not.toContain(SECRET);
  return { code, out, containers };
}

const between = (a: Date, b: Date): Date => new Date((a.getTime() + b.getTime()) / 2);
const at = (moment: Date): RecoveryTarget => ({
  stop: { kind: 'time', time: parseTargetTime(moment.toISOString(), 'the moment') },
  exclusive: false,
  timeline: 'latest',
});

describe('drill in the postgres:<major> image', () => {
  it.skipIf(skip)(
    'restores exactly the rows committed before the moment in the hardened container, with the client that is there, then removes it',
    async () => {
      const [first, second] = archive.batches;
      const moment = between(first!.committed, second!.before);
      const r = await drill({ targetTime: moment.toISOString(), dockerHost: engine.host });
      expect(r.code, r.out).toBe(DRILL_EXIT.ok);
      const { report } = JSON.parse(r.out);
      expect(report.query.rows).toEqual([['110', String(first!.lastId)]]);
      expect(report.target).toMatchObject({ time: moment.toISOString(), archiveEndedFirst: false });
      expect(report.postgres.server).toMatch(/^container postgres:15 \([0-9a-f]{12}\)$/);
      // The client package's folder, not a server's, talked to it.
      expect(report.postgres.bin).toBe(join(clientOnly, '15', 'bin'));
      expect(r.containers).toHaveLength(1);
      const c = r.containers[0]!;
      expect(report.postgres.server).toContain(c.Id.slice(0, 12));
      expectHardened(c);
      // Stopped and removed once the drill ended: never left running.
      expect(allContainers(engine)).toEqual([]);
      // No credential, no S3 address and no environment of ours reaches the container.
      const body = JSON.stringify(c);
      for (const secret of [SECRET, KEY_ID, moto.endpoint, BUCKET]) expect(body).not.toContain(secret);
      // Mounted: the restored data, a socket folder of ours, the sandbox's passwd and group (naming its account, which peer
      // login maps to our roles) and login rules, read-only, and the WAL the drill fetched itself, read-only; no port published.
      expect(c.HostConfig.Binds).toEqual([
        expect.stringMatching(/^\/.+\/data:\/var\/lib\/postgresql\/data$/),
        expect.stringMatching(/^\/.+\/sock:\/var\/run\/postgresql$/),
        expect.stringMatching(/^\/.+\/sandbox-\d+-\d+-\w{6}\/etc\/passwd:\/etc\/passwd:ro$/),
        expect.stringMatching(/^\/.+\/sandbox-\d+-\d+-\w{6}\/etc\/group:\/etc\/group:ro$/),
        expect.stringMatching(/^\/.+\/sandbox-\d+-\d+-\w{6}\/auth:\/etc\/dingo-recover:ro$/),
        expect.stringMatching(/^\/.+\/wal:\/var\/lib\/dingo-recover\/wal:ro$/),
      ]);
      // Its restore_command only copies those files; the sandbox's settings and the moment are on its command line.
      expect(c.Config.Cmd).toEqual(
        expect.arrayContaining([
          'restore_command=test -f /var/lib/dingo-recover/wal/%f && cp /var/lib/dingo-recover/wal/%f %p',
          'listen_addresses=',
          'unix_socket_directories=/var/run/postgresql',
          'unix_socket_permissions=0700',
          'archive_mode=off',
          'archive_command=',
          'shared_preload_libraries=',
          'data_directory=/var/lib/postgresql/data',
          'recovery_target_action=promote',
        ]),
      );
      const target = c.Config.Cmd!.find((a) => a.startsWith('recovery_target_time='))!;
      expect(new Date(target.slice('recovery_target_time='.length).replace(' ', 'T').replace(/\+00$/, 'Z')).toISOString()).toBe(
        moment.toISOString(),
      );
    },
    300_000,
  );

  // Once in a loaded suite this drill ended in under 3 s as not restorable without the lost range (not reproduced
  // alone or two at a time): one more try, and the output in the message, until its cause is found.
  it.skipIf(skip)(
    'removes the container when the restore fails after it started: WAL the moment needs is missing',
    { retry: 1, timeout: 300_000 },
    async () => {
      const [first, second] = archive.batches;
      const older = archive.backups[0]!;
      const missing = archive.segments.find((seg) => seg > older.stopSegment)!;
      const prefix = 'backups/image-gap/wal/';
      for (const key of await archiveKeys(archive.root)) {
        if (key !== `wal_005/${missing}.lzo`)
          await moto.store.put({ bucket: BUCKET, key: prefix + key }, await readFile(join(archive.root, key)));
      }
      const r = await drill({
        url: `s3://${BUCKET}/${prefix}`,
        targetTime: between(first!.committed, second!.before).toISOString(),
        dockerHost: engine.host,
      });
      expect(r.code, r.out).toBe(DRILL_EXIT.notRestorable);
      expect((JSON.parse(r.out) as { lost: { from: string } | null }).lost?.from, r.out).toBe(missing);
      expect(r.containers.length).toBeGreaterThan(0);
      for (const c of r.containers) expectHardened(c);
      expect(allContainers(engine)).toEqual([]);
    },
  );

  it.skipIf(skip)(
    'pauses the copy at a moment as a hot standby in the container, moves it on to a later one and promotes it there, fetching no base backup again',
    async () => {
      const [b1, b2, b3] = archive.batches;
      const base = {
        workdir: dir,
        now: () => new Date(),
        processes: localProcesses,
        redactor: new Redactor(),
        url: URL,
        store: moto.store,
        keep: true,
        pause: true,
        binRoot: clientOnly,
        engine: dockerEngine(engine.host),
      };
      const reads: Record<string, TableReadout> = {};
      const look = (name: string) => async (copy: Parameters<NonNullable<Parameters<typeof runDrill>[0]['look']>>[0]) => {
        reads[name] = await pausedRows(copy);
      };
      let first: DrillReport | undefined;
      try {
        first = await runDrill({ ...base, target: at(between(b1!.committed, b2!.before)), look: look('t1') });
        expect(first.paused).toBe(true);
        expect(first.postgres.server).toMatch(/^container postgres:15 /);
        expect(reads.t1).toEqual({ rows: b1!.lastId, counted: true, newest: null, note: null });
        expect(allContainers(engine)).toEqual([]);
        const second = await runDrill({
          ...base,
          from: { workdir: first.workdir!, backup: first.backup.name },
          target: at(between(b2!.committed, b3!.before)),
          look: look('t2'),
        });
        expect(second.paused).toBe(true);
        expect(second.workdir).toBe(first.workdir);
        expect(second.restore.baseBackupBytes).toBe(0);
        expect(reads.t2).toEqual({ rows: b2!.lastId, counted: true, newest: null, note: null });
        expect(allContainers(engine)).toEqual([]);
        // The moment kept: promoted there from the paused copy, still no base backup.
        const promoted = await runDrill({
          ...base,
          pause: false,
          from: { workdir: first.workdir!, backup: first.backup.name },
          target: at(between(b2!.committed, b3!.before)),
          query: `select count(*), max(id) from ${DRILL_TABLE}`,
        });
        expect(promoted.paused).toBe(false);
        expect(promoted.query.rows).toEqual([['120', String(b2!.lastId)]]);
        expect(promoted.restore.baseBackupBytes).toBe(0);
        expect(allContainers(engine)).toEqual([]);
      } finally {
        if (first?.workdir) await rm(first.workdir, { recursive: true, force: true });
      }
    },
    300_000,
  );

  it('names the image to pull, or the PostgreSQL to install, when the image is missing too; nothing is pulled or created', async () => {
    const r = await drill({ targetTime: archive.batches[1]!.committed.toISOString(), dockerHost: `unix://${noImage.socket}` });
    expect(r.code, r.out).toBe(DRILL_EXIT.couldNotRun);
    const failure = JSON.parse(r.out);
    expect(failure.message).toContain('the image postgres:15 is not on this host and PostgreSQL 15 is not installed');
    expect(failure.hint).toContain('docker pull postgres:15');
    expect(failure.hint).toContain('install postgresql-15');
    expect(noImage.requests.filter((q) => q.startsWith('POST'))).toEqual([]);
  });

  it('without a Docker Engine, says to install the major or give --docker-host', async () => {
    const r = await drill({ targetTime: archive.batches[1]!.committed.toISOString() }, noBinaries);
    expect(r.code, r.out).toBe(DRILL_EXIT.couldNotRun);
    const failure = JSON.parse(r.out);
    expect(failure.message).toContain('the archive needs PostgreSQL 15');
    expect(failure.hint).toContain('--docker-host');
  });
});
