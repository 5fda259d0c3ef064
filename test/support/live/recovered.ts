/**
 * What a live recovery (./platform.ts) must leave behind, checked on every system: S3, etcd,
 * the cell's filesystem and docker, cf; and that no secret reached the run folder or the output.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ROOT, runCli } from '../cli.js';
import { actionRegistry } from '../../../src/actions/index.js';
import type { ObjectStore } from '../../../src/core/seams.js';
import { loadRunbook } from '../../../src/engine/runbook/index.js';
import type { NewInstance } from './case-instances.js';
import { STORE_ROOT, type LiveCase, type LiveServers } from './platform.js';
import {
  BUCKET,
  OTHER_TENANT_ARCHIVE,
  OTHER_TENANT_PREFIX,
  archivePrefix,
  etagOf,
  newArchive,
  type ArchiveObjects,
  type OldInstance,
} from './shared.js';

export { NEW_SYSID } from './case-instances.js';

/** Every step of the bundled runbook, in order (those its use steps inline included). */
export const STEPS = loadRunbook(join(ROOT, 'runbooks/recover-deleted-service.yaml'), actionRegistry()).steps.map((s) => s.id);

/** Each step of a done recovery with its status: all finished, but the growth when the deleted instance ran one node. */
export function doneStatuses(old: OldInstance): [string, string][] {
  const growth = new Set(['grow-service', 'verify-replicas']);
  return STEPS.map((id) => [id, growth.has(id) && old.nodes === 1 ? 'skipped' : 'finished']);
}

/** `dingo-recover show RUN --json` in the case: the run's transcript, as the caller's type reads it. */
export async function transcriptOf<T>(c: LiveCase, runId: string): Promise<T> {
  const show = await runCli(['show', runId, '--json', '--state-dir', c.stateDir], { env: c.env });
  expect(show.code, show.stderr).toBe(0);
  return JSON.parse(show.stdout) as T;
}

/** The run's transcript, once `dingo-recover runs --json` lists it as the case's only run, done and live. */
export async function doneTranscript<T>(c: LiveCase, runId: string): Promise<T> {
  const runs = await runCli(['runs', '--json', '--state-dir', c.stateDir], { env: c.env });
  expect(runs.code, runs.stderr).toBe(0);
  expect(JSON.parse(runs.stdout).runs).toEqual([expect.objectContaining({ runId, status: 'done', mode: 'live' })]);
  return transcriptOf<T>(c, runId);
}

/** relative key → "size etag" of everything under a prefix (of BUCKET unless `bucket` is given). */
export async function listing(s3: ObjectStore, prefix: string, bucket = BUCKET): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const o of s3.list(bucket, prefix)) out[o.key.slice(prefix.length)] = `${o.size} ${o.etag}`;
  return out;
}

/** What a listing of `objects` must be: sizes and single-part ETags of the bodies. */
export function expected(objects: ArchiveObjects): Record<string, string> {
  return Object.fromEntries(objects.map(([rel, body]) => [rel, `${Buffer.byteLength(body)} ${etagOf(body)}`]));
}

export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

/** The new instance cf holds under `name`: the one the run recreated that deleted instance as. */
export async function newInstanceNamed(c: LiveCase, name: string): Promise<NewInstance> {
  const cf = await c.readCf();
  const found = cf.instances.filter((i) => i.name === name);
  expect(
    found.map((i) => i.name),
    `cf instances named ${name}`,
  ).toEqual([name]);
  const made = c.instances.find((i) => i.guid === found[0]!.guid);
  if (!made) throw new Error(`cf's ${name} (${found[0]!.guid}) is not one of the instances the case's broker creates`);
  return made;
}

/** S3: the new prefix holds exactly the old archive; the new instance's own objects quarantined, not deleted. */
async function assertArchiveSwapped(s: LiveServers, old: OldInstance, made: NewInstance): Promise<void> {
  const oldNow = await listing(s.s3, archivePrefix(old.guid));
  expect(oldNow, `${old.name}'s archive`).toEqual(expected(old.archive));
  expect(await listing(s.s3, archivePrefix(made.guid)), `${made.guid}'s archive`).toEqual(oldNow);
  const underNew = Object.keys(await listing(s.s3, `backups/${made.guid}/`));
  const quarantines = [...new Set(underNew.filter((k) => !k.startsWith('wal/')).map((k) => k.split('/')[0]!))];
  expect(quarantines).toHaveLength(1);
  expect(quarantines[0]).toMatch(/^wal\.quarantine-\d{8}T\d{6}Z$/);
  expect(await listing(s.s3, `backups/${made.guid}/${quarantines[0]!}/`)).toEqual(expected(newArchive(made.guid, made.sysid)));
}

