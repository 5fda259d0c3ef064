/**
 * The scratch server in the `postgres:<major>` image on a real Docker Engine (a private dockerd
 * started by this file, the tests' postgres:15 image): the container as `docker inspect` shows it
 * while it runs, and as the kernel shows its postmaster (uid, capabilities, no_new_privs, network
 * devices), run as its sandbox's own account and reached by clients in that sandbox alone; a
 * container the tool made removed by its watchdog when the process that made it is killed; and the
 * containers an interrupted attempt left, removed by our label and their bind mount.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchSandbox } from '../../src/core/seams.js';
import { dockerEngine } from '../../src/systems/docker-engine.js';
import { removeContainersOn, startInImage, type ImageServer } from '../../src/systems/pg-image.js';
import { sandboxSettings, settingsFor } from '../../src/systems/pg-sandbox.js';
import { connArgs, openSandbox, SCRATCH_PORT } from '../../src/systems/postgres/index.js';
import { allContainers, inspectContainer, skipWithoutDockerd, startDockerd, type Dockerd } from '../support/dockerd.js';
import { expectHardened } from '../support/hardened.js';
import { IMAGE_UID, importPostgresImage } from '../support/pg-image-build.js';
import { makeCluster } from '../support/pg-volumes.js';
import { ifStarted } from '../support/started.js';
import { scriptProcess } from '../support/pg-sandbox-watch.js';

const skip = skipWithoutDockerd();
const BIN = '/usr/lib/postgresql/15/bin';

let d: Dockerd;
let dir: string;
let cluster: string;

beforeAll(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'pg-image-engine-'));
  // The fixture's cluster is made by the postgres account, which must pass.
  chmodSync(dir, 0o755);
  cluster = join(dir, 'cluster');
  await makeCluster(cluster, 'shop', 'create table t (id int); insert into t select generate_series(1, 42);', 'stop');
  d = await startDockerd();
  importPostgresImage(d, '15');
}, 300_000);

afterAll(async () => {
  await ifStarted(d)?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Started {
  server: ImageServer;
  sandbox: ScratchSandbox;
  data: string;
  socket: string;
  /** Removes the container and ends the sandbox. */
  end(): Promise<void>;
}

