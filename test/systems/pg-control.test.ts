/**
 * pg_control of PostgreSQL 18 (PG_CONTROL_VERSION 1800, src/include/catalog/pg_control.h of
 * REL_18): the checkpoint keeps its wal_level, and default_char_signedness comes before the nonce,
 * which moves the CRC to byte 292. The file here is written at offsets worked out by hand from the C
 * struct, not from the layouts the reader uses.
 */
import { describe, expect, it } from 'vitest';
import { crc32c, parsePgControl } from '../../src/systems/pg-control.js';
import { majorOfCatalog } from '../../src/volumes/data-folder-major.js';

const CHECKPOINT_AT = new Date('2026-11-30T08:09:10Z');

function pgControl18(): Buffer {
  const buf = Buffer.alloc(8192);
  const seconds = BigInt(CHECKPOINT_AT.getTime() / 1000);
  buf.writeBigUInt64LE(7440000000000000018n, 0); // system_identifier
  buf.writeUInt32LE(1800, 8); // pg_control_version
  buf.writeUInt32LE(202506291, 12); // catalog_version_no
  buf.writeInt32LE(6, 16); // state: DB_IN_PRODUCTION
  buf.writeBigInt64LE(seconds, 24); // time
  buf.writeBigUInt64LE(0x1000080n, 32); // checkPoint
  // checkPointCopy at 40: redo, ThisTimeLineID, PrevTimeLineID, fullPageWrites, wal_level, nextXid (at +24) … time at +64.
  buf.writeBigUInt64LE(0x1000028n, 40);
  buf.writeUInt32LE(3, 48);
  buf.writeUInt32LE(3, 52);
  buf.writeUInt8(1, 56);
  buf.writeInt32LE(1, 60);
  buf.writeBigInt64LE(seconds, 40 + 64);
  // After the checkpoint (88 bytes): … wal_level at 172, MaxConnections at 180, max_wal_senders at 188.
  buf.writeInt32LE(2, 172); // logical
  buf.writeInt32LE(100, 180);
  buf.writeInt32LE(10, 188);
  buf.writeUInt8(1, 256); // default_char_signedness
  buf.fill(0xab, 257, 289); // mock_authentication_nonce
  buf.writeUInt32LE(crc32c(buf.subarray(0, 292)), 292);
  return buf;
}

describe('pg_control of PostgreSQL 18', () => {
  it('is read in its own layout, its CRC at 292 matching', () => {
    const c = parsePgControl(pgControl18(), '18');
    expect(c).toMatchObject({
      layout: '18',
      pgControlVersion: 1800,
      systemIdentifier: '7440000000000000018',
      state: 'in production',
      checkpointLocation: '0/1000080',
      redoLocation: '0/1000028',
      checkpointAt: CHECKPOINT_AT.toISOString(),
      timeline: 3,
      crcOk: true,
    });
    expect(c.settings).toMatchObject({ walLevel: 'logical', maxConnections: 100, maxWalSenders: 10 });
  });

  it("names 18 by its catalog version, and 17's as 17", () => {
    expect(majorOfCatalog(202506291)).toBe('18');
    expect(majorOfCatalog(202406281)).toBe('17');
  });

  it('reads a later release with the newest layout known, and says when its CRC does not match it', () => {
    const later = pgControl18();
    later.writeUInt32LE(1900, 8);
    later.writeUInt32LE(crc32c(later.subarray(0, 292)), 292);
    expect(parsePgControl(later)).toMatchObject({ layout: '18', crcOk: true });
    later.writeUInt32LE(0, 292);
    expect(parsePgControl(later).crcOk).toBe(false);
  });
});
