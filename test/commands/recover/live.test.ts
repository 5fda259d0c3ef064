/**
 * The acceptance test of "Drive the real platform": `dingo-recover recover` runs LIVE (not a
 * rehearsal) as a child process, fully non-interactive (--answers, --yes, CI=true, no stdin),
 * against real parts on loopback (test/support/live/platform.ts): the cell over SSH through a
 * jumpbox (real sshd, real sudo, real find/mv on the filesystem), the cell's docker (the fake
 * Docker 1.11 client), a real etcd through the SSH port forward, moto_server for S3, fake `cf`
 * and `bosh` executables with a broker behind cf, and the incident's syslog (as files, or in an
 * Elasticsearch over HTTP). It then checks the final state of every one of those systems, the
 * transcript, and that no secret was written.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EsHttpClient } from '../../../src/systems/elasticsearch/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, runCli, runIdOf, type CliResult } from '../../support/cli.js';
import { sshdAvailable } from '../../support/sshd.js';
import { etcdAvailable } from '../../support/etcd.js';
import { ES_INDEX, prepareCase, type LiveCase, type LiveServers } from '../../support/live/platform.js';
import type { EsHttp, EsServedRequest } from '../../support/es-http.js';
import {
  NEW_SYSID,
  STEPS,
  assertNoSecrets,
  doneStatuses,
  doneTranscript,
  assertRecovered,
  expected,
  listing,
  newInstanceNamed,
} from '../../support/live/recovered.js';
import {
  BUCKET,
  CONFIRMED_STEPS,
  OLD_GUID,
  ONE_RUN_MS,
  RESTORE_STEPS,
  SEED_DELETED,
  archivePrefix,
  deletedInstance,
  newArchive,
  type OldInstance,
} from '../../support/live/shared.js';
import type { NewInstance } from '../../support/live/case-instances.js';
import type { LiveCellWorld } from '../../support/live/cell-docker.js';
import { logDocuments } from '../../support/live/es-logs.js';
import { FAKE_DOCKER } from '../../support/fake-docker/world.js';

const execFileP = promisify(execFile);
/** A hook that runs dingo-recover twice (killed, then resumed). */
const TWO_RUNS_MS = 2 * ONE_RUN_MS;

/** Runs one of the case's fake executables (cf, docker) as the run would, with the case's environment. */
async function runFakeProcess(c: LiveCase, file: string, args: string[]): Promise<string> {
  const r = await execFileP(file, args, { env: { ...process.env, ...c.env }, encoding: 'utf8' });
  return r.stdout;
}

/**
 * By hand, what a recovery does to one new instance, without the engine: stop its container,
 * put the old archive at its prefix, set its /initialize to the old system identifier, flush /data, start it.
 */
async function swapByHand(s: LiveServers, c: LiveCase, old: OldInstance, made: NewInstance): Promise<void> {
  const docker = (...args: string[]) => runFakeProcess(c, FAKE_DOCKER, ['--host', c.dockerHost, ...args]);
  await docker('stop', made.container);
  // The kill left the node's /leader to its TTL in the real etcd: deleted as the run deletes it.
  const leader = (await (await fetch(`${s.etcd.url}/v2/keys/service/${made.guid}/leader`)).json()) as {
    node: { value: string; ttl: number };
  };
  expect(leader.node.value).toBe(made.nodeUuid);
  expect(leader.node.ttl).toBeGreaterThan(0);
  expect(leader.node.ttl).toBeLessThanOrEqual(30);
  await fetch(`${s.etcd.url}/v2/keys/service/${made.guid}/leader?prevValue=${made.nodeUuid}`, { method: 'DELETE' });
  await fetch(`${s.etcd.url}/v2/keys/service/${made.guid}/members/${made.nodeUuid}`, { method: 'DELETE' });
  for (const [rel, body] of old.archive) await s.s3.put({ bucket: BUCKET, key: archivePrefix(made.guid) + rel }, body);
  await fetch(`${s.etcd.url}/v2/keys/service/${made.guid}/initialize`, {
    method: 'PUT',
    body: new URLSearchParams({ value: old.sysid }),
  });
  renameSync(made.dataDir, `${made.dataDir}.moved-aside-by-hand`);
  mkdirSync(made.dataDir);
  await docker('start', made.container);
}
import { ifStarted } from '../../support/started.js';
import { useCaseRun, useLiveServers } from '../../support/live/hooks.js';
import { Redactor } from '../../../src/core/redact.js';

