/**
 * `drill --all` as cron runs it: the real command line (no terminal, no stdin) against moto holding
 * two Dingo archives of one real PostgreSQL 15 archive, one of them broken by a WAL segment gone
 * after its base backup; the broker's clusterdata bucket naming one instance; a chat webhook on
 * loopback; the lock and the drill history in a state folder of the test's own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRILL_EXIT } from '../../src/drill/exit-codes.js';
import { processStart } from '../../src/core/process-start.js';
import { startChatWebhooks, type ChatWebhooks } from '../support/chat-webhooks.js';
import { runCli } from '../support/cli.js';
import { setUpDrill, tearDownDrill, type DrillFixtures } from '../support/drill-fixtures.js';
import { uploadArchive } from '../support/wale-archive.js';

const BUCKET = 'drill-all';
const CLUSTERDATA = 'drill-all-clusterdata';
const SECRET = 'drill-all-secret-Qm81';
const RECORD_PASSWORD = 'clusterdata-password-Zt55';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIADRILLALL0001', AWS_SECRET_ACCESS_KEY: SECRET };
const [A, C] = ['1a0c3f2e-1111-4aaa-8aaa-000000000001', '3c0c3f2e-3333-4ccc-8ccc-000000000003'];
const SET_ASIDE = `backups/${A}/wal.quarantine-20260317T180520Z/`;
const prefix = (guid: string) => `backups/${guid}/wal/`;

let fixtures: Partial<DrillFixtures> = {};
let hooks: ChatWebhooks | undefined;
let stateDir = '';
/** The segment removed from C: the first after its base backup's stop, with more archived after it. */
let removed = '';

beforeAll(async () => {
  hooks = await startChatWebhooks();
  fixtures = await setUpDrill({
    scratch: 'drill-all-',
    bucket: BUCKET,
    archive: { rowsBefore: 20, rowsAfter: 10, partitions: 1, extraWalSwitches: 2 },
    env: CREDENTIALS,
  });
  const { moto, archive } = fixtures as DrillFixtures;
  for (const guid of [A, C]) await uploadArchive(moto.store, archive.root, BUCKET, prefix(guid));
  removed = archive.segments[archive.segments.indexOf(archive.stopSegment) + 1]!;
  expect(archive.segments.at(-1)).not.toBe(removed);
  await moto.store.deleteMany(BUCKET, [`${prefix(C)}wal_005/${removed}.lzo`]);
  // A folder archive swap set aside is no archive in service.
  await uploadArchive(moto.store, archive.root, BUCKET, SET_ASIDE);
  await moto.createBucket(CLUSTERDATA);
  const record = {
    instance_id: A,
    service_instance_name: 'orders-db',
    superuser_credentials: { username: 'pgadmin', password: RECORD_PASSWORD },
  };
  await moto.store.put({ bucket: CLUSTERDATA, key: `dingo-postgresql-clusterdata-backup-${A}.json` }, JSON.stringify(record));
  stateDir = join(fixtures.dir!, 'state');
});
afterAll(async () => {
  await hooks?.stop();
  await tearDownDrill(fixtures);
});

async function drillAll(extra: string[]) {
  const r = await runCli(
    [
      'drill',
      '--all',
      `s3://${BUCKET}/backups/`,
      '--s3-endpoint',
      fixtures.moto!.endpoint,
      '--s3-path-style',
      '--deadline',
      '2m',
      ...extra,
    ],
    { env: { ...CREDENTIALS, DINGO_RECOVER_STATE_DIR: stateDir } },
  );
  expect(r.stdout + r.stderr).not.toContain(SECRET);
  expect(r.stdout + r.stderr).not.toContain(RECORD_PASSWORD);
  return r;
}

const posts = () => hooks!.accepted.splice(0);
const lockFile = () => join(stateDir, 'drill-all.lock');

interface JsonRun {
  ok: boolean;
  exitCode: number;
  found: number;
  setAside: string[];
  archives: {
    archive: string;
    instance: string;
    name: string | null;
    result: string;
    drilled: boolean;
    exitCode: number;
    wal: { summary: string; lost: unknown } | null;
    backup: { name: string } | null;
  }[];
}

