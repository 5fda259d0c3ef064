/**
 * The cell adapters over a real SSH session through a gateway: etcd v2 against a
 * real etcd through the port forward, docker against the fake Docker 1.11 client
 * under real sudo, and the file moves with real find/mv.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSshCellAccess, type SshOptions } from '../../src/systems/ssh/index.js';
import { EtcdV2Keys } from '../../src/systems/etcd.js';
import { CellDocker } from '../../src/adapters/docker.js';
import { waitUntilPromoted } from '../../src/adapters/postgres-promotion.js';
import { listDir, moveContentsAside } from '../../src/adapters/cell-files.js';
import { StepFailed } from '../../src/core/errors.js';
import type { CellSession } from '../../src/core/seams.js';
import { sshdAvailable, startSshd, type Sshd } from '../support/sshd.js';
import { freePort } from '../../src/systems/ports.js';
import { etcdAvailable, startEtcd, type Etcd } from '../support/etcd.js';
import { FAKE_DOCKER, fakeDaemon, type FakeDaemon } from '../support/fake-docker/world.js';
import { CONTAINER, NEW_GUID, sampleCell } from '../support/sample-cell.js';
import { ifStarted } from '../support/started.js';
import { Redactor } from '../../src/core/redact.js';

const CELL_IP = '10.58.111.150';
const LOCKED_CELL = '10.58.111.151';

describe.skipIf(!sshdAvailable || !etcdAvailable)('cell adapters over ssh (real sshd, etcd, sudo)', () => {
  let gateway: Sshd;
  let cell: Sshd;
  let locked: Sshd;
  let etcd: Etcd;
  let work: string;
  let session: CellSession;
  let opts: SshOptions;

  beforeAll(async () => {
    [gateway, cell, locked, etcd] = await Promise.all([
      startSshd({ user: 'dingogw2' }),
      startSshd({ user: 'dingocell2', sudo: 'nopasswd' }),
      // A cell whose sshd refuses TCP forwarding, as hardened stemcells may.
      startSshd({ user: 'dingocell2', config: ['AllowTcpForwarding no'], authorizedKeys: [] }),
      startEtcd(),
    ]);
    work = mkdtempSync(join(tmpdir(), 'dingo-cell-ssh-'));
    writeFileSync(
      join(work, 'config'),
      `Host ${CELL_IP}\n  HostName 127.0.0.1\n  Port ${cell.port}\n  IdentityFile ${cell.clientKeyFile}\nHost ${LOCKED_CELL}\n  HostName 127.0.0.1\n  Port ${locked.port}\n  IdentityFile ${locked.clientKeyFile}\n`,
    );
    opts = {
      redactor: new Redactor(),
      gateway: { user: gateway.user, host: '127.0.0.1', port: gateway.port, identityFile: gateway.clientKeyFile },
      user: 'dingocell2',
      sshConfigFile: join(work, 'config'),
      pinnedFingerprints: {
        [`[127.0.0.1]:${gateway.port}`]: gateway.hostKeyFingerprint,
        [CELL_IP]: cell.hostKeyFingerprint,
        [LOCKED_CELL]: locked.hostKeyFingerprint,
      },
      home: work,
      agent: '',
    };
    session = await createSshCellAccess(opts).open(CELL_IP);
  });
  afterAll(async () => {
    await ifStarted(session)?.close();
    await Promise.all([ifStarted(gateway)?.stop(), ifStarted(cell)?.stop(), ifStarted(locked)?.stop(), ifStarted(etcd)?.stop()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe('etcd v2 through the forward', () => {
    it('reads and resets the keys Patroni caches', async () => {
      await etcd.put(`/service/${NEW_GUID}/initialize`, '6263133413454798929');
      await etcd.put(`/service/${NEW_GUID}/optime/leader`, '50331920');
      const keys = await session.etcd(etcd.hostPort);
      expect(keys.where).toBe(`etcd ${etcd.hostPort} via ${session.where}`);
      expect(await keys.get(`/service/${NEW_GUID}/initialize`)).toBe('6263133413454798929');
      expect(await keys.delete(`/service/${NEW_GUID}/initialize`)).toBe('deleted');
      expect(await keys.delete(`/service/${NEW_GUID}/initialize`)).toBe('absent');
      expect(await keys.get(`/service/${NEW_GUID}/initialize`)).toBeNull();
      expect(await keys.delete(`/service/${NEW_GUID}/optime/leader`)).toBe('deleted');
      // The same client straight to the URL agrees.
      expect(await new EtcdV2Keys(etcd.url, { redactor: new Redactor() }).get(`/service/${NEW_GUID}/optime/leader`)).toBeNull();
    });

    it('says etcd is unreachable from the cell', async () => {
      const port = await freePort();
      const keys = await session.etcd(`127.0.0.1:${port}`);
      const err = (await keys.get('/service/x/initialize').catch((e: unknown) => e)) as StepFailed;
      expect(err).toBeInstanceOf(StepFailed);
      expect(err.message).toBe(
        `etcd at 127.0.0.1:${port} unreachable from ${session.where}: (SSH) Channel open failure: Connection refused`,
      );
      const direct = (await new EtcdV2Keys(`127.0.0.1:${port}`, { redactor: new Redactor() })
        .get('/x')
        .catch((e: unknown) => e)) as StepFailed;
      expect(direct.message).toContain(`etcd at 127.0.0.1:${port} unreachable: ECONNREFUSED`);
    });

    it('goes through the jumpbox when the cell refuses forwarding', async () => {
      await etcd.put(`/service/${NEW_GUID}/initialize`, 'abc');
      const lockedSession = await createSshCellAccess(opts).open(LOCKED_CELL);
      try {
        const keys = await lockedSession.etcd(etcd.hostPort);
        expect(await keys.get(`/service/${NEW_GUID}/initialize`)).toBe('abc');
        expect(keys.where).toBe(`etcd ${etcd.hostPort} via dingogw2@127.0.0.1:${gateway.port}`);
      } finally {
        await lockedSession.close();
      }
    });
  });

  describe('docker through sudo on the cell', () => {
    let daemon: FakeDaemon;
    let docker: CellDocker;
    beforeAll(async () => {
      daemon = await fakeDaemon(sampleCell());
      docker = new CellDocker(session, { redactor: new Redactor(), binary: FAKE_DOCKER, host: daemon.host });
    });
    afterAll(() => ifStarted(daemon)?.remove());

    it('inspects, stops and starts the container', async () => {
      const info = await docker.inspect(CONTAINER);
      expect(info?.env.PATRONI_SCOPE).toBe(NEW_GUID);
      expect(info?.dataDir).toBe(`/var/vcap/store/cf-containers-broker/${CONTAINER}/data`);
      await docker.stop(CONTAINER, { timeoutSeconds: 10 });
      expect(daemon.read().containers[CONTAINER]!.running).toBe(false);
      expect(await docker.inspect('cf-missing')).toBeNull();
      await docker.start(CONTAINER);
      expect((await docker.inspect(CONTAINER))?.state.running).toBe(true);
    });

    it('waits for promotion with psql fed through ssh, sudo and docker exec -i', async () => {
      const state = daemon.read();
      state.containers[CONTAINER]!.pg = { ...state.containers[CONTAINER]!.pg, inRecovery: true, pollsUntilPromoted: 1 };
      daemon.write(state);
      const stages: string[] = [];
      const result = await waitUntilPromoted(docker, CONTAINER, {
        deadlineMs: 30_000,
        intervalMs: 10,
        onPoll: (p) => stages.push(p.stage),
      });
      expect(stages).toEqual(['in-recovery', 'promoted']);
      expect(result.polls).toBe(2);
    });
  });

  it('moves a data folder aside with real find and mv under sudo', async () => {
    const root = join(work, 'store');
    const data = join(root, 'cf-abc', 'data');
    mkdirSync(join(data, 'postgres0', 'global'), { recursive: true });
    writeFileSync(join(data, 'postgres0', 'PG_VERSION'), '9.5\n');
    writeFileSync(join(data, '.hidden'), '');
    const dest = join(work, 'quarantine', 'cf-abc');
    expect(await moveContentsAside(session, data, dest, { redactor: new Redactor(), root })).toEqual({ moved: ['.hidden', 'postgres0'] });
    expect(readdirSync(data)).toEqual([]);
    expect(readdirSync(dest).sort()).toEqual(['.hidden', 'postgres0']);
    expect(await listDir(session, join(dest, 'postgres0'), { redactor: new Redactor() })).toEqual(['PG_VERSION', 'global']);
    expect(await listDir(session, join(work, 'nope'), { redactor: new Redactor() })).toBeNull();
  });
});
