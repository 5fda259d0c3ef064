/**
 * A fresh, empty cluster for a test's own server, made as the tool makes its scratch clusters
 * (systems/postgres template.ts): `initdb` once per installation of a major, and each cluster a copy
 * of that template. A copy would share the template's system identifier, which initdb draws anew
 * for each cluster and which the tool reads to tell archives, segments and partials of one database
 * from another's; so each copy gets one of its own, in pg_control (its CRC made again) and in the
 * long header of each WAL segment's first page, where the server checks it against pg_control.
 */
import { randomInt } from 'node:crypto';
import { open, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c, crcOffset, parsePgControl } from '../../src/systems/pg-control.js';
import { runOk } from '../../src/systems/processes.js';
import { freshCluster, openSandbox } from '../../src/systems/postgres/index.js';

/** xlp_sysid's place in XLogLongPageHeaderData (after the 24-byte short header); src/include/access/xlog_internal.h. */
const XLP_SYSID = 24;

/**
 * A system identifier as initdb draws one (BootStrapXLOG in src/backend/access/transam/xlog.c): the
 * seconds in the high 32 bits, the microseconds below them, then 12 bits initdb takes from its PID.
 */
function newSystemIdentifier(): bigint {
  const micros = BigInt(Date.now()) * 1000n + BigInt(randomInt(1000));
  return ((micros / 1_000_000n) << 32n) | ((micros % 1_000_000n) << 12n) | BigInt(randomInt(4096));
}

/** Gives the cluster at `dataDir` (shut down, never started since initdb) a system identifier of its own. */
async function renewSystemIdentifier(dataDir: string): Promise<void> {
  const file = join(dataDir, 'global', 'pg_control');
  const control = await readFile(file);
  const parsed = parsePgControl(control);
  if (!parsed.crcOk) throw new Error(`pg_control of ${dataDir} (layout ${parsed.layout}) has a CRC this reader does not match`);
  const old = control.readBigUInt64LE(0);
  const sysid = newSystemIdentifier();
  control.writeBigUInt64LE(sysid, 0);
  const at = crcOffset(parsed.layout);
  control.writeUInt32LE(crc32c(control.subarray(0, at)), at);
  await writeFile(file, control);
  const wal = join(dataDir, 'pg_wal');
  for (const segment of (await readdir(wal)).filter((f) => /^[0-9A-F]{24}$/.test(f))) {
    const handle = await open(join(wal, segment), 'r+');
    try {
      const header = Buffer.alloc(8);
      await handle.read(header, 0, 8, XLP_SYSID);
      if (header.readBigUInt64LE(0) !== old) throw new Error(`WAL segment ${segment} of ${dataDir} is not of its pg_control's system`);
      header.writeBigUInt64LE(sysid, 0);
      await handle.write(header, 0, 8, XLP_SYSID);
    } finally {
      await handle.close();
    }
  }
}

/**
 * A new empty cluster of `bin`'s major at `dataDir` (missing or an empty folder, as initdb takes it; its parent must exist), with
 * a system identifier of its own, owned by `owner` (the account its server runs as) or root.
 */
export async function freshTestCluster(bin: string, dataDir: string, owner?: { uid: number; gid: number }): Promise<void> {
  // An empty folder goes (rmdir refuses any other): the copy is made in its place.
  await rmdir(dataDir).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  });
  await freshCluster(openSandbox, bin, dataDir);
  await renewSystemIdentifier(dataDir);
  if (owner) await runOk(['chown', '-R', `${owner.uid}:${owner.gid}`, '--', dataDir]);
}