describe('drill --all', () => {
  it('drills each archive in turn: a table of them, the worst exit code, the chat told of the broken one', async () => {
    posts();
    const r = await drillAll(['--clusterdata', `s3://${CLUSTERDATA}`, '--notify', `${hooks!.base}/generic`]);
    expect(r.code, r.stderr).toBe(DRILL_EXIT.notRestorable);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^drill --all of s3:\/\/drill-all\/backups\/: 2 of 2 archive\(s\) drilled, 1 failed, in /);
    expect(lines[1]).toMatch(/^ {2}PREFIX +INSTANCE +BACKUP AGE +WAL CHAIN +RESULT +TOOK$/);
    expect(lines[2]).toMatch(
      new RegExp(`^  ${prefix(A)} +orders-db +\\S+(?: s)? +complete: \\d+ segment\\(s\\), to \\w{24} +passed +\\S+ s$`),
    );
    expect(lines[3]).toMatch(new RegExp(`^  ${prefix(C)} +- +\\S+(?: s)? +broken after \\w{24}: ${removed} missing, .* +not restorable +`));
    expect(lines[4]).toMatch(new RegExp(`^${prefix(C)}: not restorable: .*${removed} is missing`));
    expect(r.stdout).toContain(`set aside by archive swap, not drilled: s3://${BUCKET}/${SET_ASIDE}`);
    const [sent, ...more] = posts();
    expect(more).toEqual([]);
    expect(sent!.body).toMatchObject({
      event: 'drill.failed',
      status: 'failed',
      exitCode: 4,
      archives: 2,
      passed: 1,
      failed: 1,
      notDrilled: 0,
    });
    expect(sent!.body.message).toContain(`s3://${BUCKET}/${prefix(C)}: not restorable: `);
    expect(sent!.body.message).not.toContain(prefix(A));
  });

  it('--json: one document, the worst result first in order (not restorable over too old)', async () => {
    const r = await drillAll(['--json', '--max-age', '1s']);
    expect(r.code, r.stderr).toBe(DRILL_EXIT.notRestorable);
    const doc = JSON.parse(r.stdout) as JsonRun;
    expect(doc).toMatchObject({ ok: false, exitCode: 4, found: 2, setAside: [`s3://${BUCKET}/${SET_ASIDE}`] });
    expect(doc.archives.map((a) => [a.archive, a.instance, a.result, a.exitCode])).toEqual([
      [`s3://${BUCKET}/${prefix(A)}`, A, 'too-old', 5],
      [`s3://${BUCKET}/${prefix(C)}`, C, 'not-restorable', 4],
    ]);
    expect(doc.archives[1]!.wal!.lost).toMatchObject({ from: removed });
    expect(doc.archives[0]!.backup!.name).toBe(fixtures.archive!.latest);
  });

  it('--sample N drills those drilled longest ago, and tells the chat nothing when they pass', async () => {
    posts();
    const history = JSON.parse(readFileSync(join(stateDir, 'drill-history.json'), 'utf8')) as Record<string, { at: string }>;
    expect(Object.keys(history).sort()).toEqual([A, C].map((g) => `s3://${BUCKET}/${prefix(g)}`));
    const quiet = await drillAll(['--sample', '1', '--quiet', '--notify', `${hooks!.base}/generic`]);
    expect(quiet).toMatchObject({ code: DRILL_EXIT.ok, stdout: '', stderr: '' });
    expect(posts()).toEqual([]);
    // A was drilled just now: C is the one drilled longest ago.
    const next = JSON.parse((await drillAll(['--sample', '1', '--json', '--max-age', '1s'])).stdout) as JsonRun;
    expect(next.archives.map((a) => a.instance)).toEqual([C]);
  });

  it('refuses to run while another holds the lock, naming it (exit 75)', async () => {
    const holder = {
      host: hostname(),
      pid: process.pid,
      by: 'cron',
      startedAt: '2026-03-17T18:05:20.000Z',
      processStart: processStart(process.pid),
    };
    writeFileSync(lockFile(), JSON.stringify(holder));
    try {
      const r = await drillAll([]);
      expect(r.code).toBe(DRILL_EXIT.locked);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(
        `another drill --all is running: pid ${process.pid} on ${hostname()} (cron), since 2026-03-17T18:05:20.000Z`,
      );
    } finally {
      rmSync(lockFile(), { force: true });
    }
  });

  it('a lock taken by another at the same moment each time is refused without a --steal-lock drill --all does not have (exit 75)', async () => {
    // A link to nowhere in the lock's place: creating it finds it there, reading it finds nothing, every try.
    symlinkSync(join(stateDir, 'nowhere'), lockFile());
    try {
      const r = await drillAll([]);
      expect(r.code).toBe(DRILL_EXIT.locked);
      expect(r.stderr).toContain(`could not take the lock ${lockFile()}: another drill --all took it at the same moment`);
      expect(r.stderr).not.toContain('--steal-lock');
    } finally {
      rmSync(lockFile(), { force: true });
    }
  });

  it('takes over a lock whose process ended, and a spent budget leaves the archives not drilled (exit 9)', async () => {
    const ended = spawnSync('true').pid;
    writeFileSync(lockFile(), JSON.stringify({ host: hostname(), pid: ended, by: 'cron', startedAt: '2026-03-17T18:05:20.000Z' }));
    const r = await drillAll(['--budget', '1ms']);
    expect(r.code, r.stderr).toBe(DRILL_EXIT.budgetSpent);
    expect(r.stderr).toMatch(
      new RegExp(`note: took over the lock \\S+ of pid ${ended} \\(cron, since 2026-03-17T18:05:20.000Z\\), whose process ended`),
    );
    for (const guid of [A, C]) expect(r.stdout).toMatch(new RegExp(`^  ${prefix(guid)} .* not drilled: budget spent +-$`, 'm'));
    expect(existsSync(lockFile())).toBe(false);
    expect(readdirSync(stateDir).filter((f) => f.startsWith('drill-all.lock.taken-over-'))).toHaveLength(1);
  });
});
