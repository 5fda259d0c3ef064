/**
 * registrator down on the cell (its container exited): a live recovery stops at the preflight,
 * before the new container is stopped, saying what to start on the cell and how to resume; once
 * registrator runs again (started with the cell's docker, as the operator would), the resume recovers.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, runCli } from '../../support/cli.js';
import { sshdAvailable } from '../../support/sshd.js';
import { etcdAvailable } from '../../support/etcd.js';
import { prepareCase } from '../../support/live/platform.js';
import { useCaseRun, useLiveServers } from '../../support/live/hooks.js';
import { assertRecovered, historyOf } from '../../support/live/recovered.js';
import { ONE_RUN_MS } from '../../support/live/shared.js';
import { FAKE_DOCKER } from '../../support/fake-docker/world.js';

const execFileP = promisify(execFile);

describe.skipIf(!sshdAvailable || !etcdAvailable)('live recovery on a cell whose registrator is down', () => {
  const live = useLiveServers();
  const refused = useCaseRun(
    () => prepareCase(live.servers, 'registrator', { registratorDown: true }),
    (c) => runCli(['recover', ...c.liveArgs, '--state-dir', c.stateDir], { env: c.env }),
  );

  it('stops at the preflight, before the container is stopped, saying what to start and how to resume', () => {
    const out = refused.run.stdout + refused.run.stderr;
    expect(refused.run.code, out).toBe(1);
    expect(out).toContain(
      'before anything is stopped or moved, registrator on 10.58.111.150 failed: its container 9b35a273ae9a (cfcommunity/registrator:latest) is not running: exited, exit code 2',
    );
    expect(out).toContain('run `/var/vcap/bosh/bin/monit start registrator`');
    expect(out.replace(/\n +/g, ' ')).toContain(`then resume: dingo-recover resume ${refused.runId} --state-dir ${refused.c.stateDir}`);
    const made = refused.c.instances[0]!;
    expect(historyOf(refused.c, made)).toEqual([`broker created ${made.container} for ${made.guid}`]);
    expect(refused.c.readCell().containers[made.container]!.running).toBe(true);
  });

  it(
    'recovers on resume once registrator runs again',
    async () => {
      const c = refused.c;
      await execFileP(FAKE_DOCKER, ['--host', c.dockerHost, 'start', 'registrator'], { env: { ...process.env, ...c.env } });
      const resumed = await runCli(['resume', refused.runId, '--yes', '--state-dir', c.stateDir], { env: c.env });
      expect(resumed.code, resumed.stdout + resumed.stderr).toBe(DONE_DRILLED_ON_CELL);
      await assertRecovered(live.servers, c);
    },
    ONE_RUN_MS,
  );
});
