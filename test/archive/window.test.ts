/**
 * `archive inspect --window` on real parts: a real PostgreSQL 15 archive with two base backups (rows
 * committed in batches between them, labels in CET) in moto, read by the CLI; and a copy of it missing
 * the segment after the older backup's stop, which only the older backup's window crosses.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { setUpDrill, tearDownDrill } from '../support/drill-fixtures.js';
import type { Moto } from '../support/moto.js';
import { archiveKeys, type GeneratedArchive } from '../support/wale-archive.js';

const BUCKET = 'window-bucket';
const PREFIX = 'backups/window/wal/';
const HOLED = 'backups/window-hole/wal/';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIAWINDOWKEY0001', AWS_SECRET_ACCESS_KEY: 'window-secret-T5k2w' };

let moto: Moto;
let archive: GeneratedArchive;
let dir: string;
let missing: string;

beforeAll(async () => {
  ({ moto, archive, dir } = await setUpDrill({
    scratch: 'archive-window-',
    bucket: BUCKET,
    archive: { rowsBefore: 10, rowsAfter: 0, batches: { count: 3, rows: 5, backupAfter: 2 }, partitions: 1, logTimezone: 'Europe/Paris' },
    prefix: PREFIX,
    env: CREDENTIALS,
  }));
  missing = archive.segments.find((s) => s > archive.backups[0]!.stopSegment)!;
  for (const key of await archiveKeys(archive.root)) {
    if (key !== `wal_005/${missing}.lzo`)
      await moto.store.put({ bucket: BUCKET, key: HOLED + key }, await readFile(join(archive.root, key)));
  }
});

afterAll(() => tearDownDrill({ moto, archive, dir }));

const inspect = (prefix: string, ...flags: string[]) =>
  runCli(['archive', 'inspect', `s3://${BUCKET}/${prefix}`, '--window', '--s3-endpoint', moto.endpoint, '--s3-path-style', ...flags], {
    env: CREDENTIALS,
  });

interface Reach {
  backup: string;
  startLsn: string;
  stopLsn: string;
  restorable: boolean;
  reachesTo: string;
  earliest: string;
  earliestSource: string;
  latest: string;
  gaps: { from: string; to: string; count: number }[];
  lost: { from: string; to: string } | null;
}

describe('archive inspect --window', () => {
  it('gives every base backup its WAL start and stop, and the moments from its end to the newest archived WAL', async () => {
    const r = await inspect(PREFIX, '--json');
    expect(r.code, r.stderr).toBe(0);
    const reach = JSON.parse(r.stdout).reach as Reach[];
    expect(reach.map((w) => w.backup)).toEqual(archive.backups.map((b) => b.name));
    const newest = archive.segments[archive.segments.length - 1]!;
    for (const [i, w] of reach.entries()) {
      const b = archive.backups[i]!;
      expect(w).toMatchObject({ restorable: true, reachesTo: newest, gaps: [], lost: null, earliestSource: 'backup label' });
      // Its name's segment and its label's STOP WAL LOCATION.
      expect(w.startLsn).toBe(/START WAL LOCATION: (\S+)/.exec(b.label)![1]);
      expect(w.stopLsn).toBe(/STOP WAL LOCATION: (\S+)/.exec(b.label)![1]);
      // The label keeps whole seconds in CET: the end of its second, at most a second after the clock read once it was copied.
      expect(Date.parse(w.earliest)).toBeLessThanOrEqual(b.ended.getTime() + 1000);
      expect(Date.parse(w.earliest)).toBeGreaterThan(b.ended.getTime() - 5000);
      expect(w.earliest).toMatch(/\.999Z$/);
      expect(Date.parse(w.latest)).toBeGreaterThanOrEqual(archive.batches[2]!.committed.getTime() - 1000);
    }
  });

  it('names the hole only the older backup crosses, and the moments each still reaches (exit 0: LATEST is whole)', async () => {
    const r = await inspect(HOLED);
    expect(r.code, r.stderr).toBe(0);
    const older = archive.backups[0]!.name;
    const newer = archive.backups[1]!.name;
    expect(r.stdout).toMatch(
      new RegExp(
        `  ${older}: WAL \\S+ to \\S+\\n    reaches \\S+ to \\S+ \\(WAL ${archive.backups[0]!.stopSegment}\\)\\n    hole: WAL ${missing} \\(1 segment\\(s\\)\\) missing\\n    replay cannot reach WAL ${missing} \\.\\. `,
      ),
    );
    expect(r.stdout).toMatch(
      new RegExp(
        `  ${newer}: WAL \\S+ to \\S+\\n    reaches \\S+ to \\S+ \\(WAL ${archive.segments[archive.segments.length - 1]}\\)\\n(?!    hole)`,
      ),
    );
    const json = JSON.parse((await inspect(HOLED, '--json')).stdout);
    const [o, n] = json.reach as Reach[];
    expect(o!.gaps).toEqual([{ from: missing, to: missing, count: 1 }]);
    expect(o!.lost!.from).toBe(missing);
    expect(n!.gaps).toEqual([]);
  });
});
