/**
 * The drill on a cell whose store fills half-way: the free-space check passed, then other tenants'
 * databases wrote to the same disk while the archive streamed in. And its wait for recovery, timed
 * by the pauses it is given (a rehearsal's take no real time), against a server that never ends it. Against the simulated cell
 * (src/rehearsal/cell-drill-sim.ts and cell-drill-run.ts: Docker 1.11, the image's GNU tar refusing what the disk cannot
 * hold) with a 9.5 archive whose objects are real lzop files (test/support/live/old-archive.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CellDocker } from '../../src/adapters/docker.js';
import { Redactor } from '../../src/core/redact.js';
import { runCellDrill, type CellDrillOptions, type CellProgress } from '../../src/drill/cell-drill.js';
import { DrillFailed } from '../../src/drill/exit-codes.js';
import type { CommandRunner } from '../../src/core/seams.js';
import { simulateCell, type CellWorld } from '../../src/rehearsal/cell-sim.js';
import type { Holdings } from '../../src/rehearsal/cell-world.js';
import { localProcesses } from '../../src/systems/local-processes.js';
import { putAll } from '../support/archive-fixture.js';
import { oldArchive, OLD_GUID, OLD_SYSID } from '../support/live/shared.js';
import { TestStore } from '../support/memory-store.js';
import { sampleCell } from '../support/sample-cell.js';
import { simRunner } from '../support/sim-runner.js';

const BUCKET = 'our-postgresql-backups';
const PREFIX = `backups/${OLD_GUID}/wal/`;
const IMAGE = 'cfcommunity/postgresql-patroni:9.5';
/** Room the drill's check asks for this archive: its sizes with a margin, and a GiB (about 1.15 GiB). */
const CHECKED_KB = 1_300_000;

const store = new TestStore(BUCKET);
let dir = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cell-drill-full-'));
  await putAll(
    store,
    BUCKET,
    oldArchive().map(([key, body]) => [`${PREFIX}${key}`, body]),
  );
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

type DrillCell = CellWorld & {
  storeFreeKb?: number;
  othersWriteKb?: number;
  drills?: Record<string, { pollsLeft: number; running: boolean; logs: string[] }>;
  drillData?: Record<string, unknown>;
};

function drillOn(cell: DrillCell, runner: CommandRunner = simRunner(cell)): CellDrillOptions {
  const redactor = new Redactor();
  return {
    url: `s3://${BUCKET}/${PREFIX}`,
    store,
    docker: new CellDocker(runner, { redactor, sudo: true }),
    cell: cell.ip,
    image: IMAGE,
    workdir: join(dir, 'work'),
    processes: localProcesses,
    redactor,
  };
}

/** What of the drill's is on the cell: its containers, its folders, the data in them. */
const leftOn = (cell: DrillCell): string[] => [
  ...Object.keys(cell.drills ?? {}),
  ...Object.keys(cell.files).filter((f) => f.includes('dingo-recover-drill-')),
  ...Object.keys(cell.drillData ?? {}),
];

describe("what the drill counts in the restored cluster (the system its archive's WAL names)", () => {
  const drillHolding = (holdings: Record<string, Holdings>) => {
    const cell: DrillCell = { ...sampleCell(), storeFreeKb: CHECKED_KB };
    return runCellDrill(drillOn(cell, simRunner(cell, { holdings: (sysid) => holdings[sysid] })));
  };

  it("counts each database's tables and rows, and warns of nothing", async () => {
    const r = await drillHolding({ [OLD_SYSID]: { postgres: { tables: 3, rows: 120 }, orders: { tables: 2, rows: 5 } } });
    expect(r).toMatchObject({ databases: ['orders', 'postgres'], tables: 5, rows: 125, warnings: [] });
  });

  it("warns when it holds no table outside PostgreSQL's own schemas, naming its databases and what to check", async () => {
    // Another system's data is known; this archive's system holds nothing of the tenant's.
    const r = await drillHolding({ '6262210099812345678': { postgres: { tables: 9, rows: 900 } } });
    expect(r).toMatchObject({ databases: ['postgres'], tables: 0, rows: 0 });
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /^the restored cluster holds no table outside PostgreSQL's own schemas \(databases: postgres\): .*dingo-recover logs find/,
      ),
    ]);
  });
});

describe('the drill on a cell whose store fills half-way', () => {
  it('drills in the image when the store keeps its room', async () => {
    const cell: DrillCell = { ...sampleCell(), storeFreeKb: CHECKED_KB };
    const r = await runCellDrill(drillOn(cell));
    expect(r.replayedTo).toBe('0/6000028');
    expect(leftOn(cell)).toEqual([]);
  });

  it('stops naming the disk and how full it is, removes its container and folder, and the space comes back', async () => {
    // The check sees 1.24 GiB free; then others write all but 8 KiB of it while the archive streams in.
    const cell: DrillCell = { ...sampleCell(), storeFreeKb: CHECKED_KB, othersWriteKb: CHECKED_KB - 8 };
    const said: string[] = [];
    const err = await runCellDrill({ ...drillOn(cell), progress: (m) => said.push(m) }).then(
      () => undefined,
      (e: unknown) => e as Error & { hint?: string },
    );
    expect(err?.message).toMatch(
      /^the cell's store filled while the archive streamed into dingo-recover-drill-[0-9a-f]{12}-load on cell 10\.58\.111\.150 \(simulated\): \/dev\/sdc1 on \/var\/vcap\/store is 100% full \([\d.]+ (B|[KMG]iB) free of 2\.5 GiB\); tar: \S+: Wrote only \d+ of \d+ bytes/,
    );
    expect(err?.hint).toContain("the drill's container and scratch folder are removed");
    expect(err?.hint).toContain('df -h /var/vcap/store on the cell');
    expect(said.some((m) => m.includes('are still on'))).toBe(false);
    expect(leftOn(cell)).toEqual([]);
    // What it wrote is given back: the 8 KiB the others left.
    expect(simulateCell(cell, { argv: ['df', '-Pk', '/var/vcap/store'], writes: false }).stdout).toMatch(/ 8 +100% \/var\/vcap\/store\n$/);
  });
});

