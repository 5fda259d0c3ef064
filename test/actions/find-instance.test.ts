/**
 * Finding the new instance's container when the logs do not name it (they lag, miss the cell, or
 * were never given): the Dingo cells BOSH lists are asked, and the container whose PATRONI_SCOPE is
 * the GUID is the one; where it archives comes from its environment, or from --wal-bucket, which also
 * gives a deleted instance's archive when no wal-e line of it is left ("pre-determinable").
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { actionRegistry } from '../../src/actions/index.js';
import { loadScenario } from '../../src/rehearsal/world.js';
import { openLogSource } from '../../src/systems/log-source.js';
import type { Platform } from '../../src/core/seams.js';
import { tempDirs } from '../support/temp-dirs.js';
import { stepContext, waitCreated, worldOf } from '../support/world-context.js';

const LATER = loadScenario(resolve(import.meta.dirname, '../../fixtures/later-broker'));
const NEW = LATER.initial.cf.nextInstanceGuids[0]!;
const placement = LATER.initial.placements[0]!;
const OLD = 'a7d3c9e1-5b2f-4e8a-9c6d-0f1e2d3c4b5a';
const newDir = tempDirs('find-instance-');
const actions = actionRegistry();
const findInstance = actions.get('logs.find-instance')!;
const findDeleted = actions.get('logs.find-deleted')!;

/** The platform with only these syslog files to search (not the world's own lines of the create). */
function withLogs(platform: Platform, paths: string[]): Platform {
  return { ...platform, openLogs: (spec) => openLogSource({ ...spec, paths }) };
}

async function created(nodes = 1) {
  const w = await worldOf(LATER, newDir(), 'initech', 'billing');
  await w.cf('create-service', 'dingo-postgresql', 'solo', 'ledger-db', '-c', JSON.stringify({ 'node-count': nodes }));
  expect(await waitCreated(w.cf, 'ledger-db')).toBe('create succeeded');
  return { ...w, blind: withLogs(w.platform, LATER.syslogPaths) };
}

