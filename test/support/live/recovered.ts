/**
 * What a live recovery (./platform.ts) must leave behind, checked on every system: S3, etcd,
 * the cell's filesystem and docker, cf; and that no secret reached the run folder or the output.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ROOT } from '../cli.js';
import type { ObjectStore } from '../../../src/core/seams.js';
import { STORE_ROOT, type LiveCase, type LiveServers } from './platform.js';
import {
  BUCKET,
  OLD_GUID,
  OLD_SYSID,
  OTHER_TENANT_ARCHIVE,
  OTHER_TENANT_PREFIX,
  archivePrefix,
  etagOf,
  newArchive,
  oldArchive,
} from './shared.js';

/** The system identifier of the database the broker's new instance bootstraps. */
export const NEW_SYSID = '6263019934712345126';

/** Every step of the bundled runbook, in order. */
export const STEPS = (
  parseYaml(readFileSync(join(ROOT, 'runbooks/recover-deleted-service.yaml'), 'utf8')) as { steps: { id: string }[] }
).steps.map((s) => s.id);

/** relative key → "size etag" of everything under a prefix. */
export async function listing(s3: ObjectStore, prefix: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const o of s3.list(BUCKET, prefix)) out[o.key.slice(prefix.length)] = `${o.size} ${o.etag}`;
  return out;
}

/** What a listing of `objects` must be: sizes and single-part ETags of the bodies. */
export function expected(objects: [string, string][]): Record<string, string> {
  return Object.fromEntries(objects.map(([rel, body]) => [rel, `${Buffer.byteLength(body)} ${etagOf(body)}`]));
}

export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