/** A copy of the cluster and its socket folder, given to a sandbox's account, and the image's server on them. */
async function start(name: string): Promise<Started> {
  const data = join(dir, name, 'data');
  const socket = join(dir, name, 'sock');
  mkdirSync(socket, { recursive: true, mode: 0o700 });
  execFileSync('cp', ['-a', cluster, data]);
  const sandbox = await openSandbox({ writable: [], bins: [BIN], socketDir: socket, logins: ['postgres'] });
  execFileSync('chown', ['-R', `${sandbox.account.uid}:${sandbox.account.gid}`, data, socket]);
  const settings = settingsFor(
    15,
    sandboxSettings({
      dataDir: '/var/lib/postgresql/data',
      socketDir: '/var/run/postgresql',
      port: SCRATCH_PORT,
      hbaFile: sandbox.hbaFile,
      identFile: sandbox.identFile,
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
    sandbox,
  });
  return {
    server,
    sandbox,
    data,
    socket,
    async end() {
      await server.remove();
      await sandbox.close();
    },
  };
}

/** psql in the server's sandbox, once the server in the container accepts connections (the Engine's start returns before it does). */
async function psql(s: Started, sql: string): Promise<{ code: number; out: string; err: string }> {
  const e = { sandbox: s.sandbox, bin: BIN, port: SCRATCH_PORT };
  for (let i = 0; (await s.sandbox.run([join(BIN, 'pg_isready'), '-q', ...connArgs(e)])).code !== 0; i++) {
    if (i > 300) throw new Error('the server in the image did not accept connections');
    await new Promise((r) => setTimeout(r, 100));
  }
  const r = await s.sandbox.run([join(BIN, 'psql'), '-X', '-At', ...connArgs(e), '-U', 'postgres', '-d', 'shop', '-c', sql]);
  return { code: r.code, out: r.stdout.trim(), err: r.stderr.trim() };
}

/** A line of /proc/PID/status, e.g. "Uid", "CapEff", "NoNewPrivs". */
function status(pid: number, field: string): string {
  return new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'))![1]!;
}

describe.skipIf(skip)('the scratch container on a real Docker Engine', () => {
  it('runs postgres as its sandbox’s own account, labelled, with no network, no capability, no new privileges and a read-only root', async () => {
    const s = await start('hardened');
    try {
      expect(await psql(s, 'select count(*) from t')).toMatchObject({ code: 0, out: '42' });
      const c = inspectContainer(d, s.server.id);
      expectHardened(c);
      expect(c.Config.Labels['dingo-recover.purpose']).toBe('test');
      const { uid } = s.sandbox.account;
      expect(c.Config.User).toBe(`${uid}:${uid}`);
      // The data and socket folders are the account's, never the image's postgres user's.
      expect(statSync(s.data).uid).toBe(uid);
      expect(statSync(join(s.data, 'base')).uid).toBe(uid);
      expect(statSync(s.socket).uid).toBe(uid);
      expect(uid).not.toBe(IMAGE_UID);
      // What the kernel says of the postmaster: its account, no capability at all, no way to gain one, no network device but lo.
      const pid = Number(d.docker(['inspect', '--format', '{{.State.Pid}}', s.server.id]).trim());
      expect(status(pid, 'Uid').split(/\s+/)).toEqual([uid, uid, uid, uid].map(String));
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
      expect((await psql(s, "copy (select 1) to '/tmp/escaped'")).err).toMatch(/Read-only file system/);
      // Root, outside the sandbox, is not its account: the server's login rules refuse it.
      const asRoot = execFileSync(
        'sh',
        ['-c', `${join(BIN, 'psql')} -X -w -At -h ${s.socket} -p ${SCRATCH_PORT} -U postgres -d shop -c 'select 1' 2>&1; true`],
        { encoding: 'utf8' },
      );
      expect(asRoot).toMatch(/Peer authentication failed for user "postgres"/);
    } finally {
      await s.end();
    }
    expect(allContainers(d)).toEqual([]);
  });

  it('removes a container whose maker was killed: its watchdog sees the tool gone, and removes it', async () => {
    // A process that makes a labelled container through the Engine seam, says so, then waits to be killed.
    const { child: maker, line: id } = await scriptProcess(
      (dist) => `
      const { dockerEngine } = await import('${dist}/src/systems/docker-engine.js');
      const engine = dockerEngine(${JSON.stringify(d.host)});
      const id = await engine.createContainer({ name: 'dingo-recover-test-orphan', image: 'postgres:15', entrypoint: ['sleep'], cmd: ['600'], user: '2000000000:2000000000', binds: [], purpose: 'test' });
      await engine.startContainer(id);
      process.stdout.write(id + '\\n');
      setInterval(() => undefined, 1000);`,
    );
    expect(d.docker(['inspect', '--format', '{{.State.Running}}', id]).trim()).toBe('true');
    maker.kill('SIGKILL');
    await expect.poll(() => allContainers(d), { timeout: 30_000, interval: 200 }).toEqual([]);
  });

  it('removes only our containers left on a folder, and names them', async () => {
    const left = await start('left');
    const elsewhere = await start('elsewhere');
    // Someone else's container on the same folder, which is never ours to remove.
    d.docker(['create', '--name', 'someone-elses', '-v', `${join(dir, 'left', 'data')}:/mnt`, 'postgres:15']);
    try {
      const engine = dockerEngine(d.host);
      expect(await removeContainersOn(engine, join(dir, 'left'))).toEqual(['dingo-recover-test-left']);
      const names = d.docker(['ps', '-a', '--format', '{{.Names}}']).split('\n').filter(Boolean).sort();
      expect(names).toEqual(['dingo-recover-test-elsewhere', 'someone-elses']);
      expect(await removeContainersOn(engine, join(dir, 'left'))).toEqual([]);
      expect(existsSync(left.socket)).toBe(true);
    } finally {
      await left.end();
      await elsewhere.end();
      d.docker(['rm', '-f', 'someone-elses']);
    }
  });
});