/** etcd: the new instance's /initialize holds the restored system identifier, its leader optime is gone, nothing else. */
async function assertEtcdReset(c: LiveCase, old: OldInstance, made: NewInstance): Promise<void> {
  expect(await c.etcdGet(`/service/${made.guid}/initialize`)).toBe(old.sysid);
  expect(await c.etcdGet(`/service/${made.guid}/optime/leader`)).toBeNull();
  expect(await c.etcdGet(`/service/${made.guid}/leader`)).toBe(made.nodeUuid);
  expect(await c.etcdGet(`/service/${made.guid}/members/${made.nodeUuid}`)).toContain('"role":"master"');
}

/** The cell's filesystem: the original data moved aside (not deleted) next to /data, which holds the restore. */
function assertDataFlushed(old: OldInstance, made: NewInstance): void {
  const asides = readdirSync(join(STORE_ROOT, made.container)).filter((d) => d !== 'data');
  expect(asides).toHaveLength(1);
  expect(asides[0]).toMatch(/^data\.moved-aside-\d{8}T\d{6}Z$/);
  const aside = join(STORE_ROOT, made.container, asides[0]!);
  expect(readdirSync(aside).sort()).toEqual(['postgres0', 'wal-e']);
  expect(readFileSync(join(aside, 'postgres0', 'SYSID'), 'utf8')).toBe(`${made.sysid}\n`);
  expect(readFileSync(join(aside, 'postgres0', 'PG_VERSION'), 'utf8')).toBe('9.5\n');
  expect(readdirSync(made.dataDir)).toEqual(['postgres0']);
  expect(readFileSync(join(made.dataDir, 'postgres0', 'SYSID'), 'utf8')).toBe(`${old.sysid}\n`);
}

/** What the cell's history says of this instance: the entries naming its container or its GUID. */
export function historyOf(c: LiveCase, made: NewInstance): string[] {
  return c.readCell().history.filter((h) => h.includes(made.container) || h.includes(made.guid));
}

/**
 * The container: stopped once, started on the empty /data with etcd reset, restored THIS old
 * instance's archive, left recovery, its roles have the new instance's passwords; grown back to
 * the old plan's nodes, each cloned from the restored archive and streaming.
 */
function assertContainerRestored(c: LiveCase, old: OldInstance, made: NewInstance): void {
  const cell = c.readCell();
  const ct = cell.containers[made.container]!;
  expect(ct.running).toBe(true);
  expect(cell.serving[made.container]).toBe(old.sysid);
  expect(ct.pg.inRecovery).toBe(false);
  expect(ct.pg.roles).toEqual(made.passwords);
  expect(ct.pg.replicas?.map((r) => r.state) ?? []).toEqual(Array<string>(old.nodes - 1).fill('streaming'));
  const grown = [...Array(old.nodes - 1).keys()].map(() =>
    expect.stringMatching(new RegExp(`^broker added cf-\\S+ to ${made.guid}: cloned sysid ${old.sysid}, streams$`)),
  );
  expect(historyOf(c, made)).toEqual([
    `broker created ${made.container} for ${made.guid}`,
    `stopped ${made.container}`,
    `started ${made.container} on an empty /data: restores the archive of sysid ${old.sysid}`,
    ...grown,
  ]);
  const replicas = Object.entries(cell.serving).filter(([name, sysid]) => name !== made.container && sysid === old.sysid);
  expect(replicas).toHaveLength(old.nodes - 1);
}

/** cf: recreated once under the old name, as solo, then (a cluster) grown to the old plan's nodes. */
async function assertServiceRecreated(c: LiveCase, old: OldInstance, made: NewInstance): Promise<void> {
  const instance = (await c.readCf()).instances.find((i) => i.guid === made.guid)!;
  const grown = old.nodes > 1;
  expect([instance.name, instance.plan, instance.lastOperation.type, instance.lastOperation.state]).toEqual([
    old.name,
    'solo',
    grown ? 'update' : 'create',
    'succeeded',
  ]);
  if (grown) expect(instance.parameters).toEqual({ 'node-count': old.nodes });
}

/**
 * The final state the recovery of deleted instance `old` into new instance `made` must leave on
 * S3, etcd, the cell's filesystem and docker, and cf (apps aside: see assertRecovered).
 */
export async function assertInstanceRecovered(s: LiveServers, c: LiveCase, old: OldInstance, made: NewInstance): Promise<void> {
  await assertArchiveSwapped(s, old, made);
  await assertEtcdReset(c, old, made);
  assertDataFlushed(old, made);
  assertContainerRestored(c, old, made);
  await assertServiceRecreated(c, old, made);
}

