/**
 * cell.wait-restored against the simulated platform, after the runbook's stop, swap, etcd reset,
 * flush and start: it shows the container's phase from its own lines, stops at once on a line that
 * says it will never restore (or on a crash loop), takes its deadline from the archive, and proves
 * replay reached the archive's end, or ends with a warning naming what was not replayed.
 */
import { describe, expect, it } from 'vitest';
import { logLine } from '../../src/rehearsal/cell-world.js';
import { withoutKeys } from '../../src/rehearsal/json-state.js';
import { setKey } from '../../src/rehearsal/world-etcd.js';
import { archivedSysid } from '../../src/rehearsal/memory-store.js';
import type { RestoringPg } from '../../src/rehearsal/restore-replay.js';
import { StepFailed } from '../../src/core/errors.js';
import {
  CELL,
  CONTAINER,
  LEADER_KEY,
  MEMBER,
  NEW_GUID,
  OLD_GUID,
  START_PARAMS,
  STOP_PARAMS,
  WAIT_PARAMS,
  restoreWorld,
  type RestoreWorld,
} from '../support/restore-world.js';

const BUCKET = 'our-postgresql-backups';
const OLD = `backups/${OLD_GUID}/wal/`;
const NEW = `backups/${NEW_GUID}/wal/`;

/** The runbook's steps up to the wait: stop (keys cleared), the new archive out and the old one in, etcd reset, /data emptied. */
async function swapped(opts: { clearKeys?: boolean; resetEtcd?: boolean; copy?: boolean } = {}): Promise<RestoreWorld> {
  const w = restoreWorld();
  if (opts.clearKeys === false) await w.docker('stop', CONTAINER);
  else await w.action('cell.stop-container').run(w.ctx, STOP_PARAMS, {});
  const bucket = w.world.state.s3[BUCKET]!;
  const kept = withoutKeys(
    bucket,
    Object.keys(bucket).filter((k) => k.startsWith(NEW)),
  );
  const copied = Object.fromEntries(
    Object.entries(bucket)
      .filter(([k]) => k.startsWith(OLD))
      .map(([k, o]) => [NEW + k.slice(OLD.length), o]),
  );
  w.world.state.s3[BUCKET] = opts.copy === false ? kept : { ...kept, ...copied };
  if (opts.resetEtcd !== false) {
    // Set to the copied archive's system identifier; with no archive copied, there is none to set.
    const archived = archivedSysid(w.world.state.s3[BUCKET], NEW);
    w.world.state.etcd = withoutKeys(w.world.state.etcd, [`/service/${NEW_GUID}/optime/leader`, `/service/${NEW_GUID}/initialize`]);
    if (archived) w.world.state.etcd[`/service/${NEW_GUID}/initialize`] = archived;
  }
  w.world.state.cells[CELL]!.files[w.container().mounts[0]!.Source] = [];
  // Without the reset or the copy, the start step would refuse: the container is started by hand, to be watched failing.
  if (opts.clearKeys === false || opts.resetEtcd === false || opts.copy === false) await w.docker('start', CONTAINER);
  else await w.action('cell.start-container').run(w.ctx, START_PARAMS, {});
  w.shown.evidence.length = 0;
  return w;
}

const wait = (w: RestoreWorld, params: Record<string, unknown> = {}) =>
  w.action('cell.wait-restored').run(w.ctx, { ...WAIT_PARAMS, ...params }, {});

async function failure(p: Promise<unknown>): Promise<StepFailed> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StepFailed) return err;
    throw err;
  }
  throw new Error('the wait ended without a failure');
}

