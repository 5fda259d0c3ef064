import { describe, expect, it } from 'vitest';
import { dingoArchiveUrl, pinnedArchiveProblem } from '../../src/archive/location.js';

const GUID = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';

describe("an archive is pinned to Dingo's layout in the platform's WAL bucket", () => {
  it("names Dingo's prefix: s3://WAL_S3_BUCKET/backups/PATRONI_SCOPE/wal/", () => {
    expect(dingoArchiveUrl('our-postgresql-backups', GUID)).toBe(`s3://our-postgresql-backups/backups/${GUID}/wal/`);
  });

  it('accepts the prefix, with or without its trailing slash', () => {
    expect(pinnedArchiveProblem(`s3://our-postgresql-backups/backups/${GUID}/wal/`, 'our-postgresql-backups', GUID)).toBeNull();
    expect(pinnedArchiveProblem(`s3://our-postgresql-backups/backups/${GUID}/wal`, 'our-postgresql-backups', GUID)).toBeNull();
  });

  it('refuses a look-alike bucket, naming both', () => {
    expect(pinnedArchiveProblem(`s3://our-postgresql-backups-x/backups/${GUID}/wal/`, 'our-postgresql-backups', GUID)).toBe(
      "it is in bucket our-postgresql-backups-x, not the platform's WAL bucket our-postgresql-backups",
    );
  });

  it("refuses another instance's prefix, or another layout, in the right bucket", () => {
    const other = 'd2c4e6f8-1a3b-4c5d-9e7f-0a1b2c3d4e5f';
    expect(pinnedArchiveProblem(`s3://our-postgresql-backups/backups/${other}/wal/`, 'our-postgresql-backups', GUID)).toBe(
      `its prefix backups/${other}/wal/ is not backups/${GUID}/wal/, where Dingo archives instance ${GUID}`,
    );
    expect(pinnedArchiveProblem(`s3://our-postgresql-backups/tenant/backups/${GUID}/wal/`, 'our-postgresql-backups', GUID)).toContain(
      `its prefix tenant/backups/${GUID}/wal/ is not`,
    );
  });
});
