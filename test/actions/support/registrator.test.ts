/**
 * registrator on the cell, checked over a real SSH session (real sshd, real sudo) with the cell's
 * Docker 1.11 client (the fake client on the cell world): running, exited, or not there at all;
 * and the preflight's words when it does not run: what to start on the cell, and how to resume.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSshCellAccess } from '../../../src/systems/ssh/index.js';
import { CellDocker } from '../../../src/adapters/docker.js';
import type { CellSession } from '../../../src/core/seams.js';
import { registratorHint, registratorRuns } from '../../../src/actions/support/registrator.js';
import { sshdAvailable, startSshd, type Sshd } from '../../support/sshd.js';
import { FAKE_DOCKER, fakeDaemon, type FakeDaemon } from '../../support/fake-docker/world.js';
import { registratorContainer, sampleCell } from '../../support/sample-cell.js';
import { ifStarted } from '../../support/started.js';
import { Redactor } from '../../../src/core/redact.js';

const CELL_IP = '10.58.111.150';

describe.skipIf(!sshdAvailable)('registrator on the cell (real sshd and sudo)', () => {
  let cell: Sshd;
  let work: string;
  let session: CellSession;
  let daemon: FakeDaemon;
  let docker: CellDocker;

  beforeAll(async () => {
    cell = await startSshd({ user: 'dingocell3', sudo: 'nopasswd' });
    work = mkdtempSync(join(tmpdir(), 'dingo-registrator-'));
    writeFileSync(
      join(work, 'config'),
      `Host ${CELL_IP}\n  HostName 127.0.0.1\n  Port ${cell.port}\n  IdentityFile ${cell.clientKeyFile}\n`,
    );
    session = await createSshCellAccess({
      redactor: new Redactor(),
      user: 'dingocell3',
      sshConfigFile: join(work, 'config'),
      pinnedFingerprints: { [CELL_IP]: cell.hostKeyFingerprint },
      home: work,
      agent: '',
    }).open(CELL_IP);
    daemon = await fakeDaemon(sampleCell());
    docker = new CellDocker(session, { redactor: new Redactor(), binary: FAKE_DOCKER, host: daemon.host });
  });
  afterAll(async () => {
    await ifStarted(session)?.close();
    ifStarted(daemon)?.remove();
    await ifStarted(cell)?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function withRegistrator(state: 'running' | 'exited' | 'absent'): void {
    const world = daemon.read();
    delete world.containers.registrator;
    if (state !== 'absent') world.containers.registrator = registratorContainer(state === 'running');
    daemon.write(world);
  }

  it('says it runs, with its container, image and start', async () => {
    withRegistrator('running');
    expect(await registratorRuns(docker)).toBe(
      'running (container 9b35a273ae9a, cfcommunity/registrator:latest, since 2016-03-16T00:00:00.000Z)',
    );
  });

  it('knows registrator by its container name, whatever image the release runs it from', async () => {
    const world = daemon.read();
    // The release's registrator job names gliderlabs/registrator as its other image; the container is `registrator` either way.
    world.containers.registrator = { ...registratorContainer(true), image: 'gliderlabs/registrator:latest' };
    world.containers['registrator-old'] = { ...registratorContainer(false), name: 'registrator-old' };
    daemon.write(world);
    expect(await registratorRuns(docker)).toBe(
      'running (container 9b35a273ae9a, gliderlabs/registrator:latest, since 2016-03-16T00:00:00.000Z)',
    );
    const renamed = daemon.read();
    delete renamed.containers['registrator-old'];
    renamed.containers['dingo-registrator'] = { ...renamed.containers.registrator!, name: 'dingo-registrator' };
    delete renamed.containers.registrator;
    daemon.write(renamed);
    await expect(registratorRuns(docker)).rejects.toThrow('no container named registrator on the cell');
    const restored = daemon.read();
    delete restored.containers['dingo-registrator'];
    daemon.write(restored);
  });

  it('refuses an exited registrator, saying how it stands', async () => {
    withRegistrator('exited');
    await expect(registratorRuns(docker)).rejects.toThrow(
      /^its container 9b35a273ae9a \(cfcommunity\/registrator:latest\) is not running: exited, exit code 2 at 2016-03-17T06:02:11/,
    );
  });

  it('refuses a cell without registrator', async () => {
    withRegistrator('absent');
    await expect(registratorRuns(docker)).rejects.toThrow(
      'no container named registrator on the cell (docker inspect registrator found none)',
    );
  });

  it('tells what to start on the cell and how to resume', () => {
    const hint = registratorHint(CELL_IP, '20260101-000000-abcd');
    expect(hint).toContain(`on ${CELL_IP}, as root, run \`/var/vcap/bosh/bin/monit start registrator\``);
    expect(hint).toMatch(/then resume: dingo-recover resume 20260101-000000-abcd/);
  });
});
