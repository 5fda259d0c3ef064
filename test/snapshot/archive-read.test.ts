/**
 * A recorded archive keeps what a rehearsal decides on: every key, size, ETag and date, the small text
 * bodies inspect reads, and each base backup's lzop-compressed label, whose STOP TIME a restore to a
 * moment starts from. The database's data (WAL segments, tar partitions) is never kept.
 */
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/core/redact.js';
import { backupEnd } from '../../src/drill/backup-age.js';
import { MemoryStore } from '../../src/rehearsal/memory-store.js';
import { readArchives } from '../../src/snapshot/archive-read.js';
import { localProcesses } from '../../src/systems/local-processes.js';
import { ArchiveBuilder, BUCKET, lzop, minutes, PREFIX, URL } from '../support/archive-builder.js';

const START = '000000010000000000000002';
const LABEL = `wal_005/${START}.00000028.backup.lzo`;

/** One complete backup whose label says it stopped at 05:02:03 UTC, its sentinel stored a minute later, then two WAL segments. */
function archive(
  label: Buffer | string | number = lzop(`START TIME: 2016-03-17 05:01:00 UTC\nLABEL: wal-e\nSTOP TIME: 2016-03-17 05:02:03 UTC\n`),
) {
  const a = new ArchiveBuilder();
  a.sysid();
  a.backup({ start: START, offset: 40, stop: START, at: minutes(170), label: false });
  a.put(LABEL, label, minutes(170));
  a.wal(START, '000000010000000000000003', minutes(170));
  return a;
}

async function recorded(a: ArchiveBuilder) {
  const gaps: string[] = [];
  const s3 = await readArchives(a.store, [URL], gaps, new Redactor());
  expect(gaps).toEqual([]);
  return s3[BUCKET]!;
}

describe('an archive recorded for a rehearsal', () => {
  it("keeps each base backup's label, so a rehearsal reads the backup's end from it as the live run did", async () => {
    const a = archive();
    const kept = await recorded(a);
    expect(kept[`${PREFIX}${LABEL}`]?.bodyBase64).toBe(
      (await a.store.get({ bucket: BUCKET, key: `${PREFIX}${LABEL}` })).toString('base64'),
    );
    const store = new MemoryStore(
      { [BUCKET]: kept },
      () => undefined,
      () => new Date(),
    );
    const ref = { startSegment: START, startOffset: 40, lastModified: minutes(171), labelKey: `${PREFIX}${LABEL}`, stopSegment: START };
    const live = await backupEnd({ store: a.store, bucket: BUCKET, prefix: PREFIX, processes: localProcesses }, ref);
    const rehearsed = await backupEnd({ store, bucket: BUCKET, prefix: PREFIX, processes: localProcesses }, ref);
    expect(live).toEqual({ at: new Date('2016-03-17T05:02:03Z'), source: 'backup label' });
    expect(rehearsed).toEqual(live);
  });

  it("keeps the small text bodies, and never a WAL segment's or a partition's bytes", async () => {
    const kept = await recorded(archive());
    expect(kept[`${PREFIX}sysids/sysid`]?.body).toBe('6262361548154445855\n');
    const data = Object.entries(kept).filter(([k]) => /wal_005\/[0-9A-F]{24}\.lzo$|tar_partitions\//.test(k));
    expect(data.map(([k]) => k)).toHaveLength(3);
    for (const [, o] of data) expect(o.body ?? o.bodyBase64).toBeUndefined();
  });

  it('leaves a label too large to be one as a listing', async () => {
    const kept = await recorded(archive(128 * 1024));
    expect(kept[`${PREFIX}${LABEL}`]).toMatchObject({ size: 128 * 1024 });
    expect(kept[`${PREFIX}${LABEL}`]?.bodyBase64).toBeUndefined();
  });
});
