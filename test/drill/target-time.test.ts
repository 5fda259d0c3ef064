import { describe, expect, it } from 'vitest';
import { DRILL_EXIT, DrillFailed } from '../../src/drill/exit-codes.js';
import { chooseBackup, parseTargetTime, type EndedBackup } from '../../src/drill/target-time.js';
import type { ArchiveReport, BaseBackupInfo } from '../../src/wale/report.js';

describe('--target-time', () => {
  it('takes ISO 8601 with a zone, and hands PostgreSQL the moment with its microseconds', () => {
    expect(parseTargetTime('2016-11-21T14:01:30Z').at.toISOString()).toBe('2016-11-21T14:01:30.000Z');
    expect(parseTargetTime('2016-11-21T15:01:30+01:00').at.toISOString()).toBe('2016-11-21T14:01:30.000Z');
    expect(parseTargetTime('2016-11-21 15:01:30.123456+0100').text).toBe('2016-11-21 15:01:30.123456+01:00');
    expect(parseTargetTime('2016-11-21T14:01Z').text).toBe('2016-11-21 14:01+00');
  });

  it('refuses a time without a zone, or no time at all, as bad usage naming what to give', () => {
    for (const [bad, why] of [
      ['2016-11-21T14:01:30', /has no time zone/],
      ['2016-11-21 14:01', /has no time zone/],
      ['2016-11-21', /is not an ISO 8601/],
      ['yesterday 14:00', /is not an ISO 8601/],
      ['2016-02-30T14:01:30Z', /is not a valid date/],
      ['2016-11-21T25:01:30Z', /is not a valid date/],
    ] as const) {
      let err: unknown;
      try {
        parseTargetTime(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toMatchObject({ exitCode: DRILL_EXIT.badUsage, message: expect.stringMatching(why) });
      expect((err as { hint?: string }).hint).toMatch(/2016-11-21T14:01:30Z/);
    }
  });
});

function ended(name: string, at: string): EndedBackup {
  const by = new Date(new Date(at).getTime() + 999);
  return { backup: { name, complete: true } as BaseBackupInfo, finished: { at: new Date(at), source: 'backup label' }, endedBy: by };
}

const report = {
  restorableTo: '000000010000000000000009',
  restorableToAt: '2016-11-21T16:00:00Z',
  lastSegment: '000000010000000000000009',
  lastSegmentAt: '2016-11-21T16:00:00Z',
} as ArchiveReport;
const ends = [ended('base_a', '2016-11-21T10:00:00Z'), ended('base_b', '2016-11-21T12:00:00Z'), ended('base_c', '2016-11-21T14:00:00Z')];

describe('the base backup for a moment', () => {
  it('is the newest one that ended before the moment', () => {
    expect(chooseBackup(ends, report, parseTargetTime('2016-11-21T13:59:59Z')).backup.name).toBe('base_b');
    expect(chooseBackup(ends, report, parseTargetTime('2016-11-21T14:00:01Z')).backup.name).toBe('base_c');
    expect(chooseBackup(ends, report, parseTargetTime('2016-11-21T10:30:00Z')).backup.name).toBe('base_a');
    // S3 keeps LastModified to the second: WAL archived during 16:00:00 reaches moments up to its end.
    expect(chooseBackup(ends, report, parseTargetTime('2016-11-21T16:00:00.5Z')).backup.name).toBe('base_c');
    // The range named on refusal is inclusive: its earliest and latest moments are reachable themselves.
    expect(chooseBackup(ends, report, parseTargetTime('2016-11-21T10:00:00.999Z')).backup.name).toBe('base_a');
    expect(chooseBackup(ends, report, parseTargetTime('2016-11-21T16:00:00.999Z')).backup.name).toBe('base_c');
  });

  it('refuses a moment out of reach (exit 4), naming the earliest and latest moments the archive reaches', () => {
    for (const t of ['2016-11-21T09:00:00Z', '2016-11-21T10:00:00.5Z', '2016-11-21T16:00:01Z', '2016-11-21T17:00:00Z']) {
      let err: unknown;
      try {
        chooseBackup(ends, report, parseTargetTime(t));
      } catch (e) {
        err = e;
      }
      expect(err, t).toBeInstanceOf(DrillFailed);
      expect((err as DrillFailed).exitCode).toBe(DRILL_EXIT.notRestorable);
      expect((err as DrillFailed).message).toContain('from 2016-11-21T10:00:00.999Z (the earliest base backup ended)');
      expect((err as DrillFailed).message).toContain('to 2016-11-21T16:00:00.999Z (WAL 000000010000000000000009 was archived)');
    }
  });
});
