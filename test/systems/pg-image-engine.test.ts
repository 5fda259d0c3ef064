/**
 * The scratch server in the `postgres:<major>` image on a real Docker Engine (a private dockerd
 * started by this file, the tests' postgres:15 image): the container as `docker inspect` shows it
 * while it runs, and as the kernel shows its postmaster (uid, capabilities, no_new_privs, network
 * devices); the image's postgres user read from the image; and the containers an interrupted attempt
 * left, removed by our label and their bind mount.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerEngine } from '../../src/systems/docker-engine.js';
import { imageAccount, IMAGE_PORT, removeContainersOn, startInImage, type ImageServer } from '../../src/systems/pg-image.js';
import { APART_SOCKET_PREFIX, sandboxSettings, settingsFor } from '../../src/systems/pg-sandbox.js';
import { allContainers, inspectContainer, skipWithoutDockerd, startDockerd, type Dockerd } from '../support/dockerd.js';
import { expectHardened } from '../support/hardened.js';
import { IMAGE_GID, IMAGE_UID, importPostgresImage } from '../support/pg-image-build.js';
import { makeCluster } from '../support/pg-volumes.js';
import { ifStarted } from '../support/started.js';

const skip = skipWithoutDockerd();

let d: Dockerd;
let dir: string;
let cluster: string;

beforeAll(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'pg-image-engine-'));
  chmodSync(dir, 0o755);
  cluster = join(dir, 'cluster');
  makeCluster(cluster, 'shop', 'create table t (id int); insert into t select generate_series(1, 42);', 'stop');
  d = await startDockerd();
  importPostgresImage(d, '15');
}, 300_000);

afterAll(async () => {
  await ifStarted(d)?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the cluster and a socket folder, for one server in the image; `apart`: the socket folder in /tmp, as for a scratch folder too deep for one. */
function copyOf(name: string, apart = false): { data: string; socket: string } {
  const data = join(dir, name, 'data');
  const socket = apart ? mkdtempSync(APART_SOCKET_PREFIX) : join(dir, name, 'sock');
  mkdirSync(socket, { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, name), { recursive: true });
  execFileSync('cp', ['-a', cluster, data]);
  writeFileSync(join(data, 'hba.conf'), 'local all all trust\n');
  return { data, socket };
}

async function start(name: string, apart = false): Promise<{ server: ImageServer; data: string; socket: string }> {
  const { data, socket } = copyOf(name, apart);
  const settings = settingsFor(
    15,
    sandboxSettings({
      dataDir: '/var/lib/postgresql/data',
      socketDir: '/var/run/postgresql',
      port: IMAGE_PORT,
      hbaFile: '/var/lib/postgresql/data/hba.conf',
    }),
  );
  const server = await startInImage({
    engine: dockerEngine(d.host),
    major: '15',
    dataDir: data,
    socketDir: socket,
    settings,
    name: `dingo-recover-test-${name}`,
    purpose: 'test',
  });
  return { server, data, socket };
}

/** psql once the server in the container accepts connections (the Engine's start returns before it does). */
function psql(socket: string, sql: string): string {
  const bin = '/usr/lib/postgresql/15/bin';
  for (let i = 0; spawnSync(join(bin, 'pg_isready'), ['-q', '-h', socket, '-p', String(IMAGE_PORT)]).status !== 0; i++) {
    if (i > 300) throw new Error(`the server in the image did not accept connections on ${socket}`);
    execFileSync('sleep', ['0.1']);
  }
  const argv = ['-X', '-At', '-h', socket, '-p', String(IMAGE_PORT), '-U', 'postgres', '-d', 'shop', '-c', sql];
  return execFileSync(join(bin, 'psql'), argv, { stdio: ['ignore', 'pipe', 'pipe'] })
    .toString()
    .trim();
}

/** A line of /proc/PID/status, e.g. "Uid", "CapEff", "NoNewPrivs". */
function status(pid: number, field: string): string {
  return new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'))![1]!;
}

