/**
 * `cf restart` starts an app whatever its state (cloudfoundry/cli cf/commands/application/restart.go),
 * so the recovery restarts only the apps the user had started. The bundled incident with the user's
 * stopped reporting-cron named among the apps: it is bound to the recovered service and stays stopped;
 * the step, the report and what is left say so.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAppStates } from '../../../src/adapters/cf/cf-parse.js';
import { loadScenario, World } from '../../../src/rehearsal/world.js';
import { runCli, runIdOf, type CliResult } from '../../support/cli.js';

const SCENARIO = loadScenario(resolve(import.meta.dirname, '../../../fixtures/seed-003'));
let dir: string;
let result: CliResult;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dr-stopped-app-'));
  const answers = join(dir, 'answers.yaml');
  const bundled = readFileSync(resolve(SCENARIO.dir, 'answers.yaml'), 'utf8');
  writeFileSync(answers, bundled.replace('apps: [their-app]', 'apps: [their-app, reporting-cron]'));
  result = await runCli(['rehearse', '--yes', '--answers', answers, '--state-dir', join(dir, 'state')]);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('rehearse with an app the user had stopped among the apps to rebind', () => {
  it('binds it, leaves it stopped, restarts the started one, and says so in the step, the report and what is left', () => {
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const runDir = join(dir, 'state', 'runs', runIdOf(result.stdout));
    const apps = World.load(runDir, SCENARIO).cf.orgs[0]!.spaces[0]!.apps;
    const app = (name: string) => apps.find((a) => a.name === name)!;
    expect(app('reporting-cron')).toMatchObject({ state: 'stopped' });
    expect(app('reporting-cron').boundServiceGuids).toEqual(app('their-app').boundServiceGuids);
    expect(app('their-app').boundServiceGuids).toHaveLength(1);
    expect(result.stdout).toContain('restarted their-app; left stopped: reporting-cron');
    const report = readFileSync(join(runDir, 'report.md'), 'utf8');
    expect(report).toContain('- restarted their-app; left stopped, as the user had them: reporting-cron');
    expect(report).toContain('- left stopped, as the user had them (cf apps: requested state stopped): reporting-cron');
    expect(result.stdout).toContain(
      'reporting-cron was stopped before the recovery and is left stopped, bound to important-db: start it (cf start reporting-cron) when the user wants it',
    );
  });
});

describe('the requested state of each app in cf apps', () => {
  it('is read from the v6 and the v7+ tables, cut at the header', () => {
    const v6 = `Getting apps in org acme / space s as admin...\nOK\n\nname             requested state   instances   memory   disk   urls\nmy app           started           2/2         256M     1G     a.example.com\nreporting-cron   stopped           0/1         128M     1G\n`;
    const v8 = `Getting apps in org acme / space s as admin...\n\nname             requested state   processes           routes\nmy app           started           web:2/2             a.example.com\nreporting-cron   stopped           web:0/1, task:0/0\n`;
    for (const text of [v6, v8])
      expect(parseAppStates(text)).toEqual([
        { name: 'my app', state: 'started' },
        { name: 'reporting-cron', state: 'stopped' },
      ]);
  });
});
