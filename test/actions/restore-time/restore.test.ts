/**
 * restore-to-time's restore and dump on real parts: a real PostgreSQL 15 archive whose rows were
 * committed in batches about a second apart (each commit bracketed by clock readings), moto for
 * S3, the drill's scratch PostgreSQL 15 replaying up to the moment, pg_dump and pg_restore 15.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreTimeCopyActions } from '../../../src/actions/restore-time/copy.js';
import { restoreTimeDumpActions } from '../../../src/actions/restore-time/dump.js';
import { scratchFolder } from '../../../src/actions/support/restore-copy.js';
import { volumesProofActions } from '../../../src/actions/volumes-proofs.js';
import { NeedsOperator, StepFailed } from '../../../src/core/errors.js';
import { restoreTimeTargetActions } from '../../../src/actions/restore-time/target.js';
import type { StepContext } from '../../../src/engine/executor/index.js';
import { startMoto, type Moto } from '../../support/moto.js';
import { NO_TARGET, pitrContext, RESTORE_TO_TIME_MS } from '../../support/pitr-context.js';
import {
  DRILL_TABLE,
  PG_BIN,
  generateWaleArchive,
  removeArchive,
  uploadArchive,
  type GeneratedArchive,
} from '../../support/wale-archive.js';
import { ifStarted } from '../../support/started.js';
import { tearDownDrill } from '../../support/drill-fixtures.js';

const BUCKET = 'pitr-runbook';
const URL = `s3://${BUCKET}/backups/orders/wal/`;
const run = promisify(execFile);

let moto: Moto;
let archive: GeneratedArchive;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restore-to-time-'));
  [moto, archive] = await Promise.all([
    startMoto(),
    generateWaleArchive({ dir, rowsBefore: 100, rowsAfter: 0, batches: { count: 3, rows: 10, backupAfter: 2 }, partitions: 2 }),
  ]);
  await moto.createBucket(BUCKET);
  await uploadArchive(moto.store, archive.root, BUCKET, 'backups/orders/wal/');
});

/** The runs of the tests: their scratch copies are removed whatever a test's end. */
const runIds: string[] = [];

afterAll(async () => {
  await Promise.all(runIds.map((id) => rm(scratchFolder(tmpdir(), id), { recursive: true, force: true })));
  await tearDownDrill({ moto, archive, dir });
});

const action = (name: string) =>
  [...restoreTimeTargetActions, ...restoreTimeCopyActions, ...restoreTimeDumpActions, ...volumesProofActions].find((a) => a.name === name)!;

/** The operator at a terminal, answering each question in turn. */
interface Operator {
  interactive: true;
  asked: string[];
  input(q: { message: string }): Promise<string>;
}

function operator(answers: string[]): Operator {
  const asked: string[] = [];
  return {
    interactive: true,
    asked,
    input: (q) => {
      asked.push(q.message);
      return Promise.resolve(answers.shift() ?? '');
    },
  };
}

function context(
  runDir: string,
  choose: Record<string, string> = {},
  prompts: Operator | { interactive: false } = { interactive: false },
): { ctx: StepContext; said: string[] } {
  runIds.push(basename(runDir));
  return pitrContext(moto.store, runDir, choose, prompts);
}

const stamp = (at: Date): string => at.toISOString().slice(0, 16).replace(/[-:]/g, '');
const between = (a: Date, b: Date): Date => new Date((a.getTime() + b.getTime()) / 2);
const params = (time: Date) => ({ url: URL, target: ['--target-time', time.toISOString()], instance: 'orders', copyName: 'orders-at-x' });

/** pitr.dump's parameters for what pitr.restore answered: the databases asked for (none: every one found). */
function dumpParams(restored: Record<string, unknown>, databases: string[]): Record<string, unknown> {
  return {
    restored: true,
    dataDir: restored.dataDir,
    url: URL,
    target: restored.target,
    major: '15',
    databases,
    found: restored.databases,
    copyName: restored.copyName,
  };
}

/** The ids of the table's rows in a dump, as pg_restore writes its data. */
async function idsIn(file: string): Promise<number[]> {
  const { stdout } = await run(join(PG_BIN, 'pg_restore'), ['--data-only', '-t', DRILL_TABLE, '-f', '-', file]);
  const copy = stdout.split('\n');
  const from = copy.findIndex((l) => l.startsWith(`COPY public.${DRILL_TABLE} `));
  const to = copy.indexOf('\\.', from);
  return copy.slice(from + 1, to).map((l) => Number(l.split('\t')[0]));
}