export interface AppExpectations {
  /** App → the names of the instances it must be bound to, started and restarted (default their-app → important-db). */
  bound?: Record<string, string[]>;
  /** Apps the run must leave alone: no binding, not restarted (default reporting-cron). */
  untouched?: string[];
}

/** cf: each app bound to exactly its recovered instances and restarted (once per instance at most); the others untouched. */
async function assertApps(c: LiveCase, apps: AppExpectations): Promise<void> {
  const cf = await c.readCf();
  const all = cf.orgs.flatMap((o) => o.spaces.flatMap((sp) => sp.apps));
  const guidOf = (name: string): string => cf.instances.find((i) => i.name === name)!.guid;
  for (const [app, names] of Object.entries(apps.bound ?? { 'their-app': ['important-db'] })) {
    const a = all.find((x) => x.name === app)!;
    expect([...a.boundServiceGuids].sort(), app).toEqual(names.map(guidOf).sort());
    expect(a.state, app).toBe('started');
    expect(a.restarts, app).toBeGreaterThanOrEqual(1);
    expect(a.restarts, app).toBeLessThanOrEqual(names.length);
  }
  for (const app of apps.untouched ?? ['reporting-cron']) {
    const a = all.find((x) => x.name === app)!;
    expect(a, app).toMatchObject({ boundServiceGuids: [], state: 'stopped' });
    expect(a.restarts, app).toBeUndefined();
  }
}

/**
 * The final state a live recovery must leave on every system, however many processes it took:
 * each of the case's deleted instances recovered into the new instance cf holds under its name
 * (assertInstanceRecovered), no other instance in cf, nothing else done on the cell, another
 * tenant's archive untouched, and the apps as `apps` says.
 */
export async function assertRecovered(s: LiveServers, c: LiveCase, apps: AppExpectations = {}): Promise<void> {
  const made: NewInstance[] = [];
  for (const old of c.deleted) {
    const m = await newInstanceNamed(c, old.name);
    made.push(m);
    await assertInstanceRecovered(s, c, old, m);
  }
  expect((await c.readCf()).instances.map((i) => i.guid).sort()).toEqual(made.map((m) => m.guid).sort());
  expect(c.readCell().history).toHaveLength(made.reduce((n, m) => n + historyOf(c, m).length, 0));
  expect(await listing(s.s3, OTHER_TENANT_PREFIX)).toEqual(expected(OTHER_TENANT_ARCHIVE));
  await assertApps(c, apps);
}

/** Every secret the case's platform and operator hold, as one list: AWS keys, passwords, SSH key lines, the Elasticsearch API key. */
export function everySecret(c: LiveCase): string[] {
  const s = c.secrets;
  return [
    s.containerAwsKeyId,
    s.containerAwsSecret,
    s.operatorAwsSecret,
    ...s.passwords,
    ...s.privateKeyLines,
    ...(s.esApiKey ? [s.esApiKey] : []),
    ...(s.others ?? []),
  ];
}

/**
 * No secret of the platform or the operator (every instance's passwords included) in any file of
 * the runs' folders, nor in the output; and the credentials did reach what one of them journaled
 * (the broker's log line shown as evidence), redacted.
 */
export function assertNoSecrets(c: LiveCase, runIds: string | string[], output: string): void {
  const journals = assertSecretsAbsent(c, runIds, output);
  // The journal cuts an evidence line at 300 characters: where the line's source name is long
  // (an Elasticsearch document's raw syslog line), the secret key's redaction falls past the cut.
  const redacted = `'AWS_ACCESS_KEY_ID=[REDACTED]'`;
  expect(
    journals.some((j) => j.includes(redacted)),
    `a journal holds ${redacted}`,
  ).toBe(true);
}

/**
 * No secret of the platform or the operator in any file of the runs' folders, nor in the output:
 * for a run that journals no broker line, whose caller shows otherwise that the secrets were used.
 * The runs' journals, for more checks.
 */
export function assertSecretsAbsent(c: LiveCase, runIds: string | string[], output: string): string[] {
  const all = everySecret(c);
  // Whole, or cut short by a summary that truncated before redacting.
  const needles = [...all, ...all.map((x) => x.slice(0, 14))];
  const journals: string[] = [];
  for (const runId of [runIds].flat()) {
    const runDir = join(c.stateDir, 'runs', runId);
    const files = filesUnder(runDir);
    expect(files.map((f) => f.slice(runDir.length + 1))).toContain('journal.ndjson');
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const secret of needles) expect(text.includes(secret), `${f} holds ${secret}`).toBe(false);
    }
    journals.push(readFileSync(join(runDir, 'journal.ndjson'), 'utf8'));
  }
  for (const secret of needles) expect(output.includes(secret), `the output holds ${secret}`).toBe(false);
  return journals;
}
