/**
 * Stepping through time on one copy, on real parts: a real PostgreSQL 15 archive whose rows were
 * committed in four batches about a second apart, moto for S3 (every object the restore fetches
 * recorded on the way), the drill's scratch PostgreSQL 15 paused at each moment as a hot standby.
 * A later moment is reached from the paused copy without fetching the base backup again; an earlier
 * one is restored again from the base backup; the moment kept is promoted and dumped.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreTimeCopyActions } from '../../../src/actions/restore-time/copy.js';
import { restoreTimeDumpActions } from '../../../src/actions/restore-time/dump.js';
import { scratchFolder } from '../../../src/actions/support/restore-copy.js';
import { startMoto, type Moto } from '../../support/moto.js';
import { pitrContext, RESTORE_TO_TIME_MS } from '../../support/pitr-context.js';
import { recordingStore } from '../../support/recording-store.js';
import { DRILL_TABLE, PG_BIN, generateWaleArchive, uploadArchive, type GeneratedArchive } from '../../support/wale-archive.js';
import { tearDownDrill } from '../../support/drill-fixtures.js';

const BUCKET = 'pitr-step';
const PREFIX = 'backups/orders/wal/';
const URL = `s3://${BUCKET}/${PREFIX}`;
const run = promisify(execFile);

let moto: Moto;
let archive: GeneratedArchive;
let dir: string;
const runIds: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restore-step-'));
  [moto, archive] = await Promise.all([
    startMoto(),
    generateWaleArchive({ dir, rowsBefore: 100, rowsAfter: 0, batches: { count: 4, rows: 10 }, partitions: 2 }),
  ]);
  await moto.createBucket(BUCKET);
  await uploadArchive(moto.store, archive.root, BUCKET, PREFIX);
});

afterAll(async () => {
  await Promise.all(runIds.map((id) => rm(scratchFolder(tmpdir(), id), { recursive: true, force: true })));
  await tearDownDrill({ moto, archive, dir });
});

const action = (name: string) => [...restoreTimeCopyActions, ...restoreTimeDumpActions].find((a) => a.name === name)!;

const between = (a: Date, b: Date): Date => new Date((a.getTime() + b.getTime()) / 2);

/** The ids of the table's rows in a dump, as pg_restore writes its data. */
async function idsIn(file: string): Promise<number[]> {
  const { stdout } = await run(join(PG_BIN, 'pg_restore'), ['--data-only', '-t', DRILL_TABLE, '-f', '-', file]);
  const copy = stdout.split('\n');
  const from = copy.findIndex((l) => l.startsWith(`COPY public.${DRILL_TABLE} `));
  return copy.slice(from + 1, copy.indexOf('\\.', from)).map((l) => Number(l.split('\t')[0]));
}

describe('restore-to-time stepping through time on one copy', { timeout: RESTORE_TO_TIME_MS }, () => {
  it('moves a paused copy forward without the base backup, restores an earlier moment again, and dumps the promoted copy kept', async () => {
    const [b1, b2, b3, b4] = archive.batches;
    const t0 = between(b1!.committed, b2!.before);
    const t1 = between(b2!.committed, b3!.before);
    const t2 = between(b3!.committed, b4!.before);
    const { store, fetched } = recordingStore(moto.store);
    // Where the fetches stood when each question was asked: what each restore fetched lies between.
    const marks: number[] = [];
    const answers = [t2.toISOString(), t0.toISOString(), ''];
    const runDir = await mkdtemp(join(dir, 'run-'));
    runIds.push(basename(runDir));
    const { ctx, said } = pitrContext(
      store,
      runDir,
      {},
      {
        interactive: true,
        input: () => {
          marks.push(fetched.length);
          return Promise.resolve(answers.shift() ?? '');
        },
      },
    );
    const restored = await action('pitr.restore').run(
      ctx,
      { url: URL, target: ['--target-time', t1.toISOString()], instance: 'orders', copyName: 'orders-step' },
      {},
    );
    expect(marks).toHaveLength(3);

    // Each moment looked at, at its pause, in the order asked: T1, then T2 a step ahead, then T0 behind.
    expect(said.filter((t) => t.includes(`public.${DRILL_TABLE}:`))).toEqual([
      expect.stringContaining(`public.${DRILL_TABLE}: 120 rows`),
      expect.stringContaining(`public.${DRILL_TABLE}: 130 rows`),
      expect.stringContaining(`public.${DRILL_TABLE}: 110 rows`),
    ]);
    const looked = said.filter((t) => t.startsWith('looked inside in '));
    expect(looked).toEqual(
      [t1, t2, t0].map((m) => expect.stringContaining(`the copy paused as it was at ${m.toISOString()} (a hot standby`)),
    );

    const isBase = (k: string) => k.startsWith(`${PREFIX}basebackups_005/`) && k.includes('/tar_partitions/');
    const isWal = (k: string) => /\/wal_005\/[0-9A-F]{24}\.lzo$/.test(k);
    const first = fetched.slice(0, marks[0]);
    const second = fetched.slice(marks[0], marks[1]);
    const third = fetched.slice(marks[1], marks[2]);
    // T1: the base backup and its WAL.
    expect(first.filter(isBase)).toHaveLength(2);
    expect(first.filter(isWal).length).toBeGreaterThan(0);
    // T2: no partition of the base backup, no WAL segment fetched twice.
    expect(second.filter(isBase)).toEqual([]);
    expect(second.filter((k) => isWal(k) && first.includes(k))).toEqual([]);
    expect(said).toContain(
      `moving the copy paused as it was at ${t1.toISOString()} forward: replay goes on from there, no base backup is fetched again`,
    );
    // T0, behind the copy: the base backup again, and the operator told why.
    expect(third.filter(isBase)).toHaveLength(2);
    expect(said.some((t) => t.startsWith(`the copy paused as it was at ${t2.toISOString()} cannot go back or elsewhere`))).toBe(true);

    // Kept at T0: promoted (no base backup fetched for it), then dumped with the rows of that moment.
    expect(fetched.slice(marks[2]).filter(isBase)).toEqual([]);
    expect(said).toContain(`promoted the copy as it was at ${t0.toISOString()}: its recovery ended there`);
    expect(restored).toMatchObject({ restored: true, time: t0.toISOString(), databases: ['postgres'] });
    const dataDir = restored.dataDir as string;
    // A promoted copy: recovery is over (its signal file consumed), so the dump reads a primary.
    await expect(stat(join(dataDir, 'recovery.signal'))).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(dataDir, 'postgresql.auto.conf'), 'utf8')).toContain(`recovery_target_action = 'promote'`);
    const dumped = await action('pitr.dump').run(
      ctx,
      {
        restored: true,
        dataDir,
        url: URL,
        target: restored.target,
        major: '15',
        databases: [],
        found: restored.databases,
        copyName: restored.copyName,
      },
      {},
    );
    expect(dumped.dataDir).toBe(dataDir);
    const ids = await idsIn((dumped.dumps as { file: string }[])[0]!.file);
    expect(ids).toHaveLength(110);
    expect(Math.max(...ids)).toBe(b1!.lastId);
  });
});
