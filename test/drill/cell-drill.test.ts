/**
 * The drill on a cell, in the service's image, against real parts: the cell is a private OpenSSH
 * server whose user runs the docker client under sudo against a private dockerd (the cell's Docker),
 * reached over the run's SSH cell seam; the service's image is a stand-in built here from the tests'
 * postgres:15 image with the Patroni image's shape (ENTRYPOINT /scripts/run.sh, which fails loudly
 * should anything run it; VOLUME /data; tar, which Debian's base image has); the archive is a real
 * PostgreSQL 15 wal-e archive. The container is inspected while it runs (its hardening, its account,
 * its entrypoint), and the cell is looked at after (no container, no folder of ours).
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CellDocker } from '../../src/adapters/docker.js';
import { Redactor } from '../../src/core/redact.js';
import type { CellSession, CommandRunner } from '../../src/core/seams.js';
import { isStdinStream } from '../../src/core/stdin.js';
import { cellDrillLine, runCellDrill, type CellDrillOptions } from '../../src/drill/cell-drill.js';
import { CELL_DRILL_LABEL } from '../../src/systems/cell-leftovers.js';
import { localProcesses } from '../../src/systems/local-processes.js';
import { createSshCellAccess } from '../../src/systems/ssh/index.js';
import { skipWithoutDockerd, startDockerd, type Dockerd, type DockerInspect } from '../support/dockerd.js';
import { TestStore } from '../support/memory-store.js';
import { importPatroniStandIn } from '../support/patroni-image.js';
import { sshdAvailable, startSshd, type Sshd } from '../support/sshd.js';
import { ifStarted } from '../support/started.js';
import { generateWaleArchive, uploadArchive, type GeneratedArchive } from '../support/wale-archive.js';

const run = promisify(execFile);
const skip = skipWithoutDockerd() || !sshdAvailable;
const [BUCKET, PREFIX] = ['cell-drill', 'backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/'];
const IMAGE = 'cfcommunity/postgresql-patroni:standin-15';

/** The cell: its sshd, its Docker, the session over which the drill reaches both. */
let d: Dockerd;
let cell: Sshd;
let session: CellSession;
/** The test's folder, and in it the cell's store. */
let dir: string;
let store: string;
let archive: GeneratedArchive;
const objects = new TestStore(BUCKET);

beforeAll(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'cell-drill-'));
  chmodSync(dir, 0o1777);
  store = join(dir, 'store');
  mkdirSync(store);
  mkdirSync(join(dir, 'archive'));
  [d, cell, archive] = await Promise.all([
    startDockerd(),
    startSshd({ user: 'dingodrillcell', sudo: 'nopasswd' }),
    generateWaleArchive({ dir: join(dir, 'archive'), rowsBefore: 300, rowsAfter: 120, extraWalSwitches: 1 }),
  ]);
  await uploadArchive(objects, archive.root, BUCKET, PREFIX);
  importPatroniStandIn(d, '15', IMAGE);
  writeFileSync(join(dir, 'config'), `Host 10.58.111.150\n  HostName 127.0.0.1\n  Port ${cell.port}\n`);
  session = await createSshCellAccess({
    redactor: new Redactor(),
    user: cell.user,
    identityFile: cell.clientKeyFile,
    sshConfigFile: join(dir, 'config'),
    knownHostsFile: join(dir, 'none_known_hosts'),
    pinnedFingerprints: { '10.58.111.150': cell.hostKeyFingerprint },
    home: dir,
    agent: '',
  }).open('10.58.111.150');
}, 300_000);

