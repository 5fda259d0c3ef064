/**
 * A restoring container's own lines, judged on the exact sentences the image's scripts, Patroni
 * v0.90 and wal-e 0.9 write (test/support lines are the rehearsal's, src/rehearsal/patroni-lines.ts),
 * and never on the same words a tenant's query could make PostgreSQL log.
 */
import { describe, expect, it } from 'vitest';
import { restoreSignalOf } from '../../src/adapters/container-lines.js';
import {
  partitionLines,
  patroniSays,
  restoreLeaderSays,
  walFetchRunLines,
  LEADER_EXISTS,
  PREPARING_RESTORE,
} from '../../src/rehearsal/patroni-lines.js';

const AT = new Date('2016-03-18T01:05:31.123Z');
const PREFIX = 's3://our-postgresql-backups/backups/78218ded-7d88-4d69-bd44-6f478c300134/wal/';

describe('restoreSignalOf', () => {
  it("reads restore_leader_if_missing.sh's sentences, with or without the scope before the component", () => {
    expect(restoreSignalOf(restoreLeaderSays('78218d', LEADER_EXISTS))).toEqual({ kind: 'leader-exists' });
    expect(restoreSignalOf(`restore_leader_if_missing> ${LEADER_EXISTS}`)).toEqual({ kind: 'leader-exists' });
    expect(restoreSignalOf(restoreLeaderSays('78218d', PREPARING_RESTORE))).toEqual({ kind: 'restore-prepared' });
  });

  it("reads Patroni's bootstrap and promotion messages after its logging prefix", () => {
    expect(restoreSignalOf(patroniSays('78218d', AT, "trying to bootstrap from leader 'node-a'"))).toEqual({
      kind: 'bootstrap-from-leader',
      leader: 'node-a',
    });
    expect(restoreSignalOf(patroniSays('78218d', AT, 'waiting for leader to bootstrap'))).toEqual({ kind: 'waiting-for-leader' });
    expect(restoreSignalOf(patroniSays('78218d', AT, 'initialized a new cluster'))).toEqual({ kind: 'new-cluster' });
    expect(restoreSignalOf(patroniSays('78218d', AT, 'trying to bootstrap a new cluster'))).toEqual({ kind: 'new-cluster' });
    expect(restoreSignalOf(patroniSays('78218d', AT, 'trying to bootstrap (without leader)'))).toEqual({
      kind: 'bootstrap-without-leader',
    });
    expect(restoreSignalOf(patroniSays('78218d', AT, 'promoted self to leader by acquiring session lock'))).toEqual({ kind: 'promoted' });
    const mismatch = 'system ID mismatch, node 52167ceb belongs to a different cluster: 6262220290876424268 != 6262209914512345093';
    expect(restoreSignalOf(patroniSays('78218d', AT, mismatch, 'CRITICAL'))).toEqual({ kind: 'sysid-mismatch', text: mismatch });
  });

  it("reads wal-e's partition downloads and wal-fetch segments", () => {
    const parts = partitionLines(
      '78218d',
      AT,
      `${PREFIX}basebackups_005/base_000000010000000000000002_00000040/tar_partitions/part_00000003.tar.lzo`,
    );
    expect(parts.map(restoreSignalOf)).toEqual([null, { kind: 'partition', part: 3 }, null, null]);
    // restore_command with a prefetch of one: segment 4 in-band, 5 prefetched, 6 missing (its prefetch and in-band), 7 prefetched beyond.
    const seg = (n: number): string => `00000001000000000000000${String(n)}`;
    const signals = walFetchRunLines('78218d', AT, PREFIX, [seg(4), seg(5)], seg(6), seg(7))
      .map(restoreSignalOf)
      .filter((x) => x !== null);
    expect(signals).toEqual([
      { kind: 'wal-fetch', segment: seg(4), state: 'begin' },
      { kind: 'wal-fetch', segment: seg(4), state: 'complete' },
      { kind: 'not-in-archive', segment: seg(6) },
      // "promoted prefetched wal segment": no state, the segment handed over.
      { kind: 'wal-fetch', segment: seg(5), state: 'complete' },
      { kind: 'not-in-archive', segment: seg(7) },
      { kind: 'wal-fetch', segment: seg(6), state: 'begin' },
      { kind: 'not-in-archive', segment: seg(6) },
      { kind: 'wal-fetch', segment: seg(6), state: 'complete' },
    ]);
    // The prefetch process's own lines (action=wal-prefetch) say nothing of what PostgreSQL was given.
    const prefetched = walFetchRunLines('78218d', AT, PREFIX, [seg(4), seg(5)], seg(6), seg(7)).filter((l) =>
      l.includes('action=wal-prefetch'),
    );
    expect(prefetched.length).toBeGreaterThan(0);
    expect(prefetched.map(restoreSignalOf)).toEqual(prefetched.map(() => null));
  });

  it('takes none of them from PostgreSQL, another component, or a line with anything around the sentence', () => {
    for (const line of [
      '78218d-patroni> ERROR:  system ID mismatch, node x belongs to a different cluster: 1 != 2',
      "78218d-patroni> LOG:  statement: select 'trying to bootstrap a new cluster'",
      `78218d-patroni> 2016-03-18 01:05:31,123 INFO: trying to bootstrap a new cluster; drop table users`,
      `78218d-backup> ${LEADER_EXISTS}`,
      `78218d-restore_leader_if_missing> ${LEADER_EXISTS} (forged)`,
      LEADER_EXISTS,
      '78218d-patroni>         DETAIL: The partition being downloaded is part_1.tar.lzo.',
    ]) {
      expect(restoreSignalOf(line), line).toBeNull();
    }
  });
});
