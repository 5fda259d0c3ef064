/**
 * A bad write undone, as the README tells an operator to do it: the live important-db's archive (a real
 * PostgreSQL 15 archive: 100 rows, a batch of 10, then a DELETE of every row past 50 in a transaction
 * of its own) is scanned with `archive mistakes` in moto, which points out the DELETE and proposes the
 * stop just before it; restore-to-time rehearsed with that transaction (targetXid, targetExclusive)
 * brings back every row the DELETE removed, in a dump that is proven to restore, and says so.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMistakesCommand } from '../../../src/commands/archive/mistakes.js';
import { runCli } from '../../support/cli.js';
import { LIVE_GUID, restorableLiveScenario } from '../../support/live-instance-scenario.js';
import { startMoto, type Moto } from '../../support/moto.js';
import { ifStarted } from '../../support/started.js';
import { DRILL_TABLE, PG_BIN, uploadArchive, type GeneratedArchive } from '../../support/wale-archive.js';

const BUCKET = 'our-postgresql-backups';
const PREFIX = `backups/${LIVE_GUID}/wal/`;
const run = promisify(execFile);

let dir: string;
let moto: Moto | undefined;
let scenario: string;
let archive: GeneratedArchive;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bad-write-'));
  moto = await startMoto();
  ({ scenario, archive } = await restorableLiveScenario(dir, {
    rowsBefore: 100,
    rowsAfter: 0,
    batches: { count: 1, rows: 10 },
    mistakes: [`delete from ${DRILL_TABLE} where id > 50`],
  }));
  await moto.createBucket(BUCKET);
  await uploadArchive(moto.store, archive.root, BUCKET, PREFIX);
  Object.assign(process.env, moto.env, { AWS_ACCESS_KEY_ID: 'AKIABADWRITE0001', AWS_SECRET_ACCESS_KEY: 'bad-write-secret' });
});

afterAll(async () => {
  await ifStarted(moto)?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The ids of the table's rows in a dump, as pg_restore writes its data. */
async function idsIn(file: string): Promise<number[]> {
  const { stdout } = await run(join(PG_BIN, 'pg_restore'), ['--data-only', '-t', DRILL_TABLE, '-f', '-', file]);
  const copy = stdout.split('\n');
  const from = copy.findIndex((l) => l.startsWith(`COPY public.${DRILL_TABLE} `));
  return copy.slice(from + 1, copy.indexOf('\\.', from)).map((l) => Number(l.split('\t')[0]));
}

describe('a bad write found with archive mistakes and undone by restore-to-time', () => {
  it('restores the database just before the DELETE archive mistakes points out, every deleted row back', async () => {
    let stdout = '';
    const code = await runMistakesCommand(
      { url: `s3://${BUCKET}/${PREFIX}`, s3Endpoint: moto!.endpoint, s3PathStyle: true, massRows: 10, deadline: '2m', json: true },
      { stdout: (t) => (stdout += t), stderr: () => undefined },
    );
    expect(code, stdout).toBe(0);
    const found = (
      JSON.parse(stdout) as { report: { suspects: { xid: string; flags: string[] }[]; proposal: { xid: string; exclusive: boolean } } }
    ).report;
    const xid = archive.mistakes[0]!.xid;
    expect(found.suspects.map((s) => s.xid)).toEqual([xid]);
    expect(found.suspects[0]!.flags).toEqual([`DELETE 60 rows of postgres: public.${DRILL_TABLE}`]);
    expect(found.proposal).toMatchObject({ xid, exclusive: true });

    // The proposal taken into restore-to-time's answers: the transaction, left out.
    const answers = join(dir, 'answers.yaml');
    await writeFile(
      answers,
      `inputs:\n  org: acme\n  space: important-space-and-all-databases\n  instance: important-db\n  targetXid: ${found.proposal.xid}\n  targetExclusive: true\n`,
    );
    const state = join(dir, 'state');
    const r = await runCli(
      ['rehearse', '--scenario', scenario, '--runbook', 'restore-to-time', '--answers', answers, '--yes', '--state-dir', state],
      {},
    );
    const text = r.stdout + r.stderr;
    expect(r.code, text).toBe(0);
    expect(text).toContain(`the database as it was just before transaction ${xid}; the copy is important-db-before-xid-${xid}`);
    const [runId] = await readdir(join(state, 'runs'));
    const report = await readFile(join(state, 'runs', runId!, 'report.md'), 'utf8');
    expect(report).toContain(`The database of ${LIVE_GUID} ("important-db") as it was just before transaction ${xid}`);
    expect(report).toMatch(new RegExp(`PostgreSQL stopped replay before commit of transaction ${xid}\\b`));
    const folder = join(state, 'runs', runId!, 'dumps', `important-db-before-xid-${xid}`);
    const [dump] = await readdir(folder);
    expect(await idsIn(join(folder, dump!))).toEqual(Array.from({ length: 110 }, (_, i) => i + 1));
    // The scan, a real scratch server's restore, its dump and the dump's proof: past the default minute on a
    // loaded 2-core machine whose fresh memory is slow (the restore-to-time merge's test allows as long).
  }, 300_000);
});