describe('the new container, when the logs do not name it', () => {
  it('is found on the Dingo cells by its PATRONI_SCOPE, its archive read from its environment', async () => {
    const { blind } = await created();
    const notes: string[] = [];
    const out = await findInstance.run(stepContext(blind, notes), { instanceGuid: NEW, attempts: 3 }, {});
    expect(out).toEqual({
      nodeUuid: placement.nodeUuid,
      container: `cf-${placement.nodeUuid}`,
      cellIp: placement.cellIp,
      archiveUrl: `s3://initech-dingo-wal/backups/${NEW}/wal/`,
    });
    expect(notes).toContain(
      `the logs do not name its container; on the Dingo cells (10.58.112.150, 10.58.112.152, 10.58.112.151, 10.58.112.153), docker shows cf-${placement.nodeUuid} on ${placement.cellIp} (running) with PATRONI_SCOPE=${NEW}`,
    );
    expect(notes).toContain(
      `no wal-e upload line of ${NEW} in the logs yet; its container's environment says it archives to s3://initech-dingo-wal/backups/${NEW}/wal/`,
    );
  });

  it('takes the archive from --wal-bucket when it is given', async () => {
    const { blind } = await created();
    const notes: string[] = [];
    const out = await findInstance.run(
      stepContext(blind, notes, { walBucket: 'initech-dingo-wal' }),
      { instanceGuid: NEW, attempts: 1 },
      {},
    );
    expect(out.archiveUrl).toBe(`s3://initech-dingo-wal/backups/${NEW}/wal/`);
    expect(notes.some((n) => n.endsWith("Dingo's prefix in the platform's WAL bucket (--wal-bucket)"))).toBe(true);
  });

  it('stops, naming the cells asked, when neither the logs nor the cells show it', async () => {
    const w = await worldOf(LATER, newDir(), 'initech', 'billing');
    const err = (await findInstance
      .run(stepContext(withLogs(w.platform, LATER.syslogPaths), []), { instanceGuid: NEW, attempts: 2 }, {})
      .catch((e: unknown) => e)) as Error & { hint: string };
    expect(err.message).toBe(
      `neither the logs nor the Dingo cells (10.58.112.150, 10.58.112.152, 10.58.112.151, 10.58.112.153) show a container of instance ${NEW}`,
    );
    expect(err.hint).toMatch(/pass the cell's logs with --logs/);
  });
});

describe('a deleted instance whose wal-e lines are gone from the logs', () => {
  it("has no archive without --wal-bucket, and Dingo's prefix in the WAL bucket with it", async () => {
    const dir = newDir();
    const syslog = join(dir, 'syslog');
    const lines = readFileSync(LATER.syslogPaths[0]!, 'utf8').split('\n');
    writeFileSync(syslog, lines.filter((l) => !l.includes('s3://')).join('\n'));
    const { platform, world } = await worldOf(LATER, dir, 'initech', 'billing');
    const blind = withLogs(platform, [syslog]);
    const params = { serviceName: 'ledger-db', org: 'initech', space: 'billing', spaceGuid: world.state.cf.orgs[0]!.spaces[0]!.guid };
    await expect(findDeleted.run(stepContext(blind, []), params, {})).rejects.toThrow(
      `instance ${OLD} has no wal-e upload lines in the logs: there may be no backup for it`,
    );
    const notes: string[] = [];
    const out = await findDeleted.run(stepContext(blind, notes, { walBucket: 'initech-dingo-wal' }), params, {});
    expect(out).toMatchObject({ instanceGuid: OLD, archiveUrl: `s3://initech-dingo-wal/backups/${OLD}/wal/` });
    expect(notes).toContain(
      `no wal-e upload line of ${OLD} in the logs; Dingo archives it at s3://initech-dingo-wal/backups/${OLD}/wal/ (--wal-bucket), which the next steps prove restorable`,
    );
  });
});

describe("a deleted instance whose container's lines name a second archive (a tenant's statement, or a WAL bucket changed)", () => {
  it("takes neither: stops naming both without --wal-bucket, and takes Dingo's prefix in the WAL bucket with it", async () => {
    const dir = newDir();
    const syslog = join(dir, 'syslog');
    const lines = readFileSync(LATER.syslogPaths[0]!, 'utf8').split('\n');
    const genuine = lines.find((l) => l.includes(`DETAIL: Uploading`) && l.includes(`/backups/${OLD}/wal/`))!;
    // The same container and prefix: what the tenant's PostgreSQL logs reaches syslog after it.
    const forged = genuine.replace('s3://initech-dingo-wal/', 's3://tenant-owned-bucket/');
    writeFileSync(syslog, [forged, ...lines].join('\n'));
    const { platform, world } = await worldOf(LATER, dir, 'initech', 'billing');
    const logs = withLogs(platform, [syslog]);
    const params = { serviceName: 'ledger-db', org: 'initech', space: 'billing', spaceGuid: world.state.cf.orgs[0]!.spaces[0]!.guid };
    const err = (await findDeleted.run(stepContext(logs, []), params, {}).catch((e: unknown) => e)) as Error & { hint: string };
    expect(err.message).toBe(
      `the wal-e lines of instance ${OLD} name 2 archives: s3://tenant-owned-bucket/backups/${OLD}/wal/, s3://initech-dingo-wal/backups/${OLD}/wal/`,
    );
    expect(err.hint).toMatch(/--wal-bucket \(WAL_S3_BUCKET of its Dingo containers/);
    const notes: string[] = [];
    const out = await findDeleted.run(stepContext(logs, notes, { walBucket: 'initech-dingo-wal' }), params, {});
    expect(out).toMatchObject({ instanceGuid: OLD, archiveUrl: `s3://initech-dingo-wal/backups/${OLD}/wal/` });
    expect(notes).toContain(
      `the wal-e lines of ${OLD} name 2 archives (s3://tenant-owned-bucket/backups/${OLD}/wal/, s3://initech-dingo-wal/backups/${OLD}/wal/); Dingo archives it at s3://initech-dingo-wal/backups/${OLD}/wal/ in the platform's WAL bucket (--wal-bucket), which the next steps prove`,
    );
  });
});
