/**
 * restore-to-time's merge back, LIVE and whole, through the v2 bosh CLI's `bosh ssh`: important-db is
 * alive, its leader's container on the cell runs a REAL PostgreSQL 15 (test/support/live/cell-postgres.ts) whose
 * table a bad write emptied of some rows and changed in another, after the moment the user names; its
 * archive is a REAL PostgreSQL 15 wal-e archive in moto. The run restores the copy to the moment on
 * this machine, reads the live side as it comes over the one `bosh ssh` of the bosh double whose connection
 * the cell's commands share, writes the patch and
 * waits for its checksum (exit 3, --yes never applies it); `resume --set mergeChecksum=` applies it
 * in the leader, and the rows deleted since are back, the changed one reverted, the rows written since
 * left as they are. Nothing is applied twice: a resume of the done run runs nothing, and the patch,
 * run again by hand, refuses itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PSQL_VIA_STDIN } from '../../../src/adapters/container-database.js';
import { EXIT } from '../../../src/core/errors.js';
import { runCli, type CliResult } from '../../support/cli.js';
import { etcdAvailable } from '../../support/etcd.js';
import { BOSH_VERSIONS } from '../../support/fake-cli/worlds.js';
import { ALIVE_CONTAINER, aliveLeader, stillAlive, importantDbAnswers } from '../../support/live/alive-instance.js';
import { cliCalls, viaBosh, withBoshSsh } from '../../support/live/bosh-ssh-case.js';
import { useCaseRun, useLiveServers } from '../../support/live/hooks.js';
import { onTheCell } from '../../support/live/on-the-cell.js';
import { STORE_ROOT, prepareCase, type LiveCase } from '../../support/live/platform.js';
import { assertSecretsAbsent, doneTranscript } from '../../support/live/recovered.js';
import { OLD_GUID, OLD_ROLES, ONE_RUN_MS, archivePrefix } from '../../support/live/shared.js';
import { sshdAvailable } from '../../support/sshd.js';
import {
  betweenBatches,
  DRILL_TABLE,
  generateWaleArchive,
  removeArchive,
  uploadArchive,
  type GeneratedArchive,
} from '../../support/wale-archive.js';

/** Where important-db archives: its leader's WAL_S3_BUCKET. */
const BUCKET = 'live-merge-backups';
const LEADER_AWS = { keyId: 'AKIAMERGELIVE7Q2W3E4', secret: 'merge/Container+SecretKey/4hTq' };

let archive: GeneratedArchive | undefined;
let dir: string | undefined;

/** A moment between the first and the second batch: the copy holds the rows before and the first batch. */
const moment = (): Date => betweenBatches(archive!, 0);

const answers = (): string => importantDbAnswers(moment(), [`  merge: [public.${DRILL_TABLE}]`, '  mergeUpdates: all']);

/** The leader's table as the archive ends, then the bad write (10 rows deleted, one changed), then a good write. */
const LIVE_TABLE = (lastId: number): string => `SET ROLE appuser;
CREATE TABLE ${DRILL_TABLE} (id int PRIMARY KEY, note text NOT NULL);
INSERT INTO ${DRILL_TABLE} SELECT g, md5(g::text) FROM generate_series(1, ${String(lastId)}) g;
DELETE FROM ${DRILL_TABLE} WHERE id BETWEEN 50 AND 59;
UPDATE ${DRILL_TABLE} SET note = 'overwritten' WHERE id = 60;
INSERT INTO ${DRILL_TABLE} VALUES (${String(lastId + 1)}, 'written since');
`;

/** psql as the postgres account in the leader's container, through the cell: its rows (-At). */
const inLeader = (c: LiveCase, sql: string): Promise<string> =>
  onTheCell(
    c,
    ['exec', '-i', '-u', 'postgres', ALIVE_CONTAINER, 'psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres'],
    sql,
  );

