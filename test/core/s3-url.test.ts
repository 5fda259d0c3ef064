import { describe, expect, it } from 'vitest';
import { formatS3Url, parseS3Url } from '../../src/core/s3-url.js';
import { UsageError } from '../../src/core/errors.js';

describe('parseS3Url', () => {
  it('always returns a prefix ending in /', () => {
    const want = { bucket: 'our-postgresql-backups', prefix: 'backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/' };
    expect(parseS3Url('s3://our-postgresql-backups/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal')).toEqual(want);
    expect(parseS3Url(' s3://our-postgresql-backups/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/ ')).toEqual(want);
  });

  it('gives an empty prefix for the bucket root', () => {
    expect(parseS3Url('s3://my.bucket-1')).toEqual({ bucket: 'my.bucket-1', prefix: '' });
    expect(parseS3Url('s3://my.bucket-1/')).toEqual({ bucket: 'my.bucket-1', prefix: '' });
  });

  it.each([
    ['', /empty/],
    ['our-bucket/backups/x/wal', /no s3:\/\/ scheme/],
    ['https://our-bucket.s3.amazonaws.com/backups', /scheme is "https"/],
    ['s3:///backups/x/wal', /bucket name is empty/],
    ['s3://ab/x', /3 to 63/],
    ['s3://Our-Bucket/x', /upper-case/],
    ['s3://our_bucket/x', /lower-case letters, digits/],
    ['s3://-bucket/x', /begin and end/],
    ['s3://a..b/x', /adjacent dots/],
    ['s3://10.0.0.1/x', /IP address/],
    ['s3://bucket/backups//wal', /empty path segment/],
    ['s3://bucket/backups/../wal', /"\.\." path segment/],
    ['s3://bucket/backups/x?versionId=1', /query/],
  ])('rejects %j', (url, why) => {
    let err: unknown;
    try {
      parseS3Url(url);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toMatch(why);
    expect((err as UsageError).hint).toBeTruthy();
  });

  it('formats back', () => {
    expect(formatS3Url('b-1', 'backups/g/wal/')).toBe('s3://b-1/backups/g/wal/');
    const { bucket, prefix } = parseS3Url('s3://b-1/backups/g/wal');
    expect(formatS3Url(bucket, prefix)).toBe('s3://b-1/backups/g/wal/');
  });
});
