/**
 * Which Docker Engine `volumes find` and the runbook's step ask: the flag, else DOCKER_HOST as the
 * docker CLI takes it, else the default socket; said in the output, and a remote DOCKER_HOST refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { volumesActions } from '../../src/actions/volumes.js';
import { UsageError } from '../../src/core/errors.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import { dockerEngine } from '../../src/systems/docker-engine.js';
import { dockerHostOf } from '../../src/volumes/docker-host.js';
import { runCli } from '../support/cli.js';
import { startFakeEngine, type FakeEngine } from '../support/docker-engine-server.js';

let engine: FakeEngine;

beforeAll(async () => {
  engine = await startFakeEngine({
    volumes: [{ Name: 'from-env', Mountpoint: '/nowhere/from-env/_data', Labels: null, CreatedAt: '2024-01-01T10:00:00Z' }],
    containers: [],
    images: [],
  });
});

afterAll(async () => {
  await engine.close();
});

describe('the Docker Engine volumes are asked of', () => {
  it('is the flag, else DOCKER_HOST, else the default, each named', () => {
    expect(dockerHostOf('unix:///flag.sock', { DOCKER_HOST: 'unix:///env.sock' })).toEqual({
      host: 'unix:///flag.sock',
      from: '--docker-host',
    });
    expect(dockerHostOf(undefined, { DOCKER_HOST: 'unix:///env.sock' })).toEqual({ host: 'unix:///env.sock', from: 'DOCKER_HOST' });
    expect(dockerHostOf(undefined, {})).toEqual({ host: 'unix:///var/run/docker.sock', from: 'the default' });
    expect(dockerHostOf('', { DOCKER_HOST: '' })).toEqual({ host: 'unix:///var/run/docker.sock', from: 'the default' });
  });

  it('refuses a tcp:// or ssh:// DOCKER_HOST, naming the variable', () => {
    for (const remote of ['tcp://10.0.0.5:2376', 'ssh://ops@docker-host']) {
      const err = (() => {
        try {
          return dockerHostOf(undefined, { DOCKER_HOST: remote });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).message).toMatch(
        new RegExp(`^DOCKER_HOST is "${remote}": only an Engine on this host, through its unix socket`),
      );
      expect((err as UsageError).message).toContain('not a tcp:// or ssh:// one');
    }
  });

  it('volumes find asks the Engine DOCKER_HOST names, and says so', async () => {
    const r = await runCli(['volumes', 'find'], { env: { DOCKER_HOST: `unix://${engine.socket}` } });
    expect(r.stdout).toContain(`1 volume(s) in docker unix://${engine.socket} (from DOCKER_HOST)`);
    expect(r.stdout).toContain('from-env');
    const given = await runCli(['volumes', 'find', '--docker-host', `unix://${engine.socket}`], {
      env: { DOCKER_HOST: 'unix:///nowhere.sock' },
    });
    expect(given.stdout).toContain(`docker unix://${engine.socket} (from --docker-host)`);
    const remote = await runCli(['volumes', 'find'], { env: { DOCKER_HOST: 'tcp://10.0.0.5:2376' } });
    expect(remote.stderr).toContain('dingo-recover volumes find: DOCKER_HOST is "tcp://10.0.0.5:2376": only an Engine on this host');
    expect(remote.code).toBe(2);
  });

  it("the runbook's step asks the Engine DOCKER_HOST names when its dockerHost input is empty, and says so", async () => {
    const evidence: string[] = [];
    const ctx = {
      evidence: (t: string) => evidence.push(t),
      note: () => undefined,
      progress: () => undefined,
      platform: { dockerEngine: (host: string) => dockerEngine(host) },
    } as unknown as StepContext;
    const step = volumesActions.find((a) => a.name === 'volumes.find')!;
    const before = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${engine.socket}`;
    try {
      await step.run(ctx, { volumesRoot: [], dockerHost: '', volume: [] }, {}).catch(() => undefined);
    } finally {
      if (before === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = before;
    }
    expect(evidence[0]).toMatch(new RegExp(`^1 volume\\(s\\) read in \\S+ s from docker unix://${engine.socket} \\(from DOCKER_HOST\\)$`));
  });
});
