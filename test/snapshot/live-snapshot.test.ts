/**
 * `dingo-recover snapshot` against the live end-to-end platform (real sshd, etcd and moto, the fake
 * cf/bosh/docker processes): it changes nothing anywhere, writes no secret, and `rehearse
 * --scenario` of what it wrote finds the same deleted instance and completes the recovery.
 */
import { appendFileSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DONE_UNDRILLED, runCli, runIdOf } from '../support/cli.js';
import { sshdAvailable } from '../support/sshd.js';
import { etcdAvailable } from '../support/etcd.js';
import { prepareCase, type LiveCase, type LiveServers } from '../support/live/platform.js';
import { useSnapshot, rehearseScenario } from '../support/live/hooks.js';
import { everySecret, filesUnder } from '../support/live/recovered.js';
import { BUCKET, CELL_HOST, CELL_IP, OLD_GUID, OLD_SYSID, ONE_RUN_MS } from '../support/live/shared.js';
import type { LiveCellWorld } from '../support/live/cell-docker.js';

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

/** Where the fake cf, bosh and docker of a case log what they were asked. */
const cliLogOf = (c: LiveCase): string => join(c.dir, 'cli.ndjson');

describe.skipIf(!sshdAvailable || !etcdAvailable)('dingo-recover snapshot of the live platform', () => {
  let before: { s3: string[]; etcd: unknown; cell: string; cf: string };
  const r = useSnapshot(
    async (servers) => {
      const c = await prepareCase(servers, 'snapshot');
      before = {
        s3: await bucketState(servers),
        etcd: await etcdState(servers),
        cell: JSON.stringify(c.readCell()),
        cf: JSON.stringify(await c.readCf()),
      };
      return c;
    },
    { args: ['--deleted-instance', OLD_GUID], env: (c) => ({ ...c.env, FAKE_CLI_LOG: cliLogOf(c) }) },
  );

  it('writes a 0700 scenario folder and says what it holds', () => {
    expect(r.snap.code, r.snap.stdout + r.snap.stderr).toBe(0);
    expect(statSync(r.out).mode & 0o777).toBe(0o700);
    expect(readdirSync(r.out).sort()).toEqual(['answers.yaml', 'scenario.yaml', 'syslog']);
    expect(r.snap.stdout).toContain(`wrote the scenario ${r.out}`);
    expect(r.snap.stdout).toContain(OLD_GUID);
    expect(r.snap.stdout).toMatch(/\d+ log line\(s\) \([\d.]+ [KM]?i?B\)/);
  });

  it('changed nothing: cf, bosh and docker were only read, S3 and etcd are as they were', async () => {
    const calls = readFileSync(cliLogOf(r.c), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { argv: string[] }).argv);
    expect(calls.length).toBeGreaterThan(3);
    expect(
      calls.filter((argv) => !isRead(argv)),
      JSON.stringify(calls),
    ).toEqual([]);
    expect(await bucketState(r.servers)).toEqual(before.s3);
    expect(await etcdState(r.servers)).toEqual(before.etcd);
    expect(JSON.stringify(r.c.readCell())).toBe(before.cell);
    expect(JSON.stringify(await r.c.readCf())).toBe(before.cf);
  });

  it('holds no secret of the platform or the operator', () => {
    const canaries = everySecret(r.c);
    for (const f of filesUnder(r.out)) {
      const text = readFileSync(f, 'utf8');
      for (const secret of canaries) expect(text.includes(secret), `${f} holds ${secret}`).toBe(false);
    }
    for (const secret of canaries) expect(r.snap.stdout + r.snap.stderr).not.toContain(secret);
  });

  it("keeps the lines the finder relies on: a search of the snapshot's syslog finds the same candidate with the same evidence", async () => {
    const find = async (logs: string) => {
      const r = await runCli(['logs', 'find', '--service-name', 'important-db', '--logs', logs, '--json']);
      expect(r.code, r.stderr).toBe(0);
      // Each line's file and offset differ between the two folders: every evidence is compared by its line and why.
      const { candidates } = JSON.parse(r.stdout, (key, value: unknown) => (key === 'source' ? undefined : value)) as {
        candidates: { evidence: { line: string; why: string }[] }[];
      };
      return candidates.map((cand) => ({ ...cand, evidence: cand.evidence.map((e) => [e.line, e.why]) }));
    };
    expect(await find(join(r.out, 'syslog'))).toEqual(await find(join(r.c.dir, 'logs')));
  });

  it(
    'rehearses: the rehearsal finds the same deleted instance and completes every step',
    async () => {
      const { run, stateDir } = await rehearseScenario(r.out);
      expect(run.code, run.stdout + run.stderr).toBe(DONE_UNDRILLED);
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

/** The deleted instance's node, as the seed's logs name it. */
const OLD_NODE = 'c8ce128e-7b4c-4fe7-a533-e9379356f906';

describe.skipIf(!sshdAvailable || !etcdAvailable)(
  'dingo-recover snapshot of a platform where the deleted node left a container behind',
  () => {
    let cellBefore: string;
    let etcdBefore: unknown;
    const canaries = {
      key: 'AKIALEFTOVERCANARY01',
      secret: 'leftover/Canary+Secret/Access/Key01',
      password: 'leftover-superuser-canary-pw',
    };
    const r = useSnapshot(async (servers) => {
      const c = await prepareCase(servers, 'snapshot-leftover');
      const env = [
        `ETCD_HOST_PORT=${servers.etcd.hostPort}`,
        `AWS_ACCESS_KEY_ID=${canaries.key}`,
        `AWS_SECRET_ACCESS_KEY=${canaries.secret}`,
        `WAL_S3_BUCKET=${BUCKET}`,
        `PATRONI_SCOPE=${OLD_GUID}`,
        `SUPERUSER_PASSWORD=${canaries.password}`,
      ];
      const cell: LiveCellWorld = c.readCell();
      cell.containers[`cf-${OLD_NODE}`] = {
        id: 'c8ce128e0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5',
        name: `cf-${OLD_NODE}`,
        image: 'cfcommunity/postgresql-patroni:9.5',
        env,
        mounts: [],
        running: false,
        exitCode: 137,
        startedAt: '2016-03-15T11:40:22.000000000Z',
        finishedAt: '2016-03-16T23:10:02.000000000Z',
        logs: [],
        pg: { ready: false, inRecovery: false, pollsUntilPromoted: 0, roles: {} },
      };
      writeFileSync(join(dirname(c.dockerHost.replace(/^unix:\/\//, '')), 'cell-world.json'), JSON.stringify(cell));
      await fetch(`${servers.etcd.url}/v2/keys/service/${OLD_GUID}/initialize`, {
        method: 'PUT',
        body: new URLSearchParams({ value: OLD_SYSID }),
      });
      // The broker logged the container's creation with its environment, as cf-containers-broker does.
      const envText = env.map((e) => `'${e}'`).join(', ');
      appendFileSync(
        join(c.dir, 'logs', 'platform.log'),
        `Mar 15 11:40:20 ${CELL_HOST} cf-containers-broker.log:  +-> Create options: {'name'=>'cf-${OLD_NODE}', 'Env'=>[${envText}], 'Image'=>'cfcommunity/postgresql-patroni:9.5', 'Labels'=>{'instance_id'=>'${OLD_NODE}'}}\n`,
      );
      cellBefore = JSON.stringify(c.readCell());
      etcdBefore = await etcdState(servers);
      return c;
    });

    it("keeps the container's inspect output and the instance's etcd keys, credentials replaced by stand-ins", () => {
      expect(r.snap.code, r.snap.stdout + r.snap.stderr).toBe(0);
      expect(r.snap.stdout).toContain('2 container(s), 1 etcd key(s)');
      const scenario = readFileSync(join(r.out, 'scenario.yaml'), 'utf8');
      expect(scenario).toContain(`cf-${OLD_NODE}:`);
      expect(scenario).toContain('image: cfcommunity/registrator:latest');
      expect(scenario).toMatch(/AWS_SECRET_ACCESS_KEY=stand-in-aws-secret-access-key-\d+/);
      expect(scenario).toMatch(/SUPERUSER_PASSWORD=stand-in-superuser-password-\d+/);
      expect(scenario).toContain(`/service/${OLD_GUID}/initialize: "${OLD_SYSID}"`);
      expect(scenario).toContain(CELL_IP);
    });

    it('holds none of those credentials, in the world or in the kept log line that carried them', () => {
      const logs = filesUnder(join(r.out, 'syslog'))
        .map((f) => readFileSync(f, 'utf8'))
        .join('');
      expect(logs).toContain(`Create options: {'name'=>'cf-${OLD_NODE}'`);
      for (const f of filesUnder(r.out)) {
        const text = readFileSync(f, 'utf8');
        for (const secret of Object.values(canaries)) expect(text.includes(secret), `${f} holds ${secret}`).toBe(false);
      }
      for (const secret of Object.values(canaries)) expect(r.snap.stdout + r.snap.stderr).not.toContain(secret);
    });

    it('only inspected the container and read etcd', async () => {
      expect(JSON.stringify(r.c.readCell())).toBe(cellBefore);
      expect(await etcdState(r.servers)).toEqual(etcdBefore);
    });
  },
);
