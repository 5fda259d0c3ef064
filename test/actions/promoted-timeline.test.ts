/**
 * The timeline a restored node runs on, from pg_controldata read the moment it left recovery, on a real
 * PostgreSQL 15 promoted as Patroni promotes a Dingo node (`pg_ctl promote`, a fast promotion): its
 * latest checkpoint still names timeline 1 until the checkpoint the promotion asks for is done, which
 * with pages to write is spread over minutes, while the minimum recovery point names timeline 2; after
 * that checkpoint, the checkpoint names 2 and the minimum recovery point is cleared.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promotedTimeline } from '../../src/actions/support/restore-proof.js';
import { freshTestCluster } from '../support/fresh-cluster.js';
import { PG_BIN } from '../support/pg-volumes.js';
import { openTestPostgres, type TestPostgres } from '../support/test-postgres.js';

let dir: string;
let data: string;
let pg: TestPostgres;

/** pg_controldata of the cluster, run in its sandbox as its account. */
async function controlData(): Promise<string> {
  const r = await pg.scratch.sandbox.runOk([join(PG_BIN, 'pg_controldata'), data]);
  return r.stdout;
}

const line = (control: string, label: string): string | undefined =>
  control
    .split('\n')
    .find((l) => l.startsWith(label))
    ?.slice(label.length)
    .trim();

/** The server's answer to pg_is_in_recovery(). */
const inRecovery = async (): Promise<string> => (await pg.psql('postgres', ['-A', '-t', '-c', 'select pg_is_in_recovery()'])).trim();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'promoted-timeline-'));
  data = join(dir, 'data');
  await freshTestCluster(PG_BIN, data);
  // A standby with nothing to fetch: restore_command fails, so it replays what pg_wal holds and waits.
  pg = await openTestPostgres({ dataDir: data, bin: PG_BIN, settings: [['restore_command', 'false']] });
  await pg.start();
  // Pages the standby dirties as it replays, which the checkpoint after the promotion must write.
  await pg.psql('postgres', ['-c', 'create table rows_written as select g from generate_series(1, 200000) g']);
  // No shutdown checkpoint: the table's WAL is replayed at the next start, as a restore replays the archive's.
  await pg.stop('immediate');
  writeFileSync(join(data, 'standby.signal'), '');
  await pg.start();
}, 120_000);

afterAll(() =>
  pg.close().finally(() => {
    rmSync(dir, { recursive: true, force: true });
  }),
);

describe("a node's timeline, read as the restore wait reads it", () => {
  it('is 1 while it replays', async () => {
    expect(await inRecovery()).toBe('t');
    const control = await controlData();
    expect(line(control, 'Database cluster state:')).toBe('in archive recovery');
    expect(promotedTimeline(control)).toBe(1);
  });

  it("is 2 once `pg_ctl promote` returns, though the latest checkpoint still names 1: the minimum recovery point's", async () => {
    await pg.scratch.sandbox.runOk([join(PG_BIN, 'pg_ctl'), 'promote', '-w', '-D', data]);
    expect(await inRecovery()).toBe('f');
    const control = await controlData();
    expect(line(control, "Latest checkpoint's TimeLineID:")).toBe('1');
    expect(line(control, "Min recovery ending loc's timeline:")).toBe('2');
    expect(promotedTimeline(control)).toBe(2);
  });

  it("is 2 after the checkpoint: the checkpoint's, the minimum recovery point cleared", async () => {
    await pg.psql('postgres', ['-c', 'checkpoint']);
    const control = await controlData();
    expect(line(control, "Latest checkpoint's TimeLineID:")).toBe('2');
    expect(line(control, "Min recovery ending loc's timeline:")).toBe('0');
    expect(promotedTimeline(control)).toBe(2);
  });
});