describe('a restore that runs its course', () => {
  it('shows the phase and counts, takes the deadline from the archive, and proves replay reached its last segment', async () => {
    const w = await swapped();
    const out = await wait(w);
    expect(out).toMatchObject({ promoted: true, replayedTo: '0/50001F0', complete: true });
    expect(w.shown.notes.find((n) => n.startsWith("the wait's deadline"))).toMatch(
      /^the wait's deadline: 5 min from the archive: base backup base_000000010000000000000002_00000040 of 20\.1 MiB expanded at 8 MiB\/s, 4 WAL segments at 6 s each, 5 min to start and promote$/,
    );
    expect(w.shown.progress[0]).toMatch(
      /replaying the archive: WAL segment 000000010000000000000003 of 000000010000000000000005 \(2 of 4\), poll 1$/,
    );
    expect(w.shown.evidence.at(-1)).toBe(
      "replay reached the archive's last segment 000000010000000000000005: /data/postgres0/pg_xlog/00000002.history: timeline 1 ended at 0/50001F0 (no recovery target specified)",
    );
    expect(w.shown.warnings).toEqual([]);
  });

  it('asks docker inspect once before its first question to PostgreSQL', async () => {
    const w = await swapped();
    w.commands.length = 0;
    await wait(w);
    const firstPsql = w.commands.findIndex((c) => c.includes('psql'));
    expect(w.commands.slice(0, firstPsql).filter((c) => c.includes(' inspect '))).toHaveLength(1);
  });

  it('reads its lines while it replays only at the first poll that finds it replaying, then once it left recovery', async () => {
    const w = await swapped();
    w.commands.length = 0;
    await wait(w);
    const stages = w.shown.progress.map((p) => (p.includes(': replaying the archive: ') ? 'replaying' : 'not'));
    expect(stages.filter((x) => x === 'replaying').length).toBeGreaterThan(2);
    const reads = w.commands.filter((c) => / logs -t --since /.test(c)).length;
    expect(reads).toBe(stages.filter((x) => x === 'not').length + 1);
  });

  it('shows the base backup being fetched while PostgreSQL does not answer yet', async () => {
    const w = await swapped();
    // backup-fetch under way, PostgreSQL not up yet.
    firstPollSees(w, w.container().logs.findIndex((l) => l.includes('The partition being downloaded is')) + 1);
    await wait(w);
    expect(w.shown.progress[0]).toMatch(
      /: fetching the base backup: partition 1 of 1; not accepting connections yet \(127\.0\.0\.1:5432 - no response\), poll 1$/,
    );
    expect(w.shown.progress[1]).toMatch(
      /: replaying the archive: WAL segment 0000000100000000000000\d\d of 000000010000000000000005 \(\d of 4\), poll 2$/,
    );
  });

  it('shows the segment wal-fetch handed over from its prefetch as the one fetched', async () => {
    const w = await swapped();
    const c = w.container();
    // wal-fetch has just handed over its first prefetched segment; PostgreSQL is not consistent yet.
    const promoted = c.logs.findIndex((l) => l.includes('MSG: promoted prefetched wal segment'));
    const segment = /seg=([0-9A-F]{24})$/.exec(c.logs[promoted + 1]!)![1]!;
    firstPollSees(w, promoted + 2);
    await wait(w);
    expect(c.logs.slice(0, promoted).some((l) => l.includes(`seg=${segment} state=complete`) && l.includes('action=wal-fetch'))).toBe(
      false,
    );
    expect(w.shown.progress[0]).toMatch(new RegExp(`: fetching WAL segment ${segment} .*; not accepting connections yet`));
  });

  it("shows the archive's end where wal-fetch missed a segment, though wal-e says it completed that restore", async () => {
    const w = await swapped();
    firstPollSees(w);
    await wait(w);
    expect(w.container().logs.join('\n')).toMatch(
      /could no longer locate object[^]*complete wal restore\n.* seg=000000010000000000000006 state=complete$/m,
    );
    expect(w.shown.progress[0]).toMatch(
      /: wal-fetch found no further segment after 000000010000000000000005: the end of the archive; not accepting connections yet/,
    );
  });

  it('ends done with a warning naming the segments not replayed and the window of writes, when replay stopped short', async () => {
    const w = await swapped();
    // One wal-fetch failed (S3 answered an error): PostgreSQL took it for the archive's end and Patroni promoted it.
    const pg = w.container().pg as RestoringPg;
    pg.replay = { from: pg.replay!.from, to: '000000010000000000000003' };
    const out = await wait(w);
    expect(out).toMatchObject({ promoted: true, replayedTo: '0/30001F0', complete: false });
    expect(w.shown.warnings).toHaveLength(1);
    const warning = w.shown.warnings[0]!;
    expect(warning).toContain('the restore stopped short of the archive: replay ended at 0/30001F0 in 000000010000000000000003');
    expect(warning).toContain('the archive holds WAL up to 000000010000000000000005');
    expect(warning).toContain('Segments 000000010000000000000004 … 000000010000000000000005 (2) were not replayed');
    expect(warning).toMatch(
      /the writes archived after about \d{4}-\d\d-\d\dT[\d:.]+Z up to \d{4}-\d\d-\d\dT[\d:.]+Z are not in the restored database \(the data-loss window\)/,
    );
    expect(warning).toContain(`still in the old archive, s3://${BUCKET}/${OLD}, untouched`);
  });
});

