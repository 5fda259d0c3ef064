/**
 * When a base backup ended, to restore to a moment: its label's STOP TIME in whatever zone
 * log_timezone wrote it (read through this machine's tz database), and the sentinel's LastModified
 * only where no copy of the archive reset it; else the refusal says the end cannot be known.
 */
import { describe, expect, it } from 'vitest';
import { backupEnd, backupFinishedAt } from '../../src/drill/backup-age.js';
import { chooseBackup, parseTargetTime, type UnknownBackupEnd } from '../../src/drill/target-time.js';
import { DrillFailed } from '../../src/drill/exit-codes.js';
import { localProcesses } from '../../src/systems/local-processes.js';
import type { ArchiveReport, BaseBackupInfo } from '../../src/wale/report.js';
import { BUCKET, lzop, PREFIX } from '../support/archive-builder.js';
import { TestStore } from '../support/memory-store.js';

const START = '000000010000000000000002';
const LABEL_KEY = `${PREFIX}wal_005/${START}.00000028.backup.lzo`;

/** An archive holding one backup's label (lzop'd as wal-e pushes it), its stop segment and its sentinel date. */
function archive(o: { stop?: string; start?: string; sentinelAt?: Date; stopSegmentAt?: Date }) {
  const store = new TestStore(BUCKET);
  const label = [
    `START WAL LOCATION: 0/2000028 (file ${START})`,
    `STOP WAL LOCATION: 0/2000130 (file ${START})`,
    'CHECKPOINT LOCATION: 0/2000060',
    'BACKUP METHOD: streamed',
    'BACKUP FROM: master',
    `START TIME: ${o.start ?? o.stop ?? ''}`,
    'LABEL: wal-e',
    ...(o.stop ? [`STOP TIME: ${o.stop}`] : []),
    '',
  ].join('\n');
  store.add(LABEL_KEY, lzop(label), new Date('2026-11-25T10:00:00Z'));
  store.add(`${PREFIX}wal_005/${START}.lzo`, 16_000, o.stopSegmentAt ?? new Date('2026-01-10T12:00:00Z'));
  const ref = { startSegment: START, startOffset: 40, lastModified: o.sentinelAt ?? new Date('2026-01-10T12:00:01Z'), stopSegment: START };
  return { where: { store, bucket: BUCKET, prefix: PREFIX, processes: localProcesses }, ref };
}

const endOf = async (o: Parameters<typeof archive>[0]) => {
  const { where, ref } = archive(o);
  return backupEnd(where, ref);
};

describe("a base backup's end from its label", () => {
  it('reads STOP TIME written in UTC, in an offset, or in the abbreviation of an IANA zone, in winter and summer', async () => {
    expect(await endOf({ stop: '2026-01-10 12:00:00 UTC' })).toEqual({ at: new Date('2026-01-10T12:00:00Z'), source: 'backup label' });
    expect((await endOf({ stop: '2026-01-10 12:00:00 +0530' })).at).toEqual(new Date('2026-01-10T06:30:00Z'));
    expect((await endOf({ stop: '2026-01-10 12:00:00 -03' })).at).toEqual(new Date('2026-01-10T15:00:00Z'));
    expect((await endOf({ stop: '2026-01-10 12:00:00 CET' })).at).toEqual(new Date('2026-01-10T11:00:00Z'));
    expect((await endOf({ stop: '2026-07-10 12:00:00 CEST' })).at).toEqual(new Date('2026-07-10T10:00:00Z'));
    expect((await endOf({ stop: '2016-07-10 12:00:00 EDT' })).at).toEqual(new Date('2016-07-10T16:00:00Z'));
    expect((await endOf({ stop: '2016-01-10 12:00:00 JST' })).at).toEqual(new Date('2016-01-10T03:00:00Z'));
  });

  it('settles an abbreviation of several zones by the sentinel written just after, else says the end cannot be known', async () => {
    // IST is Irish (+01:00), Israel (+02:00) and India (+05:30) Standard Time.
    const sentinelAt = new Date('2026-07-10T06:30:05Z');
    const settled = await endOf({ stop: '2026-07-10 12:00:00 IST', sentinelAt, stopSegmentAt: new Date('2026-07-10T06:30:01Z') });
    expect(settled).toEqual({ at: new Date('2026-07-10T06:30:00Z'), source: 'backup label' });
    const copied = await endOf({
      stop: '2026-07-10 12:00:00 IST',
      sentinelAt: new Date('2026-11-25T19:53:27Z'),
      stopSegmentAt: new Date('2026-11-25T19:53:20Z'),
    });
    expect(copied.at).toBeNull();
    expect('why' in copied && copied.why).toMatch(
      /STOP TIME 2026-07-10 12:00:00 IST names more than one moment \(IST is \+01:00 in Europe\/Dublin; \+02:00 in Asia\/Jerusalem; \+05:30 in Asia\/Kolkata\)/,
    );
    const unknown = await endOf({ stop: '2026-07-10 12:00:00 XYZT' });
    expect(unknown.at).toBeNull();
    expect('why' in unknown && unknown.why).toContain('no time zone of this machine');
  });

  it("uses the sentinel's LastModified without a label's STOP TIME, unless the archive shows it was copied", async () => {
    expect(await endOf({})).toEqual({ at: new Date('2026-01-10T12:00:01Z'), source: 'sentinel LastModified' });
    // aws s3 sync copies basebackups_005/ before wal_005/: the sentinel is older than its own stop segment.
    const synced = await endOf({ sentinelAt: new Date('2026-11-25T19:53:27Z'), stopSegmentAt: new Date('2026-11-25T19:53:29Z') });
    expect(synced.at).toBeNull();
    expect('why' in synced && synced.why).toContain('the archive was copied, so LastModified is when the copy was made');
  });

  it("gives LATEST's age from a label in CET", async () => {
    const { where, ref } = archive({ stop: '2026-01-10 12:00:00 CET' });
    expect(await backupFinishedAt(where, ref)).toEqual({ at: new Date('2026-01-10T11:00:00Z'), source: 'backup label' });
  });
});

describe('a moment against base backups whose end cannot be known', () => {
  const backup = { name: `base_${START}_00000040`, complete: true } as BaseBackupInfo;
  const report = { restorableToAt: '2026-11-25T19:53:27Z', lastSegmentAt: '2026-11-25T19:53:27Z', restorableTo: START } as ArchiveReport;
  const unknown: UnknownBackupEnd[] = [{ backup, why: 'its label is in IST' }];

  it('is refused saying the end cannot be known, naming no range', () => {
    const err = (() => {
      try {
        chooseBackup([], report, parseTargetTime('2026-07-10T08:00:00Z'), unknown);
      } catch (e) {
        return e;
      }
    })() as DrillFailed;
    expect(err).toBeInstanceOf(DrillFailed);
    expect(err.message).toBe(
      `--target-time 2026-07-10T08:00:00.000Z cannot be checked against the archive's base backups: the end of ${backup.name} cannot be known: its label is in IST`,
    );
    expect(err.reachable ?? null).toBeNull();
    expect(err.message).not.toMatch(/reaches from/);
  });
});