describe("the drill's wait for recovery", () => {
  it('tells what it could not remove from the cell as left there, apart from its work, and fails naming it', async () => {
    const cell: DrillCell = { ...sampleCell(), storeFreeKb: CHECKED_KB };
    const sim = simRunner(cell);
    // The session ends as the scratch folder is removed.
    const ending: CommandRunner = {
      where: sim.where,
      run: (spec) =>
        spec.argv[0] === 'rm' && spec.argv[1] === '-rf'
          ? Promise.resolve({ exitCode: 255, stdout: '', stderr: 'Connection to 10.58.111.150 closed by remote host.\n', durationMs: 1 })
          : sim.run(spec),
    };
    const said: [string, CellProgress | undefined][] = [];
    const options = drillOn(cell);
    const err = await runCellDrill({
      ...options,
      docker: new CellDocker(ending, { redactor: options.redactor, sudo: true }),
      progress: (m, kind) => said.push([m, kind]),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DrillFailed);
    const left = said.filter(([, kind]) => kind === 'left').map(([m]) => m);
    expect(left).toEqual([
      expect.stringMatching(/^dingo-recover-drill-\w+ and \/var\/vcap\/store\/dingo-recover-drill-\w+ are still on 10\.58\.111\.150 \(/),
    ]);
    expect((err as DrillFailed).message).toBe(left[0]);
    expect(said.filter(([m, kind]) => kind === undefined && m.includes('still on'))).toEqual([]);
  });

  it('pauses with the sleep it is given and ends at its deadline, counted in the pauses taken', async () => {
    const cell: DrillCell = sampleCell();
    const pauses: number[] = [];
    const err = await runCellDrill({
      ...drillOn(cell),
      recoveryTimeoutMs: 60_000,
      // A server that never ends recovery: each pause, the simulated server has more WAL to replay.
      sleep: (ms) => {
        pauses.push(ms);
        for (const d of Object.values(cell.drills ?? {})) d.pollsLeft = 2;
        return Promise.resolve();
      },
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toBe('recovery did not end within 1 min');
    // From 500 ms, half as long again each time up to 10 s, until they add up to more than the deadline; no real minute went by.
    expect(pauses).toEqual([500, 750, 1125, 1688, 2531, 3797, 5695, 8543, 10_000, 10_000, 10_000, 10_000]);
    expect(leftOn(cell)).toEqual([]);
  });

  it('ends when the server says recovery is over, after the pauses it took', async () => {
    const cell: DrillCell = sampleCell();
    const pauses: number[] = [];
    const r = await runCellDrill({ ...drillOn(cell), sleep: (ms) => Promise.resolve(void pauses.push(ms)) });
    expect(r.replayedTo).toBe('0/6000028');
    // The simulated server is in recovery for two polls and out of it at the third (rehearsal/cell-drill-sim.ts).
    expect(pauses).toEqual([500, 750]);
  });

  it('asks the cell one command a poll while the server turns clients away, and Docker nothing', async () => {
    const cell: DrillCell = sampleCell();
    const sim = simRunner(cell);
    await runCellDrill({ ...drillOn(cell, sim), sleep: () => Promise.resolve() });
    const asked = sim.specs.map((spec) => spec.argv.join(' '));
    const polls = asked.filter((a) => a.includes('pg_is_in_recovery'));
    const from = asked.indexOf(polls[0]!);
    // Turned away twice (psql exits 2, as 9.5's postmaster turns clients away in recovery), then answered: three commands, one a poll.
    expect(polls).toHaveLength(3);
    expect(asked.slice(from, from + 3)).toEqual(polls);
  });

  it("asks Docker once psql cannot run in the container, and fails with the stopped server's FATAL lines", async () => {
    const cell: DrillCell = sampleCell();
    const FATAL = 'FATAL:  could not locate required checkpoint record';
    const err = await runCellDrill({
      ...drillOn(cell),
      // The server exits during the first pause: its container stops with it (the server is its first process).
      sleep: () => {
        for (const d of Object.values(cell.drills ?? {})) Object.assign(d, { running: false, logs: [...d.logs, FATAL] });
        return Promise.resolve();
      },
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(DrillFailed);
    expect(err?.message).toBe(`PostgreSQL stopped during recovery: ${FATAL}`);
    expect(leftOn(cell)).toEqual([]);
  });
});