describe('a container that will never restore stops the wait at once', () => {
  it('"leader exists … join cluster": a start while the killed node\'s /leader stood', async () => {
    const w = await swapped({ clearKeys: false });
    const err = await failure(wait(w));
    expect(err.message).toContain(
      `${CONTAINER} found ${LEADER_KEY} standing (= ${MEMBER}) and only waits to join that leader: it will not restore`,
    );
    expect(err.message).toContain('leader exists, no additional preparation required for container to join cluster');
    expect(err.hint).toContain("the key is this container's own, left by the kill");
    expect(err.hint).toContain(`${LEADER_KEY}?prevValue=${MEMBER}`);
    expect(w.shown.progress).toEqual([]);
  });

  it('"system ID mismatch": /initialize still held the new database\'s, and Docker restarts it again and again', async () => {
    const w = await swapped({ resetEtcd: false });
    const err = await failure(wait(w));
    expect(err.message).toMatch(/refuses the restored database: system ID mismatch, node \S+ belongs to a different cluster: \d+ != \d+/);
    expect(err.hint).toContain("set /service/<new guid>/initialize to the archive's (its sysids/sysid)");
  });

  it('a crash loop, seen in RestartCount when its lines cannot be read (log driver syslog)', async () => {
    const w = await swapped({ resetEtcd: false });
    w.container().logDriver = 'syslog';
    const err = await failure(wait(w));
    // Seen once Docker counted an exit since the wait's first look, running its next attempt or between two.
    expect(err.message).toMatch(/exits and Docker starts it again \(restart policy always; RestartCount [1-9]\d*(, restarting now)?\)/);
    expect(w.shown.notes.join('\n')).toContain(
      `"logs" command is supported only for "json-file" and "journald" logging drivers (got: syslog)`,
    );
  });

  it('"initialized a new cluster": no archive at its prefix and no /initialize', async () => {
    const w = await swapped({ copy: false });
    const err = await failure(wait(w));
    expect(err.message).toContain('bootstraps a NEW EMPTY cluster');
    expect(err.message).toContain(`s3://${BUCKET}/${NEW}`);
    expect(err.hint).toContain('docker stop');
  });

  it('a new empty cluster whose lines cannot be read (log driver syslog): the database served was made since the start', async () => {
    const w = await swapped({ copy: false });
    w.container().logDriver = 'syslog';
    const err = await failure(wait(w));
    expect(err.message).toContain('bootstraps a NEW EMPTY cluster');
    expect(err.hint).toContain('docker stop');
  });

  it('"waiting for leader to bootstrap"', async () => {
    const w = await swapped();
    const c = w.container();
    c.pg.ready = false;
    logLine(c, new Date(w.world.state.clock), '78218d-patroni> 2016-03-17 17:31:40,000 INFO: waiting for leader to bootstrap');
    const err = await failure(wait(w));
    expect(err.message).toContain('waits for a leader to bootstrap: it cannot restore without one');
  });

  it.each([
    ['a PostgreSQL error with the same words', '78218d-patroni> ERROR:  system ID mismatch, node x belongs to a different cluster: 1 != 2'],
    // In recovery, hot standby: a client's error message holding a newline comes out as a line of its own.
    [
      "Patroni's own words, written while PostgreSQL serves clients",
      '78218d-patroni> 2016-03-17 17:31:40,000 INFO: trying to bootstrap a new cluster',
    ],
    [
      "v0.90's outcome line, written by a client while the archive's database serves",
      '78218d-patroni> 2016-03-17 17:31:40,000 INFO: initialized a new cluster',
    ],
  ])('never on a line a tenant could have made PostgreSQL write: %s', async (_what, line) => {
    const w = await swapped();
    logLine(w.container(), new Date(w.world.state.clock), line);
    await expect(wait(w)).resolves.toMatchObject({ promoted: true, complete: true });
  });
});

/**
 * The container of W as it is a moment after its start: its first UPTO lines written (all of them
 * without UPTO), PostgreSQL not answering; at the wait's first pause the rest come, and it answers.
 */
function firstPollSees(w: RestoreWorld, upTo?: number): void {
  const c = w.container();
  const all = { logs: c.logs, logsAt: c.logsAt! };
  c.logs = all.logs.slice(0, upTo);
  c.logsAt = all.logsAt.slice(0, upTo);
  c.pg.ready = false;
  (w.ctx as unknown as { sleep: () => Promise<void> }).sleep = () => {
    c.logs = all.logs;
    c.logsAt = all.logsAt;
    c.pg.ready = true;
    return Promise.resolve();
  };
}

