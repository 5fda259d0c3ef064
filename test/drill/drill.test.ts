/**
 * The restore drill end to end on real parts: a real PostgreSQL 15 archive
 * (generator), moto for S3, lzop/tar, a throwaway PostgreSQL 15 replaying the WAL
 * the drill fetched.
 */
import { chmod, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillArgs } from '../../src/commands/drill/drill.js';
import { DRILL_EXIT } from '../../src/drill/exit-codes.js';
import { downloadBaseBackup } from '../../src/drill/base-backup.js';
import { downloadWal } from '../../src/drill/wal-download.js';
import { localProcesses } from '../../src/systems/local-processes.js';
import { drillActions } from '../../src/actions/drill.js';
import { StepFailed } from '../../src/core/errors.js';
import { DEFAULT_SETTINGS } from '../../src/engine/runbook/index.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import { testRuntime } from '../support/runtime.js';
import { onSmallDisk } from '../support/small-disk.js';
import type { Moto } from '../support/moto.js';
import { archiveKeys, DRILL_TABLE, type GeneratedArchive } from '../support/wale-archive.js';
import { runCli } from '../support/cli.js';
import { captureDrill, drillArgs, setUpDrill, tearDownDrill, type DrillRun, drillHere } from '../support/drill-fixtures.js';

const BUCKET = 'drill-bucket';
const SECRET = 'drill-secret-Q7x9vZ';
/** The drill's own S3 client reads these; the scratch server must never see them. */
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIADRILLKEY0001', AWS_SECRET_ACCESS_KEY: SECRET };

let moto: Moto;
let archive: GeneratedArchive;
let dir: string;

beforeAll(async () => {
  ({ moto, archive, dir } = await setUpDrill({
    scratch: 'drill-suite-',
    bucket: BUCKET,
    archive: { rowsBefore: 500, rowsAfter: 300, extraWalSwitches: 1, partitions: 3 },
    env: CREDENTIALS,
  }));
});

afterAll(() => tearDownDrill({ moto, archive, dir }));

/** Upload the archive under its own prefix, with `change` applied to (key → body) first. */
async function variant(name: string, change?: (files: Map<string, Buffer>) => void): Promise<string> {
  const prefix = `backups/${name}/wal/`;
  const files = new Map<string, Buffer>();
  for (const key of await archiveKeys(archive.root)) files.set(key, await readFile(join(archive.root, key)));
  change?.(files);
  for (const [key, body] of files) {
    if (!key.endsWith('_backup_stop_sentinel.json')) await moto.store.put({ bucket: BUCKET, key: prefix + key }, body);
  }
  for (const [key, body] of files) {
    if (key.endsWith('_backup_stop_sentinel.json')) await moto.store.put({ bucket: BUCKET, key: prefix + key }, body);
  }
  return `s3://${BUCKET}/${prefix}`;
}

const args = (url: string, extra: Partial<DrillArgs> = {}): DrillArgs => drillArgs(url, moto, extra);
const drill = (a: DrillArgs): Promise<DrillRun> => captureDrill(a, SECRET);

const countQuery = `select id from ${DRILL_TABLE}`;
const walKey = (seg: string) => `wal_005/${seg}.lzo`;