/** The final state a live recovery must leave on every system, however many processes it took. */
export async function assertRecovered(s: LiveServers, c: LiveCase): Promise<void> {
  // S3: the new prefix holds exactly the old archive; the old one and another tenant's are untouched.
  const oldNow = await listing(s.s3, archivePrefix(OLD_GUID));
  expect(oldNow).toEqual(expected(oldArchive()));
  expect(await listing(s.s3, archivePrefix(c.newGuid))).toEqual(oldNow);
  expect(await listing(s.s3, OTHER_TENANT_PREFIX)).toEqual(expected(OTHER_TENANT_ARCHIVE));
  // The new instance's own objects were moved aside to one dated quarantine prefix, not deleted.
  const underNew = Object.keys(await listing(s.s3, `backups/${c.newGuid}/`));
  const quarantines = [...new Set(underNew.filter((k) => !k.startsWith('wal/')).map((k) => k.split('/')[0]!))];
  expect(quarantines).toHaveLength(1);
  expect(quarantines[0]).toMatch(/^wal\.quarantine-\d{8}T\d{6}Z$/);
  expect(await listing(s.s3, `backups/${c.newGuid}/${quarantines[0]}/`)).toEqual(expected(newArchive(c.newGuid, NEW_SYSID)));

  // etcd: the new instance's cached system identifier and leader optime are gone, nothing else.
  expect(await c.etcdGet(`/service/${c.newGuid}/initialize`)).toBeNull();
  expect(await c.etcdGet(`/service/${c.newGuid}/optime/leader`)).toBeNull();
  expect(await c.etcdGet(`/service/${c.newGuid}/leader`)).toBe(c.nodeUuid);
  expect(await c.etcdGet(`/service/${c.newGuid}/members/${c.nodeUuid}`)).toContain('"role":"master"');

  // The cell's filesystem: the container's original data moved aside (not deleted) next to /data,
  // and /data now holds what the restore wrote.
  const asides = readdirSync(join(STORE_ROOT, c.container)).filter((d) => d !== 'data');
  expect(asides).toHaveLength(1);
  expect(asides[0]).toMatch(/^data\.moved-aside-\d{8}T\d{6}Z$/);
  const aside = join(STORE_ROOT, c.container, asides[0]!);
  expect(readdirSync(aside).sort()).toEqual(['postgres0', 'wal-e']);
  expect(readFileSync(join(aside, 'postgres0', 'SYSID'), 'utf8')).toBe(`${NEW_SYSID}\n`);
  expect(readFileSync(join(aside, 'postgres0', 'PG_VERSION'), 'utf8')).toBe('9.5\n');
  expect(readdirSync(c.dataDir)).toEqual(['postgres0']);
  expect(readFileSync(join(c.dataDir, 'postgres0', 'SYSID'), 'utf8')).toBe(`${OLD_SYSID}\n`);

  // The container: stopped once, started on the empty /data with etcd reset, restored the OLD
  // archive, left recovery, and its roles now have the new instance's passwords.
  const cell = c.readCell();
  const ct = cell.containers[c.container]!;
  expect(ct.running).toBe(true);
  expect(cell.serving[c.container]).toBe(OLD_SYSID);
  // Grown to the cluster plan's two nodes: a replica cloned from the restored archive streams from it.
  expect(ct.pg.replicas?.map((r) => r.state)).toEqual(['streaming']);
  expect(Object.entries(cell.serving).filter(([name, sysid]) => name !== c.container && sysid === OLD_SYSID)).toHaveLength(1);
  expect(ct.pg.inRecovery).toBe(false);
  expect(ct.pg.roles).toEqual(c.newPasswords);
  expect(cell.history).toEqual([
    `broker created ${c.container} for ${c.newGuid}`,
    `stopped ${c.container}`,
    `started ${c.container} on an empty /data: restores the archive of sysid ${OLD_SYSID}`,
    expect.stringMatching(new RegExp(`^broker added cf-\\S+ to ${c.newGuid}: cloned sysid ${OLD_SYSID}, streams$`)),
  ]);

  // cf: the service recreated once, as solo, then grown to two nodes; the app bound to it and restarted; the other app untouched.
  const cf = await c.readCf();
  expect(cf.instances.map((i) => [i.guid, i.name, i.plan, i.lastOperation.type, i.lastOperation.state])).toEqual([
    [c.newGuid, 'important-db', 'solo', 'update', 'succeeded'],
  ]);
  expect(cf.instances[0]!.parameters).toEqual({ 'node-count': 2 });
  const apps = cf.orgs.find((o) => o.name === 'acme')!.spaces.find((sp) => sp.name === 'important-space-and-all-databases')!.apps;
  expect(apps.find((a) => a.name === 'their-app')).toMatchObject({ boundServiceGuids: [c.newGuid], restarts: 1, state: 'started' });
  expect(apps.find((a) => a.name === 'reporting-cron')).toMatchObject({ boundServiceGuids: [], state: 'stopped' });
  expect(apps.find((a) => a.name === 'reporting-cron')!.restarts).toBeUndefined();
}

/** No secret of the platform or the operator in any file of the run folder, nor in the output. */
export function assertNoSecrets(c: LiveCase, runId: string, output: string): void {
  const runDir = join(c.stateDir, 'runs', runId);
  const files = filesUnder(runDir);
  expect(files.map((f) => f.slice(runDir.length + 1))).toContain('journal.ndjson');
  const all = [
    c.secrets.containerAwsKeyId,
    c.secrets.containerAwsSecret,
    c.secrets.operatorAwsSecret,
    ...c.secrets.passwords,
    ...c.secrets.privateKeyLines,
    ...(c.secrets.esApiKey ? [c.secrets.esApiKey] : []),
  ];
  // Whole, or cut short by a summary that truncated before redacting.
  const needles = [...all, ...all.map((x) => x.slice(0, 14))];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const secret of needles) expect(text.includes(secret), `${f} holds ${secret}`).toBe(false);
  }
  for (const secret of needles) expect(output.includes(secret), `the output holds ${secret}`).toBe(false);
  // The credentials did reach what is journaled: the broker's log line shown as evidence.
  const journal = readFileSync(join(runDir, 'journal.ndjson'), 'utf8');
  expect(journal).toContain(`'AWS_ACCESS_KEY_ID=[REDACTED]', 'AWS_SECRET_ACCESS_KEY=[REDACTED]'`);
}