describe('a container whose lines go to syslog', () => {
  it('says so once, and waits on what PostgreSQL answers', async () => {
    const w = await swapped();
    w.container().logDriver = 'syslog';
    await expect(wait(w)).resolves.toMatchObject({ promoted: true, complete: true });
    expect(w.shown.notes.filter((n) => n.includes('cannot be read here'))).toHaveLength(1);
    expect(w.shown.notes.find((n) => n.includes('cannot be read here'))).toContain(`under docker/${CONTAINER}`);
  });
});

describe('a container whose lines go to syslog, joining another node', () => {
  it("is stopped by etcd's /leader naming that node", async () => {
    const w = await swapped({ clearKeys: false });
    w.container().logDriver = 'syslog';
    setKey(w.world, LEADER_KEY, 'another-node');
    const err = await failure(wait(w));
    expect(err.message).toContain(`found ${LEADER_KEY} standing (= another-node) and only waits to join that leader`);
    expect(err.hint).toContain('another node leads the instance: it must have exactly one node');
  });
});

/** The cell of W, with the pg_controldata it answers rewritten by REWRITE. */
async function controlRewritten(w: RestoreWorld, rewrite: (stdout: string) => string): Promise<void> {
  const cell = await w.platform.cells.open(CELL);
  const rewritten = {
    ...cell,
    run: async (spec: Parameters<typeof cell.run>[0]) => {
      const r = await cell.run(spec);
      return spec.argv.includes('pg_controldata') ? { ...r, stdout: rewrite(r.stdout) } : r;
    },
  };
  (w.ctx as { cell: unknown }).cell = () => Promise.resolve(rewritten);
}

const controlLine = (stdout: string, label: string): string | undefined => stdout.split('\n').find((l) => l.startsWith(label));

describe('the timeline a promoted node runs on, whenever its control file is read', () => {
  it("read before the checkpoint a fast promotion asks for: the minimum recovery point's timeline (2), the checkpoint's still 1", async () => {
    const w = await swapped();
    const seen: string[] = [];
    await controlRewritten(w, (stdout) => (seen.push(stdout), stdout));
    await expect(wait(w)).resolves.toMatchObject({ promoted: true, complete: true, replayedTo: '0/50001F0' });
    // One pg_controldata tells both the database served and the timeline.
    expect(seen).toHaveLength(1);
    expect(controlLine(seen[0]!, "Latest checkpoint's TimeLineID:")).toMatch(/\s1$/);
    expect(controlLine(seen[0]!, "Min recovery ending loc's timeline:")).toMatch(/\s2$/);
    expect(w.shown.evidence.join('\n')).toContain('00000002.history: timeline 1 ended at 0/50001F0');
    expect(w.shown.warnings).toEqual([]);
  });

  it("read after that checkpoint: the checkpoint's timeline, the minimum recovery point cleared", async () => {
    const w = await swapped();
    await controlRewritten(w, (stdout) =>
      stdout
        .replace(/(Latest checkpoint's TimeLineID:\s+)\d+/, '$12')
        .replace(/(Minimum recovery ending location:\s+)\S+/, '$10/0')
        .replace(/(Min recovery ending loc's timeline:\s+)\d+/, '$10'),
    );
    await expect(wait(w)).resolves.toMatchObject({ promoted: true, complete: true, replayedTo: '0/50001F0' });
    expect(w.shown.warnings).toEqual([]);
  });

  it('a node that names no timeline after 1 anywhere: warned that how far it replayed cannot be told', async () => {
    const w = await swapped();
    await controlRewritten(w, (stdout) =>
      stdout.replace(/(Minimum recovery ending location:\s+)\S+/, '$10/0').replace(/(Min recovery ending loc's timeline:\s+)\d+/, '$10'),
    );
    await expect(wait(w)).resolves.toMatchObject({ promoted: true, complete: false, replayedTo: '' });
    expect(w.shown.warnings).toEqual([
      expect.stringContaining(`${CONTAINER} runs on timeline 1: its recovery never ended on a new timeline`),
    ]);
  });
});

describe('what the container answers in a shape PostgreSQL never writes', () => {
  it('stops the step, showing the answer escaped', async () => {
    const w = await swapped();
    await controlRewritten(w, (stdout) => stdout.replace(/TimeLineID:\s+/, 'TimeLineID: \x1b[2J'));
    const err = await failure(wait(w));
    expect(err.message).toContain('pg_controldata in cf-52167ceb-bd3d-4bff-8699-a239d21c5379 is not what PostgreSQL writes: ');
    expect(err.message).toContain("Latest checkpoint's TimeLineID: \\x1b[2J1");
    expect(err.message).not.toContain('\x1b');
    expect(err.hint).toContain('nothing was decided on it');
  });
});
