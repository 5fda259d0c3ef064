/** The archive's last moment against the deletion, as the recovery's report measures it. */
import { describe, expect, it } from 'vitest';
import { lastMomentPhrase } from '../../src/engine/report/index.js';

const SOURCE = 'S3 LastModified of wal_005/000000010000000000000009.lzo';

describe('lastMomentPhrase', () => {
  it('names the last moment, how long before the delete it was, and what gives it', () => {
    expect(lastMomentPhrase('2016-03-17T06:10:17Z', '2016-03-17T06:01:30.400Z', SOURCE)).toBe(
      `writes after 06:01:30 (527 s before the delete) are not in the archive (2016-03-17T06:01:30Z: ${SOURCE})`,
    );
  });

  it('reads the last commit time PostgreSQL gives', () => {
    expect(
      lastMomentPhrase('2016-03-17T06:10:17Z', '2016-03-17 06:10:07.25+00', 'the last commit the drill replayed from the archive'),
    ).toBe(
      'writes after 06:10:07 (10 s before the delete) are not in the archive (2016-03-17T06:10:07Z: the last commit the drill replayed from the archive)',
    );
  });

  it('says when the archive reaches past the delete, or the delete is not known', () => {
    expect(lastMomentPhrase('2016-03-17T06:10:17Z', '2016-03-17T06:10:20Z', SOURCE)).toContain('(3 s after the delete)');
    expect(lastMomentPhrase('', '2016-03-17T06:10:20Z', SOURCE)).toContain('writes after 06:10:20 (the deletion time is not known)');
    expect(lastMomentPhrase('2016-03-17T06:10:17Z', '', SOURCE)).toBe('unknown: the archive holds no WAL with a time');
  });
});