async function assertTranscript(c: LiveCase, runId: string): Promise<void> {
  const t = await doneTranscript<{
    mode: string;
    status: string;
    steps: {
      id: string;
      status: string;
      commands: { where: string; argv: string[]; exitCode: number }[];
      confirmations: { method: string }[];
      outputs: Record<string, unknown> | null;
    }[];
  }>(c, runId);
  expect(t.mode).toBe('live');
  expect(t.status).toBe('done');
  expect(STEPS).toEqual(expect.arrayContaining([...RESTORE_STEPS, 'rebind-apps', 'restart-apps']));
  expect(t.steps.map((s) => [s.id, s.status])).toEqual(doneStatuses(SEED_DELETED));
  const step = (id: string) => t.steps.find((s) => s.id === id)!;
  for (const id of CONFIRMED_STEPS) {
    expect(step(id).confirmations, id).toEqual([expect.objectContaining({ method: '--yes' })]);
  }
  expect(step('create-service').outputs).toEqual({ instanceGuid: c.newGuid });
  expect(step('find-deleted-instance').outputs).toMatchObject({
    instanceGuid: OLD_GUID,
    archiveUrl: `s3://${BUCKET}/${archivePrefix(OLD_GUID)}`,
  });
  expect(step('find-new-container').outputs).toMatchObject({
    container: c.container,
    cellIp: '10.58.111.150',
    archiveUrl: `s3://${BUCKET}/${archivePrefix(c.newGuid)}`,
  });
  // The cell commands really went over SSH to the cell, through sudo.
  const stop = step('stop-container').commands.find((x) => x.argv.includes('stop'));
  expect(stop).toMatchObject({
    exitCode: 0,
    where: expect.stringMatching(/^cell 10\.58\.111\.150 via dingolivegw@dingo-jumpbox \(127\.0\.0\.1\)/),
  });
}

