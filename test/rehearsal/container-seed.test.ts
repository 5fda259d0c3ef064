/**
 * A scenario's container may have a real database (`postgres: { seed, nextXid }`): its seed is SQL the
 * superuser runs, so it is held as a body file is, inside the scenario's folder and no other user's,
 * and a seed or transaction id that is not one is refused when the scenario is read, naming the container.
 */
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadScenario } from '../../src/rehearsal/scenario.js';
import { ROOT } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'container-seed-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const CONTAINER = 'cf-c8ce128e-7b4c-4fe7-a533-e9379356f906';

/** The bad-write scenario, its live container's `postgres:` replaced by `postgres`. */
function scenarioWith(name: string, postgres: unknown): string {
  const scenario = join(dir, name);
  cpSync(join(ROOT, 'fixtures/bad-write'), scenario, { recursive: true });
  const file = join(scenario, 'scenario.yaml');
  const doc = parse(readFileSync(file, 'utf8')) as { world: { cells: Record<string, { containers: Record<string, object> }> } };
  Object.assign(doc.world.cells['10.58.111.150']!.containers[CONTAINER]!, { postgres });
  writeFileSync(file, stringify(doc));
  return scenario;
}

describe("a container's seed", () => {
  it('is read as a file of the scenario, by its whole path, with its transaction id', () => {
    const scenario = scenarioWith('ok', { seed: 'live.sql', nextXid: 5003 });
    const c = loadScenario(scenario).initial.cells['10.58.111.150']!.containers[CONTAINER]!;
    expect(c.postgres).toEqual({ seed: join(scenario, 'live.sql'), nextXid: 5003 });
  });

  it('is refused outside the scenario, writable by others, missing, or with a transaction id that is not one', () => {
    expect(() => loadScenario(scenarioWith('outside', { seed: '../../etc/passwd' }))).toThrow(
      `the seed of container ${CONTAINER} "../../etc/passwd" is outside the scenario's folder`,
    );
    const open = scenarioWith('open', { seed: 'live.sql' });
    chmodSync(join(open, 'live.sql'), 0o666);
    expect(() => loadScenario(open)).toThrow(`refusing the scenario file ${join(open, 'live.sql')}: it may be written`);
    for (const [name, postgres] of [
      ['no-seed', {}],
      ['xid-text', { seed: 'live.sql', nextXid: '5003' }],
      ['xid-far', { seed: 'live.sql', nextXid: 40000 }],
    ] as const) {
      expect(() => loadScenario(scenarioWith(name, postgres))).toThrow(
        `container ${CONTAINER} has postgres: without a seed, or with a nextXid`,
      );
    }
  });
});