afterAll(async () => {
  await ifStarted(session)?.close();
  await Promise.all([ifStarted(cell)?.stop(), ifStarted(d)?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function options(extra: Partial<CellDrillOptions> = {}): CellDrillOptions {
  const redactor = new Redactor();
  return {
    url: `s3://${BUCKET}/${PREFIX}`,
    store: objects,
    docker: new CellDocker(session, { binary: '/usr/bin/docker', host: d.host, sudo: true, redactor }),
    cell: '10.58.111.150',
    image: IMAGE,
    cellStore: store,
    workdir: join(dir, 'work'),
    processes: localProcesses,
    redactor,
    ...extra,
  };
}

/** Our containers on the cell's Docker, running or not. */
const ours = (): string[] =>
  d
    .docker(['ps', '-aq', '--filter', `label=${CELL_DRILL_LABEL}`])
    .split(/\s+/)
    .filter(Boolean);

/** The drill container as `docker inspect` shows it once it runs. */
function watchContainer(): { seen: DockerInspect[]; stop: () => Promise<void> } {
  const seen: DockerInspect[] = [];
  const state = { stopped: false };
  const docker = async (args: string[]): Promise<string> => (await run('docker', ['-H', d.host, ...args])).stdout;
  // Asked without blocking the drill's own work: the client's answers come as they come.
  const loop = (async () => {
    while (!state.stopped) {
      const ids = (await docker(['ps', '-q', '--filter', `label=${CELL_DRILL_LABEL}`]).catch(() => '')).split(/\s+/).filter(Boolean);
      for (const id of ids) {
        const info = (JSON.parse(await docker(['inspect', id]).catch(() => '[]')) as DockerInspect[])[0];
        if (info?.Config.Entrypoint?.[0] === 'postgres' && !seen.some((s) => s.Id === info.Id)) seen.push(info);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  })();
  return {
    seen,
    stop: async () => {
      state.stopped = true;
      await loop;
    },
  };
}

describe.skipIf(skip)('drill on a cell in the service image (real sshd, dockerd, PostgreSQL)', () => {
  it('restores in a hardened container of the image over the cell session, removes what an interrupted drill left, and leaves nothing', async () => {
    // An interrupted attempt's container and folder.
    const left = join(store, 'dingo-recover-drill-0badc0ffee00');
    mkdirSync(join(left, 'data'), { recursive: true });
    d.docker(['create', '--name', 'dingo-recover-drill-0badc0ffee00', '--label', `${CELL_DRILL_LABEL}=${left}`, IMAGE]);
    const watch = watchContainer();
    const said: string[] = [];
    const cleanup: string[] = [];
    // The size each streamed input was said to have: a session that copies it first (v1's bosh ssh) checks the room by it.
    const sized: (number | undefined)[] = [];
    const sizing: CommandRunner = {
      where: session.where,
      run: (spec) => {
        if (isStdinStream(spec.stdin)) sized.push(spec.stdinBytes);
        return session.run(spec);
      },
    };
    const r = await runCellDrill(
      options({
        docker: new CellDocker(sizing, { binary: '/usr/bin/docker', host: d.host, sudo: true, redactor: new Redactor() }),
        progress: (m, kind) => {
          said.push(m);
          if (kind === 'cleanup') cleanup.push(m);
        },
      }),
    ).finally(watch.stop);

    expect(r.removedLeftovers).toEqual(['dingo-recover-drill-0badc0ffee00']);
    // Told apart from the drill's own work (what a --deadline names it as doing).
    expect(cleanup).toEqual(['removed dingo-recover-drill-0badc0ffee00, left on 10.58.111.150 by an interrupted drill']);
    expect(r.version).toMatch(/^15\./);
    expect(r.databases).toContain('postgres');
    expect(r.tables).toBe(1);
    expect(r.rows).toBe(archive.rowsAfter);
    expect(r.replayedTo).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(cellDrillLine(r)).toBe(
      `drilled in ${IMAGE} on 10.58.111.150: consistent, ${r.tables} tables, ${r.rows.toLocaleString('en-US')} rows, replayed to ${r.replayedTo}`,
    );
    expect(said.some((m) => m.includes('streaming it into dingo-recover-drill-'))).toBe(true);
    // The archive as fetched: its base backup extracted and its WAL, a whole segment at the least.
    expect(sized).toHaveLength(1);
    expect(sized[0]).toBeGreaterThan(16 * 1024 * 1024);

    // How it ran: the image's postgres account, postgres itself, hardened, our folder its only mount of ours.
    expect(watch.seen).toHaveLength(1);
    const c = watch.seen[0]!;
    expect(c.Config.User).toBe('postgres');
    expect(c.Config.Entrypoint).toEqual(['postgres']);
    expect(c.HostConfig.NetworkMode).toBe('none');
    expect(c.HostConfig.CapDrop).toEqual(['ALL']);
    expect(c.HostConfig.SecurityOpt).toEqual(['no-new-privileges']);
    expect(c.HostConfig.ReadonlyRootfs).toBe(true);
    expect(Object.keys(c.HostConfig.Tmpfs ?? {})).toEqual(['/tmp']);
    expect(c.HostConfig.Memory).toBe(1024 ** 3);
    expect(c.HostConfig.CpuShares).toBe(256);
    expect(c.HostConfig.PidsLimit).toBe(256);
    // No environment of ours: only what the image declares.
    expect((c.Config.Env ?? []).filter((e) => !/^(PATH|PG_MAJOR|LANG|PGDATA)=/.test(e))).toEqual([]);
    expect(c.HostConfig.Binds).toEqual([`${join(store, c.Name.replace(/^\//, ''))}:/var/lib/dingo-recover`]);

    // Nothing left: no container of ours, no folder in the store, the leftover's included.
    expect(ours()).toEqual([]);
    expect(readdirSync(store)).toEqual([]);
  }, 180_000);

  it('refuses before anything is written when the store has less room than the archive declares it needs, with a margin', async () => {
    // The same archive, its base backup declaring 10 TiB expanded: more than the store's disk holds.
    const big = 'backups/big/wal/';
    await uploadArchive(objects, archive.root, BUCKET, big);
    const key = `${big}basebackups_005/${archive.latest}_backup_stop_sentinel.json`;
    const sentinel = (await objects.get({ bucket: BUCKET, key })).toString('utf8');
    await objects.put({ bucket: BUCKET, key }, sentinel.replace(/"expanded_size_bytes": \d+/, `"expanded_size_bytes": ${10 * 1024 ** 4}`));
    await expect(runCellDrill(options({ url: `s3://${BUCKET}/${big}` }))).rejects.toThrow(
      /^10\.58\.111\.150 has [\d.]+ [KMGT]iB free in its store; the archive's base backup and WAL need 15\.0 TiB with a margin/,
    );
    expect(readdirSync(store)).toEqual([]);
    expect(ours()).toEqual([]);
  }, 60_000);

  it('stops where a WAL segment does not decompress, as PostgreSQL does: refused as not restorable, or, for a recovery, done with the lost range said', async () => {
    const holed = 'backups/holed/wal/';
    await uploadArchive(objects, archive.root, BUCKET, holed);
    const after = archive.segments.filter((s) => s > archive.stopSegment);
    expect(after.length).toBeGreaterThanOrEqual(2);
    const [damaged, newest] = [after[0]!, archive.segments.at(-1)!];
    await objects.put({ bucket: BUCKET, key: `${holed}wal_005/${damaged}.lzo` }, 'not lzop at all');
    const url = `s3://${BUCKET}/${holed}`;
    await expect(runCellDrill(options({ url }))).rejects.toThrow(
      new RegExp(
        `^replay stopped at [0-9A-F]+/[0-9A-F]+, but the archive's WAL goes on to ${newest}: WAL ${damaged} \\.\\. ${newest} was not replayed`,
      ),
    );
    expect(ours()).toEqual([]);
    const r = await runCellDrill(options({ url, requireComplete: false }));
    expect(r.lost).toEqual({ from: damaged, to: newest });
    expect(r.warnings).toEqual(
      expect.arrayContaining([
        `archived WAL ${damaged} did not decompress: replay cannot go past it.`,
        `replay stopped before the newest archived WAL: ${damaged} .. ${newest} was not replayed.`,
      ]),
    );
    // The rows committed in the WAL after the hole are not there: the line says the drill fell short.
    expect(r.rows).toBeLessThan(archive.rowsAfter);
    expect(cellDrillLine(r)).toContain(`, short of the newest archived WAL (${damaged} .. ${newest} not replayed)`);
    expect(ours()).toEqual([]);
    expect(readdirSync(store)).toEqual([]);
  }, 240_000);

  it('refuses an image the cell lacks (nothing is pulled) and one without a postgres account and server, naming it, and leaves nothing', async () => {
    await expect(runCellDrill(options({ image: 'cfcommunity/postgresql-patroni:9.4' }))).rejects.toThrow(
      'the image cfcommunity/postgresql-patroni:9.4 is not on cell 10.58.111.150',
    );
    execFileSync('tar', ['-cf', join(dir, 'empty.tar'), '-T', '/dev/null']);
    d.docker(['import', join(dir, 'empty.tar'), 'not-postgres:1']);
    await expect(runCellDrill(options({ image: 'not-postgres:1' }))).rejects.toThrow(
      /the image not-postgres:1 on cell 10\.58\.111\.150 .*has no postgres account and server to drill with/,
    );
    expect(ours()).toEqual([]);
    expect(readdirSync(store)).toEqual([]);
  }, 60_000);
});
