/**
 * A snapshot taken through a cf CLI and Cloud Controller of each era (cf 6 with v2 and v3, cf 7 on
 * v3, cf 8 on a v3-only Cloud Controller) keeps that era, and its rehearsal, speaking that era,
 * finds the same deleted instance and completes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DONE_UNDRILLED, runCli, runIdOf } from '../support/cli.js';
import { sshdAvailable } from '../support/sshd.js';
import { etcdAvailable } from '../support/etcd.js';
import { ifStarted } from '../support/started.js';
import { loadScenario } from '../../src/rehearsal/scenario.js';
import { prepareCase, startLiveServers, type LiveServers } from '../support/live/platform.js';
import { OLD_GUID, ONE_RUN_MS } from '../support/live/shared.js';

const ERAS = [
  { version: '6.53.0+8e2b70a4a.2020-10-01', v2: true },
  { version: '7.2.0+be4a5ce2b.2020-12-10', v2: true },
  { version: '8.9.1+6c6aa0f.2024-11-05', v2: false },
];

describe.skipIf(!sshdAvailable || !etcdAvailable)('dingo-recover snapshot in each cf era', () => {
  let servers: LiveServers;
  beforeAll(async () => {
    servers = await startLiveServers();
  });
  afterAll(async () => {
    await ifStarted(servers)?.stop();
  });

  it.each(ERAS)(
    'cf $version (v2 API: $v2) is snapshot and rehearsed in its era',
    async ({ version, v2 }) => {
      const c = await prepareCase(servers, `snapshot-cf${version[0]!}`, {
        cfWorld: (w) => ({ ...w, version, api: { ...w.api, v2, v3: true } }),
      });
      const out = join(mkdtempSync(join(tmpdir(), 'dingo-snapshot-')), 'scenario');
      try {
        const snap = await runCli(
          ['snapshot', '--answers', c.answersFile, ...c.platformArgs, '--deleted-instance', OLD_GUID, '--out', out],
          {
            env: c.env,
          },
        );
        expect(snap.code, snap.stdout + snap.stderr).toBe(0);
        expect(snap.stdout).not.toContain('not read:');
        const cf = loadScenario(out).initial.cf;
        expect({ version: cf.version, v2: cf.api.v2, v3: cf.api.v3 }).toEqual({ version, v2, v3: true });
        expect(cf.offerings.map((o) => [o.label, o.plans.map((p) => p.name)])).toEqual([['dingo-postgresql95', ['solo', 'cluster']]]);
        expect(cf.orgs[0]!.spaces[0]!.apps.map((a) => [a.name, a.state])).toEqual([
          ['their-app', 'started'],
          ['reporting-cron', 'stopped'],
        ]);
        const stateDir = join(out, '..', 'state');
        const run = await runCli(['rehearse', '--scenario', out, '--yes', '--state-dir', stateDir]);
        expect(run.code, run.stdout + run.stderr).toBe(DONE_UNDRILLED);
        expect(run.stdout).toContain(`run ${runIdOf(run.stdout)} is done`);
        expect(run.stdout).toContain(`cfVersion=${version}`);
        expect(run.stdout).toContain(OLD_GUID);
      } finally {
        await c.cleanup();
        rmSync(dirname(out), { recursive: true, force: true });
      }
    },
    2 * ONE_RUN_MS,
  );
});