describe.skipIf(skip)('the scratch container on a real Docker Engine', () => {
  it('reads the image’s postgres user from the image, and refuses an image without one', async () => {
    const engine = dockerEngine(d.host);
    expect(await imageAccount(engine, 'postgres:15')).toEqual({ uid: IMAGE_UID, gid: IMAGE_GID });
    const root = join(dir, 'rootless');
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    d.docker(['import', '-', 'postgres:99'], execFileSync('tar', ['-C', root, '-c', '.']));
    await expect(imageAccount(engine, 'postgres:99')).rejects.toThrow('the image postgres:99 has no postgres user other than root');
    // Reading it left no container and no volume behind.
    expect(allContainers(d)).toEqual([]);
    expect(d.docker(['volume', 'ls', '-q']).trim()).toBe('');
  });

  it('runs postgres as the image’s user, with no network, no capability, no new privileges and a read-only root', async () => {
    const { server, data, socket } = await start('hardened');
    try {
      expect(psql(socket, 'select count(*) from t')).toBe('42');
      const c = inspectContainer(d, server.id);
      expectHardened(c);
      // The data and socket folders were given to the image's user, not the other way round.
      expect(statSync(data).uid).toBe(IMAGE_UID);
      expect(statSync(join(data, 'base')).uid).toBe(IMAGE_UID);
      expect(statSync(socket).uid).toBe(IMAGE_UID);
      // What the kernel says of the postmaster: not root, no capability at all, no way to gain one, no network device but lo.
      const pid = Number(d.docker(['inspect', '--format', '{{.State.Pid}}', server.id]).trim());
      expect(status(pid, 'Uid').split(/\s+/)).toEqual([String(IMAGE_UID), String(IMAGE_UID), String(IMAGE_UID), String(IMAGE_UID)]);
      expect(status(pid, 'CapEff')).toBe('0000000000000000');
      expect(status(pid, 'CapBnd')).toBe('0000000000000000');
      expect(status(pid, 'NoNewPrivs')).toBe('1');
      const devices = readFileSync(`/proc/${String(pid)}/net/dev`, 'utf8')
        .split('\n')
        .slice(2)
        .map((l) => l.split(':')[0]!.trim())
        .filter(Boolean);
      expect(devices).toEqual(['lo']);
      // The server itself cannot write outside its folders: the root filesystem is read-only.
      expect(() => psql(socket, "copy (select 1) to '/tmp/escaped'")).toThrow(/Read-only file system/);
    } finally {
      await server.remove();
    }
    expect(allContainers(d)).toEqual([]);
  });

  it('removes only our containers left on a folder, and names them, with a socket folder one had bound from /tmp', async () => {
    const left = await start('left', true);
    expect(left.socket).toMatch(/^\/tmp\/dingo-sock-/);
    const elsewhere = await start('elsewhere');
    // Someone else's container on the same folder, which is never ours to remove.
    d.docker(['create', '--name', 'someone-elses', '-v', `${join(dir, 'left', 'data')}:/mnt`, 'postgres:15']);
    try {
      const engine = dockerEngine(d.host);
      expect(await removeContainersOn(engine, join(dir, 'left'))).toEqual(['dingo-recover-test-left']);
      const names = d.docker(['ps', '-a', '--format', '{{.Names}}']).split('\n').filter(Boolean).sort();
      expect(names).toEqual(['dingo-recover-test-elsewhere', 'someone-elses']);
      expect(existsSync(left.socket), "the removed container's socket folder in /tmp").toBe(false);
      expect(existsSync(elsewhere.socket), "another container's socket folder").toBe(true);
      expect(await removeContainersOn(engine, join(dir, 'left'))).toEqual([]);
    } finally {
      await left.server.remove();
      await elsewhere.server.remove();
      rmSync(left.socket, { recursive: true, force: true });
      d.docker(['rm', '-f', 'someone-elses']);
    }
  });
});
