/** The two CRCs PostgreSQL has put on pg_control and WAL: CRC-32C from 9.5 on, the "legacy" CRC before. */

function table(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}

const CRC32C_TABLE = table(0x82f63b78);
const CRC32_TABLE = table(0xedb88320);

/** CRC-32C (Castagnoli), reflected, as pg_crc32c computes it. */
export function crc32c(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of buf) crc = CRC32C_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The CRC of WAL and pg_control before 9.5 (pg_crc.h's LEGACY_CRC32): the reflected CRC-32 table
 * driven by non-reflected code.
 */
export function legacyCrc32(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of buf) crc = (CRC32_TABLE[((crc >>> 24) ^ byte) & 0xff]! ^ (crc << 8)) >>> 0;
  return (crc ^ 0xffffffff) >>> 0;
}
