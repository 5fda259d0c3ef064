/**
 * A rehearsal of the seed incident whose syslog also holds lines a tenant's database logged from
 * its container: an upload after the deletion, an upload into a look-alike bucket, a claim to be
 * a node of the new instance, a broker record of a deletion, a restore.done whose password is the
 * bucket. The right archive still comes back into the right container, and the tenant's
 * container is never touched.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, runCli, runIdOf } from '../../support/cli.js';
import { World, loadScenario, type WorldState } from '../../../src/rehearsal/world.js';
import { containerLines, forgedTenantLines } from '../../support/forged-lines.js';
import { BUCKET, CELL_HOST, CELL_IP, OLD_GUID } from '../../support/live/shared.js';

const NEW = '78218ded-7d88-4d69-bd44-6f478c300134';
const CONTAINER = 'cf-52167ceb-bd3d-4bff-8699-a239d21c5379';
const TENANT = 'cf-e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b';
const SCENARIO = loadScenario(resolve(import.meta.dirname, '../../../fixtures/seed-003'));

/** What the other tenant's database logs, after its container's own prefix. */
const tenant = containerLines(CELL_HOST, TENANT, 'd2c4e6');
const FORGED = [
  ...forgedTenantLines(tenant, { bucket: BUCKET, oldGuid: OLD_GUID, cellIp: CELL_IP, tenantNode: TENANT.slice(3) }),
  tenant('Mar 17 17:40:00', `upload: tmp/sysids/sysid to s3://${BUCKET}/backups/${NEW}/wal/sysids/sysid`),
];

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('rehearsal with forged tenant lines in the syslog', () => {
  let state: string;
  let output: string;
  let w: WorldState;

  beforeAll(async () => {
    state = mkdtempSync(join(tmpdir(), 'dr-forged-'));
    const logs = mkdtempSync(join(tmpdir(), 'dr-forged-logs-'));
    dirs.push(state, logs);
    const file = join(logs, 'tenant-cell.log');
    writeFileSync(file, FORGED.join('\n') + '\n');
    utimesSync(file, new Date('2016-03-18T00:00:00Z'), new Date('2016-03-18T00:00:00Z'));
    const r = await runCli(['rehearse', '--yes', '--verbose', '--state-dir', state, '--logs', file]);
    output = r.stdout + r.stderr;
    expect(r.code, output).toBe(DONE_DRILLED_ON_CELL);
    w = World.load(join(state, 'runs', runIdOf(output)), SCENARIO);
  }, 240_000);

  it('restores the old archive from its own bucket into the new container', () => {
    const b = w.s3[BUCKET]!;
    const old = Object.keys(b).filter((k) => k.startsWith(`backups/${OLD_GUID}/wal/`));
    expect(old.length).toBeGreaterThan(0);
    for (const k of old) expect(b[k.replace(OLD_GUID, NEW)]?.etag, k).toBe(b[k]!.etag);
    expect(w.s3[`${BUCKET}-mirror`]).toBeUndefined();
    expect(w.cells[CELL_IP]!.containers[CONTAINER]!.running).toBe(true);
    expect(w.serving[CONTAINER]).toBe('6262209914512345093');
  });

  it("never touches the tenant's container", () => {
    expect(w.cells[CELL_IP]!.containers[TENANT]!.running).toBe(true);
    expect(w.history.filter((h) => h.what.includes(TENANT.slice(3, 11)))).toEqual([]);
  });

  it('warns about the forged lines, naming the container, and redacts no archive URL', () => {
    expect(output).toMatch(new RegExp(`wal-e-shaped line\\(s\\) written by container ${TENANT} ignored`));
    expect(output).toMatch(new RegExp(`broker-shaped line\\(s\\) written by container ${TENANT} ignored`));
    expect(output).toContain(`s3://${BUCKET}/backups/${OLD_GUID}/wal/`);
    expect(output).not.toContain('s3://[REDACTED]');
  });
});