describe.skipIf(!sshdAvailable || !etcdAvailable)(
  'dingo-recover recover, live, against real sshd, etcd, moto and cf/bosh/docker processes',
  () => {
    const live = useLiveServers();

    describe('one uninterrupted run', () => {
      const once = useCaseRun(
        () => prepareCase(live.servers, 'once'),
        (c) => runCli(['recover', ...c.liveArgs, '--state-dir', c.stateDir], { env: c.env }),
      );

      it('exits 0 and says the run is done, live', () => {
        expect(once.run.code, once.run.stdout + once.run.stderr).toBe(DONE_DRILLED_ON_CELL);
        expect(once.run.stdout).not.toContain('REHEARSAL');
        expect(once.run.stdout).toContain(`run ${once.runId} is done`);
        expect(once.run.stdout).toContain(OLD_GUID);
        expect(once.run.stdout).toContain(once.c.newGuid);
      });

      it('leaves every system recovered', async () => {
        await assertRecovered(live.servers, once.c);
      });

      it("drills the 9.5 archive on the cell, in the new container's image, and says so on the screen and in the report", () => {
        const screen = once.run.stdout + once.run.stderr;
        expect(screen).toMatch(
          /✔ \[\d+\/\d+\] Drill the old archive on the cell, in the new container's image — drilled in \S+ on 10\.58\.111\.150/,
        );
        const report = readFileSync(join(once.c.stateDir, 'runs', once.runId, 'report.md'), 'utf8');
        expect(report).toMatch(
          /## Drill of the old archive on the cell\n\n- restored and replayed in \S+ on 10\.58\.111\.150: databases [^;]+; recovery ended at [0-9A-F]+\/[0-9A-F]+/,
        );
      });

      it('journals every step as finished, confirmed by --yes', async () => {
        await assertTranscript(once.c, once.runId);
      });

      it('writes no secret to the run folder or the output', () => {
        assertNoSecrets(once.c, once.runId, once.run.stdout + once.run.stderr);
      });
    });

    describe('with the clusterdata bucket, into a restored cluster that trusts no local login', () => {
      const clusterdata = useCaseRun(
        () => prepareCase(live.servers, 'clusterdata', { clusterdata: true }),
        (c) => runCli(['recover', ...c.liveArgs, '--verbose', '--state-dir', c.stateDir], { env: c.env }),
      );

      it('names the instance from its clusterdata record and gets in with the superuser recorded there', async () => {
        expect(clusterdata.run.code, clusterdata.run.stdout + clusterdata.run.stderr).toBe(DONE_DRILLED_ON_CELL);
        expect(clusterdata.run.stdout).toContain(`the broker's clusterdata record names this instance "important-db"`);
        // The new superuser's password and the local socket are both refused; the recorded one works.
        expect(clusterdata.run.stdout).toContain('pg_is_in_recovery() = f (asked as pgsuper over 127.0.0.1:5432)');
        expect(clusterdata.run.stdout).toMatch(
          /set the passwords of dingo-admin, pgsuper, appuser in one transaction, logged in as pgsuper over 127\.0\.0\.1:5432/,
        );
        await assertRecovered(live.servers, clusterdata.c);
        const show = await runCli(['show', clusterdata.runId, '--json', '--state-dir', clusterdata.c.stateDir], { env: clusterdata.c.env });
        const t = JSON.parse(show.stdout) as { steps: { id: string; outputs: Record<string, unknown> | null }[] };
        expect(t.steps.find((s) => s.id === 'find-deleted-instance')!.outputs).toMatchObject({
          instanceGuid: OLD_GUID,
          confidence: 'high',
        });
      });

      it('writes no secret, the recorded passwords included, to the run folder or the output', () => {
        assertNoSecrets(clusterdata.c, clusterdata.runId, clusterdata.run.stdout + clusterdata.run.stderr);
      });
    });

    describe('with the logs in Elasticsearch (Logsearch), searched with an API key from the environment', () => {
      let c: LiveCase;
      let es: EsHttp;
      let run: CliResult;
      let runId: string;
      /** What the server served during the run (later tests make requests of their own). */
      let served: EsServedRequest[];
      let notes: Record<string, string[]>;
      beforeAll(async () => {
        c = await prepareCase(live.servers, 'es', { logsIn: 'elasticsearch' });
        es = c.es!;
        run = await runCli(['recover', ...c.liveArgs, '--verbose', '--state-dir', c.stateDir], { env: c.env });
        served = [...es.requests];
        runId = runIdOf(run.stdout);
        const show = await runCli(['show', runId, '--json', '--state-dir', c.stateDir], { env: c.env });
        const t = JSON.parse(show.stdout) as { steps: { id: string; notes: { text: string }[] }[] };
        notes = Object.fromEntries(t.steps.map((st) => [st.id, st.notes.map((n) => n.text)]));
      }, ONE_RUN_MS);
      afterAll(async () => {
        await ifStarted(c)?.cleanup();
      });

      it('is given Elasticsearch and the API key in the environment, not the log folder', () => {
        expect(c.liveArgs).not.toContain('--logs');
        expect(c.liveArgs).toEqual(expect.arrayContaining(['--es-url', es.url, '--es-index', 'logs-platform-*']));
        expect(c.secrets.esApiKey).toMatch(/^[A-Za-z0-9+/=]{40,}$/);
        expect(c.env.ES_API_KEY).toBe(c.secrets.esApiKey);
        expect(c.liveArgs.join(' ')).not.toContain(c.secrets.esApiKey!);
      });

      it('exits 0 and leaves every system recovered', async () => {
        expect(run.code, run.stdout + run.stderr).toBe(DONE_DRILLED_ON_CELL);
        expect(run.stdout).toContain(`run ${runId} is done`);
        await assertRecovered(live.servers, c);
        await assertTranscript(c, runId);
      });

      it('found the deleted instance and the new container in Elasticsearch documents of both shapes', () => {
        /** [source, line] of each piece of evidence a step showed. */
        const evidence = (step: string): [string, string][] =>
          (notes[step] ?? [])
            .filter((n) => n.startsWith('evidence: '))
            .map((n) => /\n {2}(\S+): (.*)$/s.exec(n))
            .filter((m): m is RegExpExecArray => m !== null)
            .map((m) => [m[1]!, m[2]!]);
        const deleted = evidence('find-deleted-instance');
        const created = evidence('find-new-container');
        expect(deleted.length).toBeGreaterThan(0);
        expect(created.length).toBeGreaterThan(0);
        for (const [source] of [...deleted, ...created])
          expect(source).toMatch(new RegExp(`^es:${ES_INDEX}/(syslog(\\.1\\.gz)?|platform\\.log)#\\d+$`));
        expect(deleted.some(([, line]) => line.includes(OLD_GUID))).toBe(true);
        // The new instance's lines were appended by the broker during the run, and were found.
        expect(created.some(([source, line]) => source.startsWith(`es:${ES_INDEX}/platform.log#`) && line.includes(c.container))).toBe(
          true,
        );
        // Both document shapes were read back: raw RFC 3164 lines (@raw) and lines rebuilt from fields.
        const lines = [...deleted, ...created].map(([, line]) => line);
        expect(lines.some((l) => /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ \S+: /.test(l))).toBe(true);
        expect(lines.some((l) => /^<14>1 \d{4}-\d\d-\d\dT\S+ \S+ \S+ - - - /.test(l))).toBe(true);
        expect(run.stdout).toContain(`es:${ES_INDEX}/`);
        // Undated lines are timed by their own document, never by another document's year or zone.
        const whys = (notes['find-new-container'] ?? []).join('\n');
        expect(whys).toContain("(time from the document's @timestamp)");
        expect(whys).not.toMatch(/year \d{4} from dated lines/);
      });

      it('scrolled, always with the API key, and cleared every scroll', () => {
        expect(served.length).toBeGreaterThan(0);
        for (const r of served) {
          expect(r.authorization, `${r.method} ${r.path}`).toBe(`ApiKey ${c.secrets.esApiKey}`);
          expect(r.status, `${r.method} ${r.path}: ${JSON.stringify(r.response)}`).toBe(200);
        }
        const opens = served.filter((r) => r.method === 'POST' && r.path === '/logs-platform-*/_search');
        const reads = served.filter((r) => r.method === 'POST' && r.path === '/_search/scroll');
        const clears = served.filter((r) => r.method === 'DELETE' && r.path === '/_search/scroll');
        // Each search first asks the server its version, then scrolls and clears its scroll; the checks
        // before the run (doctor's) ask it once more, to know it is Elasticsearch.
        const asks = served.filter((r) => r.method === 'GET' && r.path === '/');
        expect(asks.length).toBe(opens.length + 1);
        expect(asks.length + opens.length + reads.length + clears.length).toBe(served.length);
        // One scroll for the deleted instance, at least one for the new container after it was created.
        expect(opens.length).toBeGreaterThanOrEqual(2);
        expect(opens.every((o) => o.params.scroll === '2m')).toBe(true);
        const ids = opens.map((o) => (o.response as { _scroll_id: string })._scroll_id);
        expect(new Set(ids).size).toBe(ids.length);
        for (const id of ids) {
          // Opened, read on, then cleared: in that order, cleared once.
          const mine = served.filter(
            (r) =>
              (r.body as { scroll_id?: unknown } | undefined)?.scroll_id === id ||
              JSON.stringify((r.body as { scroll_id?: unknown } | undefined)?.scroll_id) === JSON.stringify([id]),
          );
          const at = served.indexOf(opens[ids.indexOf(id)]!);
          expect(mine.every((r) => served.indexOf(r) > at)).toBe(true);
          expect(mine.at(-1)).toMatchObject({ method: 'DELETE', path: '/_search/scroll', response: { succeeded: true, num_freed: 1 } });
        }
        expect(es.openScrolls()).toEqual([]);
        expect(es.openPits()).toEqual([]);
        for (const sr of opens) {
          const body = sr.body as {
            size: number;
            sort: unknown;
            query: { bool: { should: { multi_match: { query: string; type: string } }[] } };
          };
          expect(body.size).toBe(1000);
          expect(body.sort).toEqual([{ '@timestamp': { order: 'asc', unmapped_type: 'date' } }, '_doc']);
          const phrases = body.query.bool.should.map((q) => q.multi_match.query);
          expect(phrases).toEqual(
            expect.arrayContaining(['patroni-broker', 'dingo-postgresql-broker', 'public :5432 address', 'PATRONI_SCOPE']),
          );
          expect(body.query.bool.should.every((q) => q.multi_match.type === 'phrase')).toBe(true);
          // The search is pushed down: a page holds the matching lines, not the index.
          expect(sr.hits!).toBeGreaterThan(0);
          expect(sr.hits!).toBeLessThan(opens[0]!.documents! / 2);
        }
        // The documents are read when a scroll opens: the last one holds the broker's new lines.
        expect(opens.at(-1)!.documents).toBeGreaterThan(opens[0]!.documents!);
      });

      it('evaluates phrases, the time range, the sort and search_after as Elasticsearch does (checked over HTTP)', async () => {
        const client = new EsHttpClient({ redactor: new Redactor(), url: es.url, apiKey: c.secrets.esApiKey! });
        const phrases = ['action=push-wal', 'public :5432 address', 'PATRONI_SCOPE'];
        const query = (gte?: string) => ({
          bool: {
            filter: gte ? [{ range: { '@timestamp': { gte } } }] : [],
            should: phrases.map((p) => ({ multi_match: { query: p, type: 'phrase' as const, fields: ['@raw', '@message'] } })),
            minimum_should_match: 1,
          },
        });
        type Hit = { _id?: string; _source?: Record<string, string>; sort?: unknown[] };
        const all = async (q: ReturnType<typeof query>, size: number): Promise<{ hits: Hit[]; pages: number }> => {
          const pit = ((await client.request('POST', '/logs-*/_pit?keep_alive=1m')).body as { id: string }).id;
          const hits: Hit[] = [];
          let pages = 0;
          let after: unknown[] | undefined;
          try {
            for (;;) {
              const res = (
                await client.request('POST', '/_search', {
                  pit: { id: pit },
                  size,
                  sort: [{ '@timestamp': 'asc' }, { _shard_doc: 'asc' }],
                  query: q,
                  ...(after ? { search_after: after } : {}),
                })
              ).body as { hits: { hits: Hit[] } };
              pages += 1;
              if (pages > 100) throw new Error('search_after does not advance');
              hits.push(...res.hits.hits);
              if (res.hits.hits.length < size) break;
              after = res.hits.hits.at(-1)!.sort;
            }
          } finally {
            await client.request('DELETE', '/_pit', { id: pit });
          }
          return { hits, pages };
        };
        try {
          const whole = await all(query(), 1000);
          const paged = await all(query(), 3);
          expect(whole.hits.length).toBeGreaterThan(6);
          expect(whole.pages).toBe(1);
          expect(paged.pages).toBe(Math.floor(whole.hits.length / 3) + 1);
          expect(paged.hits.map((h) => h._id)).toEqual(whole.hits.map((h) => h._id));
          const text = (h: Hit): string => h._source!['@raw'] ?? h._source!['@message'] ?? '';
          expect(whole.hits.every((h) => phrases.some((p) => text(h).includes(p)))).toBe(true);
          const times = whole.hits.map((h) => h._source!['@timestamp']!);
          expect(times).toEqual([...times].sort());
          // The new instance's lines are the only ones logged this decade.
          const recent = await all(query('2020-01-01T00:00:00Z'), 1000);
          expect(recent.hits.length).toBeGreaterThan(0);
          expect(recent.hits.length).toBeLessThan(whole.hits.length);
          expect(recent.hits.every((h) => h._id!.startsWith('platform.log#'))).toBe(true);
        } finally {
          await client.close();
        }
        expect(es.openPits()).toEqual([]);
      });

      it('answers 401 without the API key or with another one (so the run did send it)', async () => {
        const bare = await fetch(`${es.url}/logs-*/_pit?keep_alive=1m`, { method: 'POST' });
        expect(bare.status).toBe(401);
        expect(bare.headers.get('x-elastic-product')).toBe('Elasticsearch');
        expect(((await bare.json()) as { error: { type: string } }).error.type).toBe('security_exception');
        const other = new EsHttpClient({ redactor: new Redactor(), url: es.url, apiKey: Buffer.from('other:key').toString('base64') });
        const err = (await other.request('POST', '/logs-*/_pit?keep_alive=1m').catch((e: unknown) => e)) as { status?: number };
        await other.close();
        expect(err.status).toBe(401);
        expect(es.openPits()).toEqual([]);
      });

      it('writes no secret, the Elasticsearch API key included, to the run folder or the output', () => {
        assertNoSecrets(c, runId, run.stdout + run.stderr);
      });
    });

    describe('killed (SIGKILL) right after stopping the container, then resumed', () => {
      let c: LiveCase;
      let killed: CliResult;
      let resumed: CliResult;
      let runId: string;
      let atKill: { running: boolean | undefined; newPrefix: Record<string, string> };
      beforeAll(async () => {
        c = await prepareCase(live.servers, 'killed');
        killed = await runCli(['recover', ...c.liveArgs, '--state-dir', c.stateDir], {
          env: { ...c.env, DINGO_RECOVER_FAILPOINTS: 'step:stop-container' },
        });
        runId = runIdOf(killed.stdout);
        atKill = {
          running: c.readCell().containers[c.container]?.running,
          newPrefix: await listing(live.servers.s3, archivePrefix(c.newGuid)),
        };
        // Everything else (answers, live options, settings) comes from the run's journal.
        resumed = await runCli(['resume', runId, '--yes', '--state-dir', c.stateDir], { env: c.env });
      }, TWO_RUNS_MS);
      afterAll(async () => {
        await ifStarted(c)?.cleanup();
      });

      it('dies by SIGKILL with the container stopped, and the resume exits 0', () => {
        expect(killed.signal, killed.stdout + killed.stderr).toBe('SIGKILL');
        // Killed after the stop and before anything touched S3.
        expect(atKill.running).toBe(false);
        expect(atKill.newPrefix).toEqual(expected(newArchive(c.newGuid, NEW_SYSID)));
        expect(resumed.code, resumed.stdout + resumed.stderr).toBe(DONE_DRILLED_ON_CELL);
        expect(resumed.stdout).toContain(`resumes run ${runId}`);
      });

      it('leaves the same final state as an uninterrupted run', async () => {
        await assertRecovered(live.servers, c);
      });

      it('journals every step as finished across both processes', async () => {
        await assertTranscript(c, runId);
      });

      it('writes no secret to the run folder or the output', () => {
        assertNoSecrets(c, runId, killed.stdout + killed.stderr + resumed.stdout + resumed.stderr);
      });
    });
    describe('the platform itself, with two deleted instances recreated and restored at once (as recover-space will)', () => {
      const reports = deletedInstance('reports-db', 1);
      let c: LiveCase;
      let made: NewInstance[];
      let created: LiveCellWorld;
      let newPrefixes: Record<string, string>[];
      beforeAll(async () => {
        c = await prepareCase(live.servers, 'two', { deleted: [SEED_DELETED, reports] });
        const cfBin = c.platformArgs[c.platformArgs.indexOf('--cf-bin') + 1]!;
        await runFakeProcess(c, cfBin, ['target', '-o', 'acme', '-s', 'important-space-and-all-databases']);
        // Two cf processes at once, each creating an instance through the broker hook.
        await Promise.all(c.deleted.map((d) => runFakeProcess(c, cfBin, ['create-service', 'dingo-postgresql95', 'solo', d.name])));
        made = await Promise.all(c.deleted.map((d) => newInstanceNamed(c, d.name)));
        created = c.readCell();
        newPrefixes = await Promise.all(made.map((m) => listing(live.servers.s3, archivePrefix(m.guid))));
        await Promise.all(c.deleted.map((d, i) => swapByHand(live.servers, c, d, made[i]!)));
      });
      afterAll(async () => {
        await ifStarted(c)?.cleanup();
      });

      it('creates each instance with its own node, container, host port, database and archive, though cf ran twice at once', async () => {
        expect(made.map((m) => m.guid).sort()).toEqual(c.instances.map((i) => i.guid).sort());
        const instances = Object.values(created.containers).filter((ct) => ct.name !== 'registrator');
        expect(instances.map((ct) => ct.name).sort()).toEqual(made.map((m) => m.container).sort());
        expect(new Set(instances.map((ct) => ct.id)).size).toBe(2);
        expect(created.history.sort()).toEqual(made.map((m) => `broker created ${m.container} for ${m.guid}`).sort());
        for (const [i, m] of made.entries()) {
          const ct = created.containers[m.container]!;
          expect(ct.env).toEqual(expect.arrayContaining([`PATRONI_SCOPE=${m.guid}`, `NODE_ID=${m.nodeUuid}`]));
          expect(ct.mounts[0]!.Source).toBe(m.dataDir);
          expect([ct.pg.sysid, ct.pg.roles]).toEqual([m.sysid, m.passwords]);
          expect(newPrefixes[i]).toEqual(expected(newArchive(m.guid, m.sysid)));
          expect(await c.etcdGet(`/service/${m.guid}/members/${m.nodeUuid}`)).toContain(`:${String(m.hostPort)}/postgres`);
        }
        expect(new Set(made.map((m) => m.sysid)).size).toBe(2);
        expect(new Set(made.map((m) => m.hostPort)).size).toBe(2);
        // Both instances' syslog lines, whole: written at once, never interleaved.
        const lines = readFileSync(join(c.dir, 'logs', 'platform.log'), 'utf8')
          .split('\n')
          .filter(Boolean);
        // Each create: the broker's own line on its router, then eight of the cell's.
        expect(lines).toHaveLength(18);
        for (const l of lines)
          expect(l).toMatch(
            /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ (broker\.stdout\.log|cf-containers-broker\.log|docker\/cf-\S+): {2}/,
          );
        for (const m of made)
          expect(lines).toContainEqual(expect.stringContaining(`public :5432 address 10.58.111.150:${String(m.hostPort)}`));
      });

      it("restores each container, started at once, from the archive in its own prefix: that instance's database and roles", () => {
        const cell = c.readCell();
        for (const [i, d] of c.deleted.entries()) {
          const m = made[i]!;
          expect(cell.serving[m.container], d.name).toBe(d.sysid);
          expect(cell.containers[m.container]!.pg).toMatchObject({ sysid: d.sysid, roles: d.roles, inRecovery: true });
          expect(readFileSync(join(m.dataDir, 'postgres0', 'SYSID'), 'utf8')).toBe(`${d.sysid}\n`);
          expect(cell.history).toEqual(
            expect.arrayContaining([
              `stopped ${m.container}`,
              `started ${m.container} on an empty /data: restores the archive of sysid ${d.sysid}`,
            ]),
          );
        }
        expect(reports.sysid).not.toBe(SEED_DELETED.sysid);
      });

      it("has every instance's secrets to look for, and the other deleted instance's syslog dated like the seed's", () => {
        for (const p of [...made.flatMap((m) => Object.values(m.passwords)), ...Object.values(reports.roles)]) {
          expect(c.secrets.passwords).toContain(p);
        }
        const removed = logDocuments(join(c.dir, 'logs')).filter((doc) => JSON.stringify(doc._source).includes('remove-node.perform'));
        const times = removed.map((doc) => [JSON.stringify(doc._source).includes(reports.guid), doc._source['@timestamp']]);
        expect(times).toEqual(expect.arrayContaining([[true, '2016-03-16T23:10:18.000Z']]));
      });
    });
  },
);
