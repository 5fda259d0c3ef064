/**
 * The timeline a restored node runs on, from its control file read the moment it left recovery, on
 * real servers promoted as Patroni promotes a Dingo node (`pg_ctl promote`, a fast promotion): its
 * latest checkpoint still names timeline 1 until the checkpoint the promotion asks for is done, which
 * with pages to write is spread over minutes, while the minimum recovery point names timeline 2; after
 * that checkpoint, the checkpoint names 2 and the minimum recovery point is cleared. On PostgreSQL 15,
 * read by pg_controldata as the restore wait reads it; on 10, the oldest major here and a standby of
 * recovery.conf as Dingo's 9.4 and 9.5 are, read from global/pg_control in 10's layout (its package
 * has no pg_controldata) and given to the wait's reader in pg_controldata's words.
 */
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promotedTimeline } from '../../src/actions/support/restore-proof.js';
import { parsePgControl } from '../../src/systems/pg-control.js';
import { RESOLVED } from '../../src/systems/pg-control-layouts.js';
import { freshTestCluster } from '../support/fresh-cluster.js';
import { pgBinOf } from '../support/pg-majors.js';
import { PG_BIN } from '../support/pg-volumes.js';
import { openTestPostgres, type TestPostgres } from '../support/test-postgres.js';

interface Major {
  major: string;
  bin: string;
  /** Server settings that make the next start a standby's with nothing to fetch (restore_command fails). */
  settings: [string, string][];
  /**
   * The file, and its text, written into the stopped cluster's data folder, as its account's (the
   * server renames recovery.conf to recovery.done at the promotion, and opens it first): the next
   * start is a standby's.
   */
  standby: [name: string, text: string];
  /** What the restore wait reads: pg_controldata's lines. */
  controlData(pg: TestPostgres, data: string): Promise<string>;
}

/** The control file's state and both timelines, in the words pg_controldata prints them (pg_controldata.c). */
function controlWords(data: string, major: string): string {
  const file = readFileSync(join(data, 'global', 'pg_control'));
  const control = parsePgControl(file, major);
  const layout = RESOLVED.find((r) => r.layout.name === control.layout)!;
  const at = layout.control.offsets.get('minRecoveryPointTLI');
  if (at === undefined) throw new Error(`the ${control.layout} layout has no minRecoveryPointTLI`);
  const minRecoveryTli = file.readUInt32LE(at);
  return [
    `Database cluster state:               ${control.state}`,
    `Latest checkpoint's TimeLineID:       ${control.timeline}`,
    `Min recovery ending loc's timeline:   ${minRecoveryTli}`,
    '',
  ].join('\n');
}

const MAJORS: Major[] = [
  {
    major: '15',
    bin: PG_BIN,
    settings: [['restore_command', 'false']],
    standby: ['standby.signal', ''],
    controlData: async (pg, data) => (await pg.scratch.sandbox.runOk([join(PG_BIN, 'pg_controldata'), data])).stdout,
  },
  {
    major: '10',
    bin: pgBinOf('10'),
    settings: [],
    standby: ['recovery.conf', "standby_mode = 'on'\nrestore_command = 'false'\n"],
    controlData: (_pg, data) => Promise.resolve(controlWords(data, '10')),
  },
];

const line = (control: string, label: string): string | undefined =>
  control
    .split('\n')
    .find((l) => l.startsWith(label))
    ?.slice(label.length)
    .trim();

describe.each(MAJORS)("a node's timeline on PostgreSQL $major, read as the restore wait reads it", (m) => {
  let dir: string;
  let data: string;
  let pg: TestPostgres;
  const controlData = (): Promise<string> => m.controlData(pg, data);
  /** The server's answer to pg_is_in_recovery(). */
  const inRecovery = async (): Promise<string> => (await pg.psql('postgres', ['-A', '-t', '-c', 'select pg_is_in_recovery()'])).trim();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'promoted-timeline-'));
    data = join(dir, 'data');
    await freshTestCluster(m.bin, data);
    pg = await openTestPostgres({ dataDir: data, bin: m.bin, clientBin: PG_BIN, settings: m.settings });
    await pg.start();
    // Pages the standby dirties as it replays, which the checkpoint after the promotion must write.
    await pg.psql('postgres', ['-c', 'create table rows_written as select g from generate_series(1, 200000) g']);
    // No shutdown checkpoint: the table's WAL is replayed at the next start, as a restore replays the archive's.
    await pg.stop('immediate');
    const [name, text] = m.standby;
    writeFileSync(join(data, name), text);
    chownSync(join(data, name), pg.scratch.sandbox.account.uid, pg.scratch.sandbox.account.gid);
    await pg.start();
  }, 120_000);

  afterAll(() =>
    pg.close().finally(() => {
      rmSync(dir, { recursive: true, force: true });
    }),
  );

  it('is 1 while it replays', async () => {
    expect(await inRecovery()).toBe('t');
    const control = await controlData();
    expect(line(control, 'Database cluster state:')).toBe('in archive recovery');
    expect(promotedTimeline(control)).toBe(1);
  });

  it("is 2 once `pg_ctl promote` returns, though the latest checkpoint still names 1: the minimum recovery point's", async () => {
    await pg.scratch.sandbox.runOk([join(m.bin, 'pg_ctl'), 'promote', '-w', '-D', data]);
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