describe('dingo-recover drill', () => {
  it('restores LATEST and replays WAL: rows written after the base backup come back', async () => {
    const url = await variant('healthy');
    const r = await drill(args(url, { json: true, keep: true, query: countQuery, expectRows: archive.rowsAfter }));
    expect(r.stderr).toBe('');
    expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.ok);
    const { ok, report } = JSON.parse(r.stdout);
    expect(ok).toBe(true);
    expect(report.backup.name).toBe(archive.latest);
    expect(report.backup.finishedAtSource).toBe('backup label');
    expect(report.query.rowCount).toBe(archive.rowsBefore + 300);
    // Replay reached the newest archived segment, which only WAL holds.
    expect(report.replay.lastSegment).toBe(archive.segments[archive.segments.length - 1]);
    expect(report.restore.walFilesRestored).toBeGreaterThanOrEqual(archive.segments.length - 1);
    expect(report.restore.bytesDownloaded).toBeGreaterThan(report.restore.baseBackupBytes);
    expect(report.replay.lastTransactionAt).not.toBeNull();
    // Kept for inspection: the server is stopped, restore_command copies local files, no credentials on disk.
    const kept: string = report.workdir;
    try {
      const auto = await readFile(join(kept, 'data', 'postgresql.auto.conf'), 'utf8');
      expect(auto).toContain(`restore_command = 'test -f ${kept}/wal/%f && cp ${kept}/wal/%f %p'`);
      expect(await readFile(join(kept, 'data', 'postgresql.conf'), 'utf8')).toContain('archive_mode = off');
      for (const f of ['postgresql.auto.conf', 'postgresql.conf'])
        expect(await readFile(join(kept, 'data', f), 'utf8')).not.toContain(SECRET);
      await expect(readFile(join(kept, 'data', 'postmaster.pid'))).rejects.toThrow();
    } finally {
      await rm(kept, { recursive: true, force: true });
    }
  });

  it('prints nothing with --quiet on success (the real command line, as cron runs it)', async () => {
    const url = await variant('quiet');
    const workdir = await mkdtemp(join(dir, 'work-'));
    await chmod(workdir, 0o755);
    const r = await runCli(
      [
        'drill',
        url,
        '--quiet',
        '--workdir',
        workdir,
        '--s3-endpoint',
        moto.endpoint,
        '--s3-path-style',
        '--query',
        'select 1',
        '--expect-rows',
        '1',
      ],
      { env: CREDENTIALS },
    );
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await readdir(workdir)).toEqual([]);
  });

  it('refuses an archive missing WAL the base backup needs, before downloading it', async () => {
    const url = await variant('startgap', (files) => files.delete(walKey(archive.startSegment)));
    const r = await drill(args(url, { workdir: join(dir, 'never-created') }));
    expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.notRestorable);
    expect(r.stderr).toMatch(/is not restorable/);
    expect(r.stderr).toContain(archive.startSegment);
    await expect(readdir(join(dir, 'never-created'))).rejects.toThrow();
  });

  it('refuses, before fetching anything, a --workdir on a disk without room for the base backup and its WAL', async () => {
    const url = await variant('small-disk');
    // A disk of 64 MiB: less than the room any drill keeps free beside what it fetches.
    await onSmallDisk(join(dir, 'small-disk'), { size: '64m' }, async (disk) => {
      const r = await drill(args(url, { workdir: join(disk, 'scratch') }));
      expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.couldNotRun);
      expect(r.stderr).toMatch(
        new RegExp(
          `${disk} has 64\\.0 MiB free; the drill fetches the archive there before restoring it: its base backup \\(.+ extracted\\) and ${archive.segments.length} WAL segment`,
        ),
      );
      expect(r.stderr).toContain('nothing was fetched');
      expect(r.stderr).toContain('drill --workdir DIR');
      // Not even the scratch folder was made.
      expect(await readdir(disk)).toEqual([]);
    });
  });

  it('says a disk that fills while the archive is fetched is this machine’s, never a damaged archive', async () => {
    const url = await variant('fills');
    const prefix = url.slice(`s3://${BUCKET}/`.length);
    const partitions: string[] = [];
    for await (const o of moto.store.list(BUCKET, `${prefix}basebackups_005/${archive.latest}/tar_partitions/`)) partitions.push(o.key);
    expect(partitions.length).toBeGreaterThan(0);
    // 1 MiB: a WAL segment (16 MiB decompressed) or a partition fills it, as lzop and tar write them.
    await onSmallDisk(join(dir, 'fills-disk'), { size: '1m' }, async (disk) => {
      const from = { store: moto.store, bucket: BUCKET, processes: localProcesses };
      const wal = downloadWal({ ...from, prefix, startSegment: archive.startSegment, pgMajor: archive.major, into: disk, concurrency: 1 });
      await expect(wal).rejects.toMatchObject({
        outcome: 'could-not-run',
        message: expect.stringMatching(
          new RegExp(`^this machine's disk filled while fetching WAL [0-9A-F]{24} into ${disk}: .*No space left on device`),
        ),
        hint: expect.stringContaining('the archive is not at fault'),
      });
      for (const f of await readdir(disk)) await rm(join(disk, f), { recursive: true, force: true });
      // The data folder as the drill's scratch folder holds it: its partitions are extracted beside it.
      const dataDir = join(disk, 'data');
      await mkdir(dataDir);
      const base = downloadBaseBackup({ ...from, partitions, dataDir, concurrency: 1 });
      await expect(base).rejects.toMatchObject({
        outcome: 'could-not-run',
        message: expect.stringMatching(
          new RegExp(
            `^this machine's disk filled while extracting s3://${BUCKET}/.+ into ${disk}/data.*: .*(ENOSPC|No space left on device)`,
          ),
        ),
        hint: expect.stringContaining('the archive is not at fault'),
      });
    });
  });

  it('stops the runbook’s drill step on a disk that fills as it fetches, rather than going on unproven to the cell', async () => {
    const url = await variant('fills-step');
    // Room in bytes, but 8 files: the disk fills as the base backup is extracted.
    await onSmallDisk(join(dir, 'fills-step-disk'), { size: '1g', files: 8 }, async (disk) => {
      const said: string[] = [];
      const ctx = {
        s3: moto.store,
        platform: { processes: localProcesses },
        runtime: testRuntime({ scratch: disk }),
        runId: 'run-1',
        stepId: 'drill-old-archive',
        settings: DEFAULT_SETTINGS,
        now: () => new Date(),
        progress: (m: string) => said.push(m),
        evidence: (m: string) => said.push(m),
        warn: (m: string) => said.push(m),
      } as unknown as StepContext;
      const step = drillActions.find((a) => a.name === 'archive.drill')!;
      const err: unknown = await step.run(ctx, { url }, {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StepFailed);
      expect((err as StepFailed).message).toMatch(
        // The base backup and the WAL are fetched side by side: whichever meets the full disk first is named.
        new RegExp(
          `^this machine's disk filled while (extracting s3://${BUCKET}/\\S+|fetching WAL \\S+) into ${disk}/dingo-drill-run-1-drill-old-archive\\.\\w{6}/(data|wal)`,
        ),
      );
      expect((err as StepFailed).hint).toContain(
        `nothing has been changed yet; the archive is not at fault: free space on that disk (df -h ${disk})`,
      );
      expect(said.join('\n')).not.toContain('not drilled here');
    });
  });

  it('fails as not restorable when one WAL segment after the base backup is missing, naming the lost range', async () => {
    const lost = archive.segments[archive.segments.length - 2]!;
    const newest = archive.segments[archive.segments.length - 1]!;
    expect(lost > archive.stopSegment).toBe(true);
    const url = await variant('latergap', (files) => files.delete(walKey(lost)));
    const r = await drill(args(url, { workdir: join(dir, 'never-created-latergap') }));
    expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.notRestorable);
    expect(r.stderr).toContain(`is not restorable up to its newest WAL: WAL ${lost} .. ${newest} cannot be replayed (${lost} is missing)`);
    await expect(readdir(join(dir, 'never-created-latergap'))).rejects.toThrow();
  });

  it('archive inspect --json says "complete" and exits 0, or "complete": false with the lost range and exits 4', async () => {
    const lost = archive.segments[archive.segments.length - 2]!;
    const newest = archive.segments[archive.segments.length - 1]!;
    const flags = ['--json', '--s3-endpoint', moto.endpoint, '--s3-path-style'];
    const whole = await runCli(['archive', 'inspect', await variant('inspect-whole'), ...flags], { env: CREDENTIALS });
    expect(whole.code, whole.stderr).toBe(0);
    expect(JSON.parse(whole.stdout)).toMatchObject({ restorable: true, complete: true, lost: null, restorableTo: newest });
    const holed = await runCli(['archive', 'inspect', await variant('inspect-hole', (files) => files.delete(walKey(lost))), ...flags], {
      env: CREDENTIALS,
    });
    expect(holed.code, holed.stderr).toBe(4);
    expect(JSON.parse(holed.stdout)).toMatchObject({ restorable: true, complete: false, lost: { from: lost, to: newest } });
    // Without extended_version.txt (wal-e uploads it as an attempt), the real PostgreSQL's WAL page magic names its version.
    const unversioned = await runCli(
      [
        'archive',
        'inspect',
        await variant('inspect-unversioned', (files) => files.delete(`basebackups_005/${archive.latest}/extended_version.txt`)),
        ...flags,
      ],
      { env: CREDENTIALS },
    );
    expect(unversioned.code, unversioned.stderr).toBe(0);
    expect(JSON.parse(unversioned.stdout)).toMatchObject({ restorable: true, pgVersion: archive.major });
  });

  it('fails as not restorable when replay stops at a damaged segment before the newest archived WAL', async () => {
    const damaged = archive.segments[archive.segments.length - 2]!;
    const before = archive.segments[archive.segments.length - 3]!;
    const newest = archive.segments[archive.segments.length - 1]!;
    // The listing is whole; only replay can tell that this segment holds another one's pages.
    const url = await variant('damaged', (files) => files.set(walKey(damaged), files.get(walKey(before))!));
    const r = await drill(args(url, { json: true }));
    expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.notRestorable);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: false, exitCode: 4, outcome: 'not-restorable', lost: { from: damaged, to: newest } });
    expect(out.message).toContain(`but the archive's WAL goes on to ${newest}: WAL ${damaged} .. ${newest} was not replayed`);
    expect(out.hint).toContain(`${damaged} is damaged or could not be fetched`);
  });

  it('with requireComplete off, restores up to the hole and reports the lost range', async () => {
    const lost = archive.segments[archive.segments.length - 2]!;
    const newest = archive.segments[archive.segments.length - 1]!;
    const url = await variant('latergap-allowed', (files) => files.delete(walKey(lost)));
    const report = await drillHere({
      url,
      store: moto.store,
      query: countQuery,
      requireComplete: false,
      deadlineMs: 120_000,
    });
    expect(report.replay.lost).toEqual({ from: lost, to: newest, missing: lost });
    expect(report.query.rowCount).toBe(archive.rowsBefore);
    expect(report.warnings).toEqual(expect.arrayContaining([expect.stringContaining(`WAL ${lost} is missing`)]));
  });

  it('reports a corrupted tar partition as not restorable, naming it', async () => {
    const part = `basebackups_005/${archive.latest}/tar_partitions/part_00000001.tar.lzo`;
    const url = await variant('corrupt', (files) => {
      const body = Buffer.from(files.get(part)!);
      for (let i = 4096; i < body.length; i += 997) body[i] = body[i]! ^ 0xff;
      files.set(part, body);
    });
    const r = await drill(args(url, { json: true }));
    expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.notRestorable);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: false, outcome: 'not-restorable' });
    expect(out.message).toContain('part_00000001.tar.lzo');
  });

  it('refuses a version mismatch, naming both versions and --pg-bin', async () => {
    const url = await variant('pg95', (files) => {
      files.set(
        `basebackups_005/${archive.latest}/extended_version.txt`,
        Buffer.from('PostgreSQL 9.5.1 on x86_64-pc-linux-gnu, compiled by gcc 4.8.4, 64-bit'),
      );
    });
    const r = await drill(args(url, { pgBin: '/usr/lib/postgresql/15/bin' }));
    expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.couldNotRun);
    expect(r.stderr).toMatch(/PostgreSQL 9\.5 but the local binaries .* are PostgreSQL 15/);
    expect(r.stderr).toMatch(/--pg-bin/);
  });

  it('says "too old" when LATEST finished longer ago than --max-age', async () => {
    const url = await variant('old');
    const r = await drill(args(url, { maxAge: '1s' }));
    expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.tooOld);
    expect(r.stderr).toMatch(/older than --max-age 1.0 s/);
  });

  it('rejects a malformed duration as bad usage (exit 2)', async () => {
    const r = await drill(args(`s3://${BUCKET}/backups/healthy/wal/`, { maxAge: 'soon' }));
    expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.badUsage);
    expect(r.stderr).toMatch(/--max-age "soon" is not a duration/);
  });

  it('ends a drill that would wait forever at its --deadline, saying what it was waiting for', async () => {
    // An S3 endpoint that accepts connections and never answers.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const r = await drill({
        ...args(`s3://${BUCKET}/backups/healthy/wal/`, { deadline: '2s', json: true }),
        s3Endpoint: `http://127.0.0.1:${port}`,
      });
      expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.couldNotRun);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ ok: false, outcome: 'could-not-run' });
      expect(out.message).toBe(`the drill's deadline of 2.0 s passed while inspecting s3://${BUCKET}/backups/healthy/wal/`);
      expect(out.hint).toMatch(/--deadline/);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('could not run when S3 does not answer', async () => {
    const r = await drill({ ...args(`s3://${BUCKET}/backups/healthy/wal/`), s3Endpoint: 'http://127.0.0.1:9' });
    expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.couldNotRun);
    expect(r.stderr).toMatch(/dingo-recover drill: /);
  });
});
