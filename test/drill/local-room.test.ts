/**
 * The drill's check of this machine's disk before it fetches anything (src/drill/local-room.ts), on
 * the real file systems here: what it needs for a base backup and its WAL, and a refusal that names
 * the folder it looked at (the nearest that exists), the room there and the archive's sizes.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireLocalRoom, roomNeeded } from '../../src/drill/local-room.js';
import { DrillFailed } from '../../src/drill/exit-codes.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

describe("the drill's room on this machine", () => {
  it('is the base backup and 16 MiB a WAL segment, half again, and 256 MiB left free', () => {
    expect(roomNeeded({ backupBytes: 0, walSegments: 0 })).toBe(256 * MIB);
    expect(roomNeeded({ backupBytes: GIB, walSegments: 64 })).toBe(3 * GIB + 256 * MIB);
    // A cell's store keeps a GiB free for the other tenants' databases on it.
    expect(roomNeeded({ backupBytes: GIB, walSegments: 64 }, GIB)).toBe(4 * GIB);
  });

  it('lets a drill that fits go on', async () => {
    await expect(requireLocalRoom(tmpdir(), { backupBytes: MIB, walSegments: 2 })).resolves.toBeUndefined();
  });

  it('refuses an archive larger than the disk before anything is fetched, naming the folder it looked at and the sizes', async () => {
    const err: unknown = await requireLocalRoom(join(tmpdir(), 'not-made', 'yet'), { backupBytes: 2 ** 50, walSegments: 3 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DrillFailed);
    const failed = err as DrillFailed;
    expect(failed.outcome).toBe('could-not-run');
    expect(failed.message).toMatch(new RegExp(`^${tmpdir()} has \\d+\\.\\d [KMGT]iB free; `));
    expect(failed.message).toContain('its base backup (1024.0 TiB extracted) and 3 WAL segment(s), 48.0 MiB decompressed');
    expect(failed.hint).toContain('nothing was fetched');
    expect(failed.hint).toContain(`df -h ${tmpdir()}`);
  });
});
