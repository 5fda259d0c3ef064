/**
 * A platform whose broker gives its containers no roles (the 2016 broker: dingotiles/dingo-postgresql-broker
 * servicechange/step/add_node.go passes PATRONI_SCOPE and NODE_NAME only): every instance's Patroni runs
 * with the image's defaults (run.sh's `${SUPERUSER_PASSWORD:-…}`), the deleted one's as the new one's,
 * and bind hands those out. The bundled incident with the roles taken out of the new container and the
 * old database holding the defaults: the credentials step finds the logins the broker hands out in the
 * image's defaults, they log in to the restored database, and the run ends done; the defaults' passwords
 * are never shown.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCli, runIdOf, type CliResult } from '../../support/cli.js';

const SUPERUSER_PASSWORD = 'Tof2gNVZMz6Dun';
const APP_ROLE = 'dvw7DJgqzFBJC8';
const APP_PASSWORD = 'jkT3TTNebfrh6C';
const OLD_SYSID = '6262209914512345093';

let dir: string;
let result: CliResult;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dr-image-roles-'));
  const scenario = join(dir, 'scenario');
  cpSync(resolve(import.meta.dirname, '../../../fixtures/seed-003'), scenario, { recursive: true });
  const file = join(scenario, 'scenario.yaml');
  const doc = parse(readFileSync(file, 'utf8')) as {
    world: { placements: { env: Record<string, string> }[]; databases: Record<string, { roles: Record<string, string> }> };
  };
  for (const p of doc.world.placements)
    p.env = Object.fromEntries(Object.entries(p.env).filter(([k]) => !/^(ADMIN|SUPERUSER|APPUSER)_(USERNAME|PASSWORD)$/.test(k)));
  doc.world.databases[OLD_SYSID]!.roles = { pgadmin: 'old-random-admin-pw', postgres: SUPERUSER_PASSWORD, [APP_ROLE]: APP_PASSWORD };
  writeFileSync(file, stringify(doc));
  result = await runCli(['rehearse', '--scenario', scenario, '--yes', '--verbose', '--state-dir', join(dir, 'state')]);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("rehearse on a platform whose broker gives its containers no roles (the image's defaults)", () => {
  it('reconciles nothing it cannot know: the roles bind hands out log in, and the run ends done', () => {
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(
      `the roles the broker hands out on bind, from the image's defaults (the broker gave the container none): postgres, ${APP_ROLE}`,
    );
    const journal = readFileSync(join(dir, 'state', 'runs', runIdOf(result.stdout), 'journal.ndjson'), 'utf8');
    expect(journal).toMatch(/"step":"reconcile-credentials"[^\n]*"outputs":\{"roles":\["postgres","dvw7DJgqzFBJC8"\]\}/);
  });

  it("never shows the image's default passwords", () => {
    const state = join(dir, 'state', 'runs', runIdOf(result.stdout));
    for (const text of [result.stdout, result.stderr, readFileSync(join(state, 'journal.ndjson'), 'utf8')]) {
      expect(text).not.toContain(SUPERUSER_PASSWORD);
      expect(text).not.toContain(APP_PASSWORD);
    }
  });
});
