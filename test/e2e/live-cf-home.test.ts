/**
 * A live run targets the user's org and space in a private copy of the operator's cf config, never
 * in the operator's own: after `recover --plan` and after the recovery resumed from it, the
 * operator's `$CF_HOME/.cf/config.json` is byte for byte what it was, while the fake cf (which
 * reads and writes that file as cf does) targeted and refreshed its token in the run's copy.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DONE_UNDRILLED, runCli, runIdOf } from '../support/cli.js';
import { sshdAvailable } from '../support/sshd.js';
import { etcdAvailable } from '../support/etcd.js';
import { prepareCase } from '../support/live/platform.js';
import { useCaseRun, useLiveServers } from '../support/live/hooks.js';
import { assertRecovered, filesUnder } from '../support/live/recovered.js';
import { ONE_RUN_MS } from '../support/live/shared.js';

interface Config {
  AccessToken: string;
  RefreshToken: string;
  OrganizationFields: { Name: string };
  SpaceFields: { Name: string };
}

describe.skipIf(!sshdAvailable || !etcdAvailable)("live cf works on the run's own copy of the operator's cf config", () => {
  const live = useLiveServers();
  let before: Buffer | undefined;
  const planned = useCaseRun(
    async () => {
      const c = await prepareCase(live.servers, 'cfhome');
      before = readFileSync(c.cfConfig);
      return c;
    },
    (c) => runCli(['recover', ...c.liveArgs, '--plan', '--state-dir', c.stateDir], { env: c.env }),
  );
  const runDir = (): string => join(planned.c.stateDir, 'runs', planned.runId);
  const operator = (): Config => JSON.parse(before!.toString('utf8')) as Config;

  it('--plan targets the space in the copy, leaves the operator config byte-identical, and keeps the token out of the record', () => {
    expect(planned.run.code, planned.run.stdout + planned.run.stderr).toBe(0);
    expect(operator().OrganizationFields.Name).toBe('');
    expect(readFileSync(planned.c.cfConfig)).toEqual(before);

    const home = join(runDir(), 'cf-home');
    const copy = join(home, '.cf', 'config.json');
    const copied = JSON.parse(readFileSync(copy, 'utf8')) as Config;
    expect([copied.OrganizationFields.Name, copied.SpaceFields.Name]).toEqual(['acme', 'important-space-and-all-databases']);
    // The fake cf refreshed the token in the copy on every command: the commands ran on it.
    expect(copied.AccessToken).not.toBe(operator().AccessToken);
    expect(copied.AccessToken.split('.')[0]).toBe(operator().AccessToken.split('.')[0]);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, '.cf')).mode & 0o777).toBe(0o700);
    expect(statSync(copy).mode & 0o777).toBe(0o600);

    const token = operator()
      .AccessToken.split('.')[0]!
      .replace(/^bearer /, '');
    const others = filesUnder(runDir()).filter((f) => f !== copy);
    expect(others.map((f) => f.slice(runDir().length + 1))).toContain('journal.ndjson');
    for (const f of others) {
      const text = readFileSync(f, 'utf8');
      expect(text.includes(token) || text.includes(operator().RefreshToken), `${f} holds the cf token`).toBe(false);
    }
    expect(planned.run.stdout + planned.run.stderr).not.toContain(token);
  });

  it(
    'a resume whose copy is gone copies the config again, targets there, recovers, and the operator config is still byte-identical',
    async () => {
      rmSync(join(runDir(), 'cf-home'), { recursive: true, force: true });
      const resumed = await runCli(['resume', planned.runId, '--yes', '--state-dir', planned.c.stateDir], { env: planned.c.env });
      expect(resumed.code, resumed.stdout + resumed.stderr).toBe(DONE_UNDRILLED);
      expect(runIdOf(resumed.stdout)).toBe(planned.runId);
      await assertRecovered(live.servers, planned.c);
      expect(readFileSync(planned.c.cfConfig)).toEqual(before);
      const copied = JSON.parse(readFileSync(join(runDir(), 'cf-home', '.cf', 'config.json'), 'utf8')) as Config;
      expect(copied.SpaceFields.Name).toBe('important-space-and-all-databases');
    },
    ONE_RUN_MS,
  );
});