describe('restore-to-time on a real archive', { timeout: RESTORE_TO_TIME_MS }, () => {
  it('dumps the database as it was between two writes: the first in, the second out, files 0600 and proven to restore', async () => {
    const [first, second] = archive.batches;
    const runDir = await mkdtemp(join(dir, 'run-'));
    const { ctx, said } = context(runDir);
    // A copy an interrupted attempt of the step left: removed when the step runs again.
    const leftover = join(scratchFolder(tmpdir(), basename(runDir)), 'dingo-drill-interrupted');
    await mkdir(join(leftover, 'data'), { recursive: true });
    const restored = await action('pitr.restore').run(ctx, params(between(first!.committed, second!.before)), {});
    expect(said).toContain(`removed ${leftover}, a copy an interrupted attempt left`);
    await expect(stat(leftover)).rejects.toThrow(/ENOENT/);
    expect(restored).toMatchObject({
      restored: true,
      major: '15',
      databases: ['postgres'],
      backup: expect.stringContaining(archive.backups[0]!.name),
    });
    expect(said.join('\n')).toMatch(new RegExp(`public\\.${DRILL_TABLE}: 110 rows`));
    const dumped = await action('pitr.dump').run(ctx, dumpParams(restored, []), {});
    const dumps = dumped.dumps as { file: string; database: string }[];
    expect(dumps.map((d) => d.database)).toEqual(['postgres']);
    const file = dumps[0]!.file;
    expect(file.startsWith(join(runDir, 'dumps', 'orders-at-x'))).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const ids = await idsIn(file);
    expect(ids).toHaveLength(110);
    expect(ids).toContain(first!.lastId);
    expect(Math.max(...ids)).toBe(first!.lastId);
    expect(ids).not.toContain(second!.lastId);
    const verified = await action('volumes.verify-dumps').run(ctx, { dumps: dumped.dumps }, {});
    expect(verified).toEqual({ verified: [file] });
    // The scratch copy, the user's whole database in the temp folder, goes once its dumps are proven.
    expect(await action('pitr.remove-scratch').run(ctx, {}, {})).toEqual({ removed: scratchFolder(tmpdir(), basename(runDir)) });
    await expect(stat(restored.dataDir as string)).rejects.toThrow(/ENOENT/);
  });

  it('stops on a moment out of reach naming the earliest and latest moments, and a resume restores another moment given', async () => {
    const [, second, third] = archive.batches;
    for (const [moment, why] of [
      [new Date(archive.batches[0]!.before.getTime() - 3600_000), 'is before any base backup ended'],
      [new Date(Date.now() + 3600_000), 'is after the newest archived WAL'],
    ] as const) {
      const { ctx: stopped } = context(await mkdtemp(join(dir, 'run-')));
      const err = await action('pitr.restore')
        .run(stopped, params(moment), {})
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NeedsOperator);
      // Nothing restored is kept: not even the run's empty scratch folder is left in the temp folder.
      await expect(stat(scratchFolder(tmpdir(), stopped.runId))).rejects.toThrow(/ENOENT/);
      const { message, hint } = err as NeedsOperator;
      expect(message).toContain(`the moment ${moment.toISOString()} ${why}`);
      const range = /reaches from (\S+) \(the earliest base backup ended\) to (\S+) \(WAL/.exec(message);
      expect(range, message).not.toBeNull();
      expect(message).toContain(`: another moment between ${range![1]} and ${range![2]} is needed`);
      expect(hint).toBe(
        `choose the candidates of moment: the runbook's hint for moment; give it in an answers file of your own (choose: {moment: ${range![2]}}) and continue with \`dingo-recover resume test-run --answers FILE\`; --yes never chooses`,
      );
    }
    const other = between(second!.committed, third!.before);
    const { ctx } = context(await mkdtemp(join(dir, 'run-')), { moment: other.toISOString() });
    const early = new Date(archive.batches[0]!.before.getTime() - 3600_000);
    const restored = await action('pitr.restore').run(ctx, { ...params(early), copyName: 'orders-at-19700101T0000' }, {});
    expect(restored).toMatchObject({ restored: true, time: other.toISOString() });
    // The copy gone before the dump (the temp folder cleared, a reboot): the dump restores the same moment again.
    await rm(dirname(restored.dataDir as string), { recursive: true, force: true });
    const dumped = await action('pitr.dump').run(ctx, dumpParams(restored, ['postgres']), {});
    expect(dumped.dataDir).not.toBe(restored.dataDir);
    const ids = await idsIn((dumped.dumps as { file: string }[])[0]!.file);
    expect(Math.max(...ids)).toBe(second!.lastId);
    expect(ids).toHaveLength(120);
  });

  it('at a terminal, shows the copy at the moment and moves the same copy on to a later moment the operator types', async () => {
    const [first, second, third] = archive.batches;
    const other = between(second!.committed, third!.before);
    const at = operator([other.toISOString(), '']);
    const { ctx, said } = context(await mkdtemp(join(dir, 'run-')), {}, at);
    const moment = between(first!.committed, second!.before);
    const restored = await action('pitr.restore').run(ctx, { ...params(moment), copyName: `orders-at-${stamp(moment)}` }, {});
    expect(at.asked).toHaveLength(2);
    expect(at.asked[0]).toMatch(/^Keep the database as it was at .+\? Enter to keep it, or type a moment to restore to instead$/);
    // Each question names what the copy holds then: the rows of its tables.
    expect(at.asked[0]).toMatch(new RegExp(`^Keep the database as it was at \\S+ \\(.*public\\.${DRILL_TABLE} 110 rows.*\\)\\? Enter`));
    expect(at.asked[1]).toContain(`public.${DRILL_TABLE} 120 rows`);
    // What each copy held was shown before the question about it.
    expect(said.filter((t) => t.includes(`public.${DRILL_TABLE}:`))).toEqual([
      expect.stringContaining(`public.${DRILL_TABLE}: 110 rows`),
      expect.stringContaining(`public.${DRILL_TABLE}: 120 rows`),
    ]);
    expect(restored).toMatchObject({ restored: true, time: other.toISOString() });
    // A name the operator left to the default follows the moment kept.
    expect(restored.copyName).toBe(`orders-at-${stamp(other)}`);
    const copies = said.filter((t) => t.startsWith('restored base_')).length;
    expect(copies).toBe(2);
    // One copy, paused at the first moment, moved on to the second: none passed over, no other folder made.
    expect(said).toContain(
      `moving the copy paused as it was at ${moment.toISOString()} forward: replay goes on from there, no base backup is fetched again`,
    );
    expect(said.filter((t) => t.startsWith('removed the copy '))).toEqual([]);
    expect(await readdir(scratchFolder(tmpdir(), ctx.runId))).toEqual([basename(dirname(restored.dataDir as string))]);
    await stat(restored.dataDir as string);
  });
});

