/**
 * `dingo-recover snapshot` against the live end-to-end platform (real sshd, etcd and moto, the fake
 * cf/bosh/docker processes): it changes nothing anywhere, writes no secret, and `rehearse
 * --scenario` of what it wrote finds the same deleted instance and completes the recovery.
 */
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runIdOf, type CliResult } from '../support/cli.js';
import { sshdAvailable } from '../support/sshd.js';
import { etcdAvailable } from '../support/etcd.js';
import { ifStarted } from '../support/started.js';
import { prepareCase, startLiveServers, type LiveCase, type LiveServers } from '../support/live/platform.js';
import { filesUnder } from '../support/live/recovered.js';
import { BUCKET, OLD_GUID, ONE_RUN_MS } from '../support/live/shared.js';

/** Every object of the WAL bucket with its ETag and LastModified: a copy or a put changes one. */
async function bucketState(s: LiveServers): Promise<string[]> {
  const out: string[] = [];
  for await (const o of s.s3.list(BUCKET, '')) out.push(`${o.key} ${o.etag} ${o.lastModified.toISOString()} ${String(o.size)}`);
  return out;
}

/** The whole etcd tree with its indexes: any write moves one. */
async function etcdState(s: LiveServers): Promise<unknown> {
  const res = await fetch(`${s.etcd.url}/v2/keys/?recursive=true`);
  return { index: res.headers.get('x-etcd-index'), body: await res.json() };
}

/** The cf and bosh subcommands that only read: anything else the fake cf or bosh was asked is a write. */
function isRead(argv: string[]): boolean {
  const [, cmd, ...rest] = argv;
  if (cmd === 'curl') return !rest.some((a) => /^-X$|^--request$|^-d$|^--data/.test(a));
  return ['version', '--version', 'target', 'deployments', 'vms', '-d'].includes(cmd ?? '') && (cmd !== 'target' || rest.length === 0);
}

describe.skipIf(!sshdAvailable || !etcdAvailable)('dingo-recover snapshot of the live platform', () => {
  let servers: LiveServers;
  let c: LiveCase;
  let out: string;
  let cliLog: string;
  let snap: CliResult;
  let before: { s3: string[]; etcd: unknown; cell: string; cf: string };
  beforeAll(async () => {
    servers = await startLiveServers();
    c = await prepareCase(servers, 'snapshot');
    const work = mkdtempSync(join(tmpdir(), 'dingo-snapshot-'));
    out = join(work, 'scenario');
    cliLog = join(work, 'cli.ndjson');
    before = {
      s3: await bucketState(servers),
      etcd: await etcdState(servers),
      cell: JSON.stringify(c.readCell()),
      cf: JSON.stringify(await c.readCf()),
    };
    snap = await runCli(['snapshot', '--answers', c.answersFile, ...c.platformArgs, '--deleted-instance', OLD_GUID, '--out', out], {
      env: { ...c.env, FAKE_CLI_LOG: cliLog },
    });
  }, ONE_RUN_MS);
  afterAll(async () => {
    await ifStarted(c)?.cleanup();
    await ifStarted(servers)?.stop();
  });

  it('writes a 0700 scenario folder and says what it holds', () => {
    expect(snap.code, snap.stdout + snap.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o700);
    expect(readdirSync(out).sort()).toEqual(['answers.yaml', 'scenario.yaml', 'syslog']);
    expect(snap.stdout).toContain(`wrote the scenario ${out}`);
    expect(snap.stdout).toContain(OLD_GUID);
    expect(snap.stdout).toMatch(/\d+ log line\(s\) \([\d.]+ [KM]?i?B\)/);
  });

  it('changed nothing: cf, bosh and docker were only read, S3 and etcd are as they were', async () => {
    const calls = readFileSync(cliLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { argv: string[] }).argv);
    expect(calls.length).toBeGreaterThan(3);
    expect(
      calls.filter((argv) => !isRead(argv)),
      JSON.stringify(calls),
    ).toEqual([]);
    expect(await bucketState(servers)).toEqual(before.s3);
    expect(await etcdState(servers)).toEqual(before.etcd);
    expect(JSON.stringify(c.readCell())).toBe(before.cell);
    expect(JSON.stringify(await c.readCf())).toBe(before.cf);
  });

  it('holds no secret of the platform or the operator', () => {
    const canaries = [
      c.secrets.containerAwsKeyId,
      c.secrets.containerAwsSecret,
      c.secrets.operatorAwsSecret,
      ...c.secrets.passwords,
      ...c.secrets.privateKeyLines,
    ];
    for (const f of filesUnder(out)) {
      const text = readFileSync(f, 'utf8');
      for (const secret of canaries) expect(text.includes(secret), `${f} holds ${secret}`).toBe(false);
    }
    for (const secret of canaries) expect(snap.stdout + snap.stderr).not.toContain(secret);
  });

  it(
    'rehearses: the rehearsal finds the same deleted instance and completes every step',
    async () => {
      const stateDir = join(out, '..', 'state');
      const run = await runCli(['rehearse', '--scenario', out, '--yes', '--state-dir', stateDir]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const runId = runIdOf(run.stdout);
      expect(run.stdout).toContain(`run ${runId} is done`);
      const show = await runCli(['show', runId, '--json', '--state-dir', stateDir]);
      const t = JSON.parse(show.stdout) as { status: string; steps: { id: string; outputs: Record<string, unknown> | null }[] };
      expect(t.status).toBe('done');
      expect(t.steps.find((s) => s.id === 'find-deleted-instance')!.outputs).toMatchObject({
        instanceGuid: OLD_GUID,
        archiveUrl: `s3://${BUCKET}/backups/${OLD_GUID}/wal/`,
      });
    },
    ONE_RUN_MS,
  );
});