/** psql logged in as the role apps bind with in the leader's container, its password on standard input: its rows (-At). */
const asApps = (c: LiveCase, sql: string): Promise<string> =>
  onTheCell(
    c,
    ['exec', '-i', ALIVE_CONTAINER, 'sh', '-c', PSQL_VIA_STDIN, 'sh', 'appuser', '-q', '-At', '-v', 'ON_ERROR_STOP=1'],
    `${OLD_ROLES.appuser!}\n${sql}`,
  );

describe.skipIf(!sshdAvailable || !etcdAvailable)('restore-to-time with a merge back, live, through bosh ssh (v2)', () => {
  const live = useLiveServers(async (s) => {
    dir = await mkdtemp(join(tmpdir(), 'live-merge-'));
    archive = await generateWaleArchive({ dir, rowsBefore: 100, rowsAfter: 0, batches: { count: 3, rows: 10, backupAfter: 2 } });
    await s.moto.createBucket(BUCKET);
    await uploadArchive(s.s3, archive.root, BUCKET, archivePrefix(OLD_GUID));
  });
  afterAll(async () => {
    if (archive) await removeArchive(archive);
    if (dir) await rm(dir, { recursive: true, force: true });
    // The leader's folder, with its real server's cluster (stopped by the case's cleanup, which runs first).
    await rm(join(STORE_ROOT, ALIVE_CONTAINER), { recursive: true, force: true });
  });

  const lastId = (): number => archive!.batches.at(-1)!.lastId;
  const planned = useCaseRun(
    async () => {
      const c = withBoshSsh(
        live.servers,
        await prepareCase(live.servers, 'merge', {
          deleted: [],
          // Planned for a create that never comes: the copy stays dump files.
          newInstances: 1,
          containers: [aliveLeader(BUCKET, LEADER_AWS)],
          cfWorld: (w) => stillAlive(w),
          otherSecrets: [LEADER_AWS.keyId, LEADER_AWS.secret, ...Object.values(OLD_ROLES)],
          realPostgres: true,
          answers: answers(),
        }),
        BOSH_VERSIONS.v2,
      );
      try {
        await inLeader(c, LIVE_TABLE(lastId()));
      } catch (err) {
        // The case is not handed back, so its cleanup would never run.
        await c.cleanup();
        throw err;
      }
      return c;
    },
    (c) =>
      runCli(
        [
          'recover',
          '--runbook',
          'restore-to-time',
          '--answers',
          c.answersFile,
          '--yes',
          ...viaBosh(live.servers, c.platformArgs),
          '--state-dir',
          c.stateDir,
        ],
        { env: c.env, timeoutMs: 2 * ONE_RUN_MS },
      ),
    2 * ONE_RUN_MS,
  );

  let checksum: string;
  /** The rows the bad write deleted or changed, in the leader, while the run waited. */
  let waiting: string;
  let applied: CliResult;
  let again: CliResult;
  beforeAll(async () => {
    checksum = /--set mergeChecksum=([0-9a-f]{12})/.exec(planned.run.stdout + planned.run.stderr)?.[1] ?? '';
    waiting = await inLeader(planned.c, `SELECT count(*) FROM ${DRILL_TABLE} WHERE id BETWEEN 50 AND 60`);
    if (!checksum) return;
    const resume = (set: string[]): Promise<CliResult> =>
      runCli(['resume', planned.runId, '--yes', ...set, '--state-dir', planned.c.stateDir], { env: planned.c.env, timeoutMs: ONE_RUN_MS });
    applied = await resume(['--set', `mergeChecksum=${checksum}`]);
    again = await resume([]);
  }, 2 * ONE_RUN_MS);

  it('restores the copy, plans the patch from both sides and waits for its checksum (exit 3): --yes applies nothing', () => {
    expect(planned.run.code, planned.run.stdout + planned.run.stderr).toBe(EXIT.needsOperator);
    expect(checksum).toMatch(/^[0-9a-f]{12}$/);
    expect(waiting).toBe('1\n');
  });

  it("read the live side as it came, over the one v2 `bosh ssh` the cell's commands share", async () => {
    const ssh = cliCalls(planned.c).filter((a) => a.includes('ssh'));
    // No command of its own to bosh: each went over the shared session's connection.
    expect(ssh.filter((a) => a.includes('-c'))).toEqual([]);
    expect(ssh.every((a) => a.includes('--opts=-N'))).toBe(true);
    // The table's rows: psql's COPY of the live leader, read by the step as they came.
    const journal = await readFile(join(planned.c.stateDir, 'runs', planned.runId, 'journal.ndjson'), 'utf8');
    const copies = journal
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; argv?: string[]; output?: string })
      .filter((e) => e.type === 'command' && e.argv?.includes(ALIVE_CONTAINER) && e.output?.includes('read by the step as it came'));
    expect(copies.length).toBeGreaterThan(0);
  });

  it('applies the patch once its checksum is given: the rows deleted since are back, the changed one reverted, the row written since kept', async () => {
    expect(applied.code, applied.stdout + applied.stderr).toBe(EXIT.done);
    const rows = await inLeader(
      planned.c,
      `SELECT count(*), count(*) FILTER (WHERE note = md5(id::text)), string_agg(note, ',') FILTER (WHERE id > ${String(lastId())}) FROM ${DRILL_TABLE}`,
    );
    // Every row of the table as it ends, each as the archive wrote it, and the one written since.
    expect(rows.trim()).toBe(`${String(lastId() + 1)}|${String(lastId())}|written since`);
    const t = await doneTranscript<{ steps: { id: string; status: string; outputs: Record<string, unknown> | null }[] }>(
      planned.c,
      planned.runId,
    );
    expect(t.steps.find((s) => s.id === 'merge-plan')!.outputs).toMatchObject({ inserts: 10, updates: 1, hasPatch: true });
    expect(t.steps.find((s) => s.id === 'merge-apply')!.status).toBe('finished');
  });

  it('applies nothing twice: a resume of the done run runs nothing again, and the patch run again by hand refuses itself', async () => {
    expect(again.code, again.stdout + again.stderr).toBe(EXIT.done);
    const dir = join(planned.c.stateDir, 'runs', planned.runId, 'merge');
    const patch = readdirSync(dir).filter((f) => f.endsWith('.sql'));
    expect(patch).toHaveLength(1);
    const sql = readFileSync(join(dir, patch[0]!), 'utf8');
    await expect(asApps(planned.c, sql)).rejects.toThrow(
      /dingo-recover merge refused: 10 of the 10 row\(s\) of public.drill_rows it puts back are in the table already/,
    );
    // In a superuser's session, SET ROLE or not, it refuses before anything else.
    await expect(inLeader(planned.c, `SET ROLE appuser;\n${sql}`)).rejects.toThrow(
      'dingo-recover merge refused: the patch runs logged in as appuser, the role apps bind with, not as postgres',
    );
    expect(await inLeader(planned.c, `SELECT count(*), count(*) FILTER (WHERE note = md5(id::text)) FROM ${DRILL_TABLE}`)).toBe(
      `${String(lastId() + 1)}|${String(lastId())}\n`,
    );
  });

  it('writes no secret to the run folder, the output or a command line, the leader’s passwords included', () => {
    // The leader's role password was used: the real server asks it of appuser (scram-sha-256), on standard input.
    expect(planned.c.secrets.others).toContain(OLD_ROLES.appuser);
    assertSecretsAbsent(planned.c, planned.runId, [planned.run, applied, again].map((r) => r.stdout + r.stderr).join('\n'));
    const argvs = readFileSync(planned.c.env.FAKE_CLI_LOG!, 'utf8');
    for (const p of [...planned.c.secrets.passwords, ...Object.values(OLD_ROLES)]) expect(argvs).not.toContain(p);
  });
});