describe('restore-to-time to a transaction on a real archive', { timeout: RESTORE_TO_TIME_MS }, () => {
  const MISTAKES = 'pitr-mistakes';
  const MISTAKES_URL = `s3://${MISTAKES}/backups/orders/wal/`;
  let bad: GeneratedArchive;

  beforeAll(async () => {
    // 110 rows, then the bad write: a DELETE of every row past 50, in a transaction of its own.
    bad = await generateWaleArchive({
      dir: await mkdtemp(join(dir, 'mistakes-')),
      rowsBefore: 100,
      rowsAfter: 0,
      batches: { count: 1, rows: 10 },
      mistakes: [`delete from ${DRILL_TABLE} where id > 50`],
    });
    await moto.createBucket(MISTAKES);
    await uploadArchive(moto.store, bad.root, MISTAKES, 'backups/orders/wal/');
  });

  afterAll(async () => {
    const made = ifStarted(bad);
    if (made) await removeArchive(made);
  });

  /** pitr.target read from the inputs, then pitr.restore and pitr.dump as the runbook chains them; the ids in the dump. */
  async function restoreTo(inputs: Record<string, unknown>): Promise<{ restored: Record<string, unknown>; ids: number[] }> {
    const { ctx } = context(await mkdtemp(join(dir, 'run-')));
    const read = await action('pitr.target').run(ctx, { ...NO_TARGET, ...inputs, instance: 'orders', copyName: '' }, {});
    const restored = await action('pitr.restore').run(
      ctx,
      { url: MISTAKES_URL, target: read.target, instance: 'orders', copyName: read.copyName },
      {},
    );
    const dumped = await action('pitr.dump').run(ctx, { ...dumpParams(restored, ['postgres']), url: MISTAKES_URL }, {});
    return { restored, ids: await idsIn((dumped.dumps as { file: string }[])[0]!.file) };
  }

  it('brings back the rows just before the DELETE with targetXid and targetExclusive, and without them after it', async () => {
    const xid = bad.mistakes[0]!.xid;
    const before = await restoreTo({ targetXid: xid, targetExclusive: true });
    expect(before.restored).toMatchObject({
      restored: true,
      target: ['--target-xid', xid, '--target-exclusive'],
      describe: `as it was just before transaction ${xid}`,
      time: '',
      copyName: `orders-before-xid-${xid}`,
      stoppedBefore: '',
      stopped: expect.stringMatching(new RegExp(`^before commit of transaction ${xid}\\b`)),
    });
    expect(before.ids).toEqual(Array.from({ length: 110 }, (_, i) => i + 1));
    const after = await restoreTo({ targetXid: xid });
    expect(after.restored).toMatchObject({
      describe: `as it was just after transaction ${xid} committed`,
      copyName: `orders-at-xid-${xid}`,
    });
    expect(after.ids).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('refuses a transaction the archived WAL does not hold, as the drill does, restoring nothing', async () => {
    const { ctx } = context(await mkdtemp(join(dir, 'run-')));
    const err = await action('pitr.restore')
      .run(ctx, { url: MISTAKES_URL, target: ['--target-xid', '4000000000', '--target-exclusive'], instance: 'orders', copyName: 'x' }, {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toContain('the archive did not restore the database as it was just before transaction 4000000000');
    expect((err as StepFailed).message).toContain('without meeting transaction 4000000000');
    expect((err as StepFailed).hint).toContain('archive mistakes lists the transactions');
    await expect(stat(scratchFolder(tmpdir(), ctx.runId))).rejects.toThrow(/ENOENT/);
  });
});
