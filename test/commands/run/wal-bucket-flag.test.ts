import { describe, expect, it } from 'vitest';
import { settingsFrom } from '../../../src/commands/run/settings.js';
import { UsageError } from '../../../src/core/errors.js';

describe('--wal-bucket', () => {
  it('takes the bucket alone, or as s3://BUCKET/', () => {
    expect(settingsFrom({ 'wal-bucket': 'our-postgresql-backups' }).walBucket).toBe('our-postgresql-backups');
    expect(settingsFrom({ 'wal-bucket': 's3://our-postgresql-backups/' }).walBucket).toBe('our-postgresql-backups');
  });

  it('refuses what is not a bucket name, saying what to give', () => {
    for (const bad of ['s3://our-postgresql-backups/backups/', 'Our_Bucket', '']) {
      const err = (() => {
        try {
          settingsFrom({ 'wal-bucket': bad });
          return null;
        } catch (e) {
          return e;
        }
      })();
      expect(err, bad).toBeInstanceOf(UsageError);
      expect((err as UsageError).message).toBe(`--wal-bucket ${JSON.stringify(bad)} is not an S3 bucket name`);
      expect((err as UsageError).hint).toContain('WAL_S3_BUCKET');
    }
  });
});
