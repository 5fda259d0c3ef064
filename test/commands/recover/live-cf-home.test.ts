/**
 * A live run targets the user's org and space in a private copy of the operator's cf config, never
 * in the operator's own, and the copy (the operator's access and refresh tokens) lives only as long
 * as the session: watched while the CLI runs, the fake cf (which reads and writes that file as cf
 * does) targets and refreshes its token in the copy; once the session ends (its plan reached, done,
 * stopped by SIGINT, SIGTERM or SIGHUP sent to the CLI alone while a cf command may still run, or
 * abandoned after a process killed outright) no copy is left in the run's folder, and the operator's
 * `$CF_HOME/.cf/config.json` is byte for byte what it was.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, runCli, runIdOf, type CliResult } from '../../support/cli.js';
import { sshdAvailable } from '../../support/sshd.js';
import { etcdAvailable } from '../../support/etcd.js';
import { prepareCase } from '../../support/live/platform.js';
import { useCaseRun, useLiveServers } from '../../support/live/hooks.js';
import { assertRecovered, filesUnder } from '../../support/live/recovered.js';
import { ONE_RUN_MS } from '../../support/live/shared.js';

interface Config {
  AccessToken: string;
  RefreshToken: string;
  OrganizationFields: { Name: string };
  SpaceFields: { Name: string };
}

const SPACE = 'important-space-and-all-databases';
/** The copy's config file in a run folder. */
const copyIn = (runDir: string): string => join(runDir, 'cf-home', '.cf', 'config.json');

/**
 * Runs the CLI while watching the copy of the state folder's runs: what it held last, as the run's
 * cf commands left it; with `signal`, sent to the CLI alone as soon as a copy is there.
 */
async function watched(
  args: string[],
  stateDir: string,
  env: Record<string, string>,
  signal?: NodeJS.Signals,
): Promise<{ run: CliResult; copy: Config | null }> {
  let copy: Config | null = null;
  let pid: number | undefined;
  let sent = false;
  const runs = join(stateDir, 'runs');
  // A copy an earlier case left behind is its failure, not this run's copy: it would stop this run before it began.
  const started = Date.now();
  const timer = setInterval(() => {
    for (const id of existsSync(runs) ? readdirSync(runs) : []) {
      try {
        if (statSync(copyIn(join(runs, id))).mtimeMs < started) continue;
        copy = JSON.parse(readFileSync(copyIn(join(runs, id)), 'utf8')) as Config;
      } catch {
        continue; // not there, or being written
      }
      if (signal && !sent && pid !== undefined) {
        sent = true;
        process.kill(pid, signal);
      }
    }
  }, 10);
  try {
    const run = await runCli(args, { env, onStart: (p) => (pid = p), timeoutMs: ONE_RUN_MS });
    return { run, copy };
  } finally {
    clearInterval(timer);
  }
}

describe.skipIf(!sshdAvailable || !etcdAvailable)(
  'live cf works on a copy of the operator’s cf config that lives as long as the session',
  () => {
    const live = useLiveServers();
    let before: Buffer | undefined;
    let copyWhilePlanning: Config | null = null;
    const planned = useCaseRun(
      async () => {
        const c = await prepareCase(live.servers, 'cfhome');
        before = readFileSync(c.cfConfig);
        return c;
      },
      async (c) => {
        const { run, copy } = await watched(['recover', ...c.liveArgs, '--plan', '--state-dir', c.stateDir], c.stateDir, c.env);
        copyWhilePlanning = copy;
        return run;
      },
    );
    const runDir = (): string => join(planned.c.stateDir, 'runs', planned.runId);
    const operator = (): Config => JSON.parse(before!.toString('utf8')) as Config;
    const token = (): string =>
      operator()
        .AccessToken.split('.')[0]!
        .replace(/^bearer /, '');

    /** No copy in the run's folder, no file there holding the operator's tokens, the operator's config as it was. */
    function assertNothingAtRest(dir: string): void {
      expect(existsSync(join(dir, 'cf-home', '.cf')), 'a copy of the cf config in the run folder').toBe(false);
      const files = filesUnder(dir);
      expect(files.map((f) => f.slice(dir.length + 1))).toContain('journal.ndjson');
      for (const f of files) {
        const text = readFileSync(f, 'utf8');
        expect(text.includes(token()) || text.includes(operator().RefreshToken), `${f} holds the cf token`).toBe(false);
      }
      expect(readFileSync(planned.c.cfConfig)).toEqual(before);
    }

    it('--plan targets the space in the copy while it runs, and the copy goes when the session ends', () => {
      expect(planned.run.code, planned.run.stdout + planned.run.stderr).toBe(0);
      expect(operator().OrganizationFields.Name).toBe('');
      const copied = copyWhilePlanning;
      expect([copied?.OrganizationFields.Name, copied?.SpaceFields.Name]).toEqual(['acme', SPACE]);
      // The fake cf refreshed the token in the copy on every command: the commands ran on it.
      expect(copied?.AccessToken).not.toBe(operator().AccessToken);
      expect(copied?.AccessToken.split('.')[0]).toBe(operator().AccessToken.split('.')[0]);
      assertNothingAtRest(runDir());
      expect(planned.run.stdout + planned.run.stderr).not.toContain(token());
    });

    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      it(`a resume stopped by ${signal}, sent to the CLI alone while its cf may still run, leaves no copy`, async () => {
        const { run, copy } = await watched(
          ['resume', planned.runId, '--yes', '--state-dir', planned.c.stateDir],
          planned.c.stateDir,
          planned.c.env,
          signal,
        );
        expect(copy, 'the resume made its copy').not.toBeNull();
        expect(run.code, run.stdout + run.stderr).toBe(130);
        expect(run.stdout).toContain(`interrupted (${signal}`);
        // A fake cf started before the signal ends on its own, writing its config as it goes.
        await new Promise((r) => setTimeout(r, 3000));
        assertNothingAtRest(runDir());
      });
    }

    it('a session killed outright leaves its copy; abandoning the run removes it', async () => {
      const stateDir = join(planned.c.dir, 'state-killed');
      const { run, copy } = await watched(['recover', ...planned.c.liveArgs, '--state-dir', stateDir], stateDir, planned.c.env, 'SIGKILL');
      expect(run.signal).toBe('SIGKILL');
      expect(copy).not.toBeNull();
      const [killed] = readdirSync(join(stateDir, 'runs'));
      const dir = join(stateDir, 'runs', killed!);
      await new Promise((r) => setTimeout(r, 3000));
      expect(existsSync(copyIn(dir))).toBe(true);
      const abandoned = await runCli(['abandon', killed!, '--reason', 'killed in a test', '--state-dir', stateDir], { env: planned.c.env });
      expect(abandoned.code, abandoned.stdout + abandoned.stderr).toBe(0);
      assertNothingAtRest(dir);
    });

    it(
      'a resume copies the config again, targets there and recovers; done, it leaves no copy',
      async () => {
        const { run, copy } = await watched(
          ['resume', planned.runId, '--yes', '--state-dir', planned.c.stateDir],
          planned.c.stateDir,
          planned.c.env,
        );
        expect(run.code, run.stdout + run.stderr).toBe(DONE_DRILLED_ON_CELL);
        expect(runIdOf(run.stdout)).toBe(planned.runId);
        await assertRecovered(live.servers, planned.c);
        expect(copy?.SpaceFields.Name).toBe(SPACE);
        assertNothingAtRest(runDir());
      },
      ONE_RUN_MS,
    );
  },
);
