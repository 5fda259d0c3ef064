import { describe, expect, it } from 'vitest';
import { inspectArchive, inspectListing } from '../../src/archive/inspect.js';
import { checkRestorable } from '../../src/drill/archive-checks.js';
import type { DrillFailed } from '../../src/drill/exit-codes.js';
import { renderReport } from '../../src/commands/archive/render.js';
import { UsageError } from '../../src/core/errors.js';
import { Redactor } from '../../src/core/redact.js';
import { ArchiveBuilder, BUCKET, PREFIX, URL, lzop, minutes } from '../support/archive-builder.js';

const B1 = 'base_000000010000000000000002_00000040';

/** The runbook's archive: one base backup at 0/2000028, WAL 1..9, sysid. */
function healthy(): ArchiveBuilder {
  const a = new ArchiveBuilder();
  a.sysid();
  a.wal('000000010000000000000001', '000000010000000000000009', minutes(0));
  a.backup({ start: '000000010000000000000002', offset: 40, stop: '000000010000000000000002', at: minutes(1) });
  return a;
}

const inspect = (a: ArchiveBuilder, opts = {}) => inspectArchive(a.store, URL, { redactor: new Redactor(), ...opts });

describe('inspectArchive', () => {
  it('reports a healthy archive as restorable to its newest segment', async () => {
    const r = await inspect(healthy());
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r).toMatchObject({
      prefix: URL,
      layout: 'wal-e',
      pgVersion: '9.5',
      sysid: '6262361548154445855',
      restorable: true,
      restorableTo: '000000010000000000000009',
      restorableToAt: minutes(8).toISOString(),
      complete: true,
      lost: null,
      firstSegment: '000000010000000000000001',
      lastSegment: '000000010000000000000009',
      lastSegmentAt: minutes(8).toISOString(),
      timelines: [1],
      targetTimeline: 1,
      gaps: [],
      walSegments: 9,
      objects: 14,
    });
    expect(r.latest).toEqual({
      name: B1,
      startSegment: '000000010000000000000002',
      startOffset: 40,
      lastModified: new Date(minutes(1).getTime() + 1000).toISOString(),
      stopSegment: '000000010000000000000002',
      stopOffset: 240,
      expandedSizeBytes: 21_000_000,
      partitions: [`${PREFIX}basebackups_005/${B1}/tar_partitions/part_00000000.tar.lzo`],
      sentinelKey: `${PREFIX}basebackups_005/${B1}_backup_stop_sentinel.json`,
      extendedVersionKey: `${PREFIX}basebackups_005/${B1}/extended_version.txt`,
      labelKey: `${PREFIX}wal_005/000000010000000000000002.00000028.backup.lzo`,
      complete: true,
      issues: [],
    });
    expect(r.latestBySegment).toEqual(r.latest);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('fingerprints the listing: stable, and changed by any size or ETag change', async () => {
    const a = healthy();
    const first = await inspect(a);
    expect((await inspect(a)).fingerprint).toBe(first.fingerprint);
    a.put('wal_005/000000010000000000000009.lzo', 16_001, minutes(8));
    expect((await inspect(a)).fingerprint).not.toBe(first.fingerprint);
    expect(first.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('keeps a backup restorable across a gap after its stop segment, up to the gap', async () => {
    const a = healthy();
    a.remove('wal_005/000000010000000000000006.lzo');
    a.remove('wal_005/000000010000000000000007.lzo');
    const r = await inspect(a);
    expect(r.restorable).toBe(true);
    expect(r.restorableTo).toBe('000000010000000000000005');
    expect(r.gaps).toEqual([{ from: '000000010000000000000006', to: '000000010000000000000007', count: 2 }]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(/replay stops at 000000010000000000000005, and data written after it would be lost/);
    expect(r.problems[0]).toContain('000000010000000000000009');
    // Incomplete: what lies from the hole to the newest archived segment cannot be replayed.
    expect(r.complete).toBe(false);
    expect(r.lost).toEqual({ from: '000000010000000000000006', to: '000000010000000000000009', missing: '000000010000000000000006' });
  });

  it('names the lost range up to the newest segment on the chain, across several holes', async () => {
    const a = healthy();
    a.wal('00000001000000000000000A', '00000001000000000000000C', minutes(9));
    a.remove('wal_005/000000010000000000000005.lzo');
    a.remove('wal_005/00000001000000000000000B.lzo');
    const r = await inspect(a);
    expect(r).toMatchObject({ restorable: true, complete: false, restorableTo: '000000010000000000000004' });
    expect(r.lost).toEqual({ from: '000000010000000000000005', to: '00000001000000000000000C', missing: '000000010000000000000005' });
  });

  it('is not restorable when WAL up to the stop segment is missing', async () => {
    const a = new ArchiveBuilder();
    a.sysid();
    a.wal('000000010000000000000002', '000000010000000000000008', minutes(0));
    a.backup({ start: '000000010000000000000002', offset: 40, stop: '000000010000000000000005', at: minutes(1) });
    a.remove('wal_005/000000010000000000000004.lzo');
    const r = await inspect(a);
    expect(r.restorable).toBe(false);
    expect(r.restorableTo).toBeNull();
    expect(r).toMatchObject({ complete: false, lost: null });
    expect(r.gaps).toEqual([{ from: '000000010000000000000004', to: '000000010000000000000004', count: 1 }]);
    expect(r.problems[0]).toMatch(
      /^LATEST \(base_000000010000000000000002_00000040\) cannot be restored: WAL 000000010000000000000004 is missing.*up to 000000010000000000000005/,
    );
  });

  it('needs the start segment, the backup label and partitions', async () => {
    const cases: [string, RegExp][] = [
      ['wal_005/000000010000000000000002.lzo', /WAL 000000010000000000000002 is missing/],
      [
        'wal_005/000000010000000000000002.00000028.backup.lzo',
        /backup label wal_005\/000000010000000000000002\.00000028\.backup\.lzo is missing/,
      ],
      [`basebackups_005/${B1}/tar_partitions/part_00000000.tar.lzo`, /no tar partitions/],
    ];
    for (const [key, why] of cases) {
      const a = healthy();
      a.remove(key);
      const r = await inspect(a);
      expect(r.restorable, key).toBe(false);
      expect(r.problems[0], key).toMatch(why);
    }
  });

  it('restores without extended_version.txt, as backup-fetch does, and reads the version from the first WAL page', async () => {
    // wal-e uploads extended_version.txt as an attempt; backup-fetch reads the sentinel and partitions only.
    const a = healthy();
    a.remove(`basebackups_005/${B1}/extended_version.txt`);
    const unread = await inspect(a);
    expect(unread).toMatchObject({ restorable: true, pgVersion: null });
    expect(unread.warnings.join('\n')).toMatch(
      /PostgreSQL version is unknown \(no readable extended_version\.txt, nor a first WAL segment/,
    );
    // XLogLongPageHeaderData: xlp_magic 0xD087 (9.5), xlp_info XLP_LONG_HEADER, timeline 1, page address, sysid, sizes.
    const page = Buffer.alloc(8192);
    page.writeUInt16LE(0xd087, 0);
    page.writeUInt16LE(0x0002, 2);
    page.writeUInt32LE(1, 4);
    page.writeBigUInt64LE(0x2000000n, 8);
    page.writeBigUInt64LE(6262361548154445855n, 24);
    page.writeUInt32LE(16 * 1024 * 1024, 32);
    page.writeUInt32LE(8192, 36);
    a.put('wal_005/000000010000000000000002.lzo', lzop(page), minutes(0));
    const read = await inspect(a);
    expect(read).toMatchObject({ restorable: true, pgVersion: '9.5' });
    expect(read.warnings).toContainEqual(
      `${B1} has no readable extended_version.txt; its first WAL segment, 000000010000000000000002, was written by PostgreSQL 9.5 (the magic of its page header).`,
    );
    page.writeUInt16LE(0xd0ff, 0);
    a.put('wal_005/000000010000000000000002.lzo', lzop(page), minutes(0));
    expect(await inspect(a)).toMatchObject({ restorable: true, pgVersion: null });
  });

  it('names a missing tar partition in the middle', async () => {
    const a = healthy();
    a.backup({ start: '000000010000000000000004', offset: 96, stop: '000000010000000000000005', parts: 4, at: minutes(3) });
    a.remove('basebackups_005/base_000000010000000000000004_00000096/tar_partitions/part_00000002.tar.lzo');
    const r = await inspect(a);
    expect(r.latest!.name).toBe('base_000000010000000000000004_00000096');
    expect(r.latest!.complete).toBe(false);
    expect(r.restorable).toBe(false);
    expect(r.problems[0]).toContain('part_00000002 are missing');
  });

  it('ignores a base backup without sentinel, as wal-e does', async () => {
    const a = healthy();
    a.backup({ start: '000000010000000000000007', offset: 40, stop: '000000010000000000000007', sentinel: false, at: minutes(6) });
    const r = await inspect(a);
    expect(r.latest!.name).toBe(B1);
    expect(r.restorable).toBe(true);
    expect(r.baseBackups.map((b) => [b.name, b.complete])).toEqual([
      [B1, true],
      ['base_000000010000000000000007_00000040', false],
    ]);
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /base_000000010000000000000007_00000040 has no backup_stop_sentinel\.json, so wal-e ignores it \(it is newer than LATEST/,
      ),
    ]);
  });

  it('finds nothing to restore when no backup has a sentinel', async () => {
    const a = healthy();
    a.remove(`basebackups_005/${B1}_backup_stop_sentinel.json`);
    const r = await inspect(a);
    expect(r.latest).toBeNull();
    expect(r.restorable).toBe(false);
    expect(r.problems).toEqual([
      expect.stringMatching(/No base backup has a backup_stop_sentinel\.json.*base_000000010000000000000002_00000040/),
    ]);
  });

  it('follows wal-e LATEST by LastModified and warns when WAL position disagrees', async () => {
    const a = healthy();
    // The newer backup was copied first, so its sentinel carries the older LastModified.
    a.backup({ start: '000000010000000000000006', offset: 40, stop: '000000010000000000000006', at: minutes(-30) });
    const r = await inspect(a);
    expect(r.latest!.name).toBe(B1);
    expect(r.latestBySegment!.name).toBe('base_000000010000000000000006_00000040');
    expect(r.restorable).toBe(true);
    expect(r.restorableTo).toBe('000000010000000000000009');
    expect(r.warnings).toEqual([expect.stringContaining('aws/aws-cli#2000')]);
    expect(r.warnings[0]).toContain('wal-e restores LATEST by sentinel LastModified: base_000000010000000000000002_00000040');
  });

  it('breaks a LastModified tie by name, like wal-e', async () => {
    const a = healthy();
    a.backup({ start: '000000010000000000000006', offset: 40, stop: '000000010000000000000006', at: minutes(1) });
    const r = await inspect(a);
    expect(r.latest!.name).toBe('base_000000010000000000000006_00000040');
    expect(r.warnings).toEqual([]);
  });
});

describe('timelines', () => {
  /** Timeline 2 branched off at 0/5000090: TLI 1 up to segment 4, TLI 2 from segment 5. */
  function promoted(history = lzop('1\t0/5000090\tno recovery target specified\n'), historyKey = 'wal_005/00000002.history.lzo') {
    const a = new ArchiveBuilder();
    a.sysid();
    a.wal('000000010000000000000001', '000000010000000000000005', minutes(0));
    a.wal('000000020000000000000005', '000000020000000000000008', minutes(10));
    a.put(historyKey, history, minutes(10));
    a.backup({ start: '000000010000000000000002', offset: 40, stop: '000000010000000000000002', at: minutes(1) });
    return a;
  }

  it('follows the switch recorded in the (lzop-compressed) history file', async () => {
    const r = await inspect(promoted());
    expect(r.restorable).toBe(true);
    expect(r.targetTimeline).toBe(2);
    expect(r.timelines).toEqual([1, 2]);
    expect(r.restorableTo).toBe('000000020000000000000008');
    expect(r.gaps).toEqual([]);
    expect(r.problems).toEqual([]);
    // TLI 1's own segment 5 (its last, partly replaced by TLI 2's copy) is not read by replay.
    expect(r.warnings).toEqual([expect.stringMatching(/^1 segment\(s\) were archived on a parent timeline/)]);
  });

  it('does not follow a history file stored without .lzo: wal-fetch never asks for that name', async () => {
    const r = await inspect(promoted(Buffer.from('1\t0/5000090\tx\n'), 'wal_005/00000002.history'));
    expect(r.targetTimeline).toBe(1);
    expect(r.restorable).toBe(true);
    expect(r.restorableTo).toBe('000000010000000000000005');
    expect(r.complete).toBe(false);
    expect(r.lost).toEqual({ from: '000000020000000000000005', to: '000000020000000000000008', missing: '00000002.history' });
    expect(r.problems).toEqual([
      expect.stringMatching(
        /^WAL was archived on timeline 2 \(from 000000020000000000000005\), but recovery stops at timeline 1 because 00000002\.history is not in the archive/,
      ),
    ]);
    expect(r.warnings).toContainEqual(expect.stringMatching(/^1 WAL file\(s\) are stored without \.lzo \(00000002\.history\)/));
  });

  it('leaves a segment stored without .lzo out of the chain, as a gap', async () => {
    const a = healthy();
    a.remove('wal_005/000000010000000000000006.lzo');
    a.put('wal_005/000000010000000000000006', 16_000, minutes(20));
    a.put('wal_005/00000001000000000000000A', 16_000, minutes(30));
    const r = await inspect(a);
    expect(r.gaps).toEqual([{ from: '000000010000000000000006', to: '000000010000000000000006', count: 1 }]);
    expect(r.restorableTo).toBe('000000010000000000000005');
    expect(r.lastSegment).toBe('000000010000000000000009');
    expect(r.lost).toEqual({ from: '000000010000000000000006', to: '000000010000000000000009', missing: '000000010000000000000006' });
    expect(r.complete).toBe(false);
    expect(r.unknownKeys).toEqual([]);
    expect(r.warnings).toContainEqual(
      expect.stringMatching(
        /^2 WAL file\(s\) are stored without \.lzo \(000000010000000000000006, 00000001000000000000000A\): wal-e's wal-fetch asks only for NAME\.lzo/,
      ),
    );
  });

  it('names gaps on the timeline replay reads them from', async () => {
    const a = promoted();
    a.remove('wal_005/000000010000000000000004.lzo');
    a.remove('wal_005/000000020000000000000007.lzo');
    const r = await inspect(a);
    expect(r.gaps).toEqual([
      { from: '000000010000000000000004', to: '000000010000000000000004', count: 1 },
      { from: '000000020000000000000007', to: '000000020000000000000007', count: 1 },
    ]);
    expect(r.restorableTo).toBe('000000010000000000000003');
  });

  it('sees the loss when the child timeline lacks its first segment', async () => {
    const a = promoted();
    a.remove('wal_005/000000020000000000000005.lzo');
    const r = await inspect(a);
    expect(r.gaps).toEqual([{ from: '000000020000000000000005', to: '000000020000000000000005', count: 1 }]);
    expect(r.restorableTo).toBe('000000010000000000000004');
  });

  it('infers the switch from segment names when the history file is unreadable', async () => {
    const r = await inspect(promoted(Buffer.from('this is not a history file')));
    expect(r.restorableTo).toBe('000000020000000000000008');
    expect(r.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^00000002\.history could not be used \(.*line 1.*\); timeline switches were inferred/),
      ]),
    );
  });

  it('names a history file encrypted with GPG, which it does not decrypt, and infers the switch', async () => {
    // An OpenPGP message starts with a public-key encrypted session key packet (new format, tag 1).
    const r = await inspect(promoted(Buffer.concat([Buffer.from([0xc1, 0x5e, 0x03]), Buffer.alloc(90, 7)])));
    expect(r.restorableTo).toBe('000000020000000000000008');
    expect(r.warnings).toEqual(
      expect.arrayContaining([expect.stringMatching(/^00000002\.history could not be used \(.*is encrypted with GPG .*drill.*\)/)]),
    );
  });

  it('refuses a backup taken on the parent after the switch', async () => {
    const a = promoted();
    a.wal('000000010000000000000006', '000000010000000000000007', minutes(20));
    a.backup({ start: '000000010000000000000006', offset: 40, stop: '000000010000000000000006', at: minutes(21) });
    const r = await inspect(a);
    expect(r.latest!.name).toBe('base_000000010000000000000006_00000040');
    expect(r.restorable).toBe(false);
    expect(r.problems[0]).toMatch(/not on the history of timeline 2/);
  });

  it('has a drill name the missing history file, never the archived segment after it', async () => {
    const a = healthy();
    a.wal('000000020000000000000009', '00000002000000000000000A', minutes(30));
    const refused = await checkRestorable(a.store, URL, true, new Redactor()).then(
      () => null,
      (err: unknown) => err as DrillFailed,
    );
    expect(refused?.outcome).toBe('not-restorable');
    expect(refused?.message).toMatch(/WAL 000000020000000000000009 .*cannot be replayed \(00000002\.history is missing\)/);
    expect(refused?.hint).toMatch(/^Look for 00000002\.history in another copy/);
  });

  it('counts WAL on a timeline recovery cannot reach as lost, and the archive as incomplete', async () => {
    const a = healthy();
    a.wal('000000030000000000000009', '00000003000000000000000A', minutes(30));
    const r = await inspect(a);
    expect(r.restorable).toBe(true);
    expect(r.restorableTo).toBe('000000010000000000000009');
    expect(r.complete).toBe(false);
    expect(r.lost).toEqual({ from: '000000030000000000000009', to: '00000003000000000000000A', missing: '00000002.history' });
    expect(r.problems).toEqual([
      expect.stringMatching(
        /^WAL was archived on timeline 3 \(from 000000030000000000000009\), but recovery stops at timeline 1 because 00000002\.history is not in the archive .*would be lost/,
      ),
    ]);
    expect(r.warnings).toEqual([]);
  });
});

describe('pre-9.3 archives', () => {
  it('does not expect segment FF before 9.3, and does from 9.3 on', async () => {
    for (const [version, major] of [
      ['PostgreSQL 9.2.24 on x86_64-unknown-linux-gnu', '9.2'],
      ['PostgreSQL 9.5.1 on x86_64-pc-linux-gnu', '9.5'],
    ] as const) {
      const a = new ArchiveBuilder();
      a.sysid();
      a.wal('0000000100000000000000FC', '000000010000000100000002', minutes(0), '9.2');
      a.backup({ start: '0000000100000000000000FC', offset: 40, stop: '0000000100000000000000FC', version, at: minutes(1) });
      const r = await inspect(a);
      expect(r.pgVersion).toBe(major);
      if (major === '9.2') {
        expect(r.gaps).toEqual([]);
        expect(r.restorableTo).toBe('000000010000000100000002');
      } else {
        expect(r.gaps).toEqual([{ from: '0000000100000000000000FF', to: '0000000100000000000000FF', count: 1 }]);
        expect(r.restorableTo).toBe('0000000100000000000000FE');
      }
    }
  });
});

describe('archives that are not where or what they should be', () => {
  it('explains an empty prefix and names similar prefixes', async () => {
    const a = new ArchiveBuilder();
    const r = await inspectArchive(a.store, `s3://${BUCKET}/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec4/wal`, {
      redactor: new Redactor(),
      siblings: [`s3://${BUCKET}/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/`],
    });
    expect(r).toMatchObject({ layout: 'empty', restorable: false, objects: 0, latest: null });
    expect(r.problems).toEqual([
      expect.stringMatching(
        /^Nothing is stored under s3:\/\/our-postgresql-backups\/backups\/6e101b27-ee1b-4f4d-a032-4401a3709ec4\/wal\/\. Check the prefix.*Similar prefixes exist: s3:\/\/.*4401a3709ec3\/wal\/\.$/,
      ),
    ]);
  });

  it('points one level down when the prefix lacks /wal/', async () => {
    const r = await inspectArchive(healthy().store, `s3://${BUCKET}/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3`, {
      redactor: new Redactor(),
    });
    expect(r.restorable).toBe(false);
    expect(r.layout).toBe('unknown');
    expect(r.problems[0]).toContain(`seems to be at ${URL}`);
  });

  it('points one level up when the prefix is a folder inside the archive', async () => {
    const r = await inspectArchive(healthy().store, `${URL}wal_005/`, { redactor: new Redactor() });
    expect(r.problems).toEqual(expect.arrayContaining([expect.stringContaining(`the archive prefix is ${URL}.`)]));
  });

  it('recognises a wal-g archive', async () => {
    const a = new ArchiveBuilder();
    const G = 'base_000000010000000000000004';
    a.put(`basebackups_005/${G}/metadata.json`, '{}', minutes(0));
    a.put(`basebackups_005/${G}/tar_partitions/part_001.tar.lz4`, 1000, minutes(0));
    a.put(`basebackups_005/${G}_backup_stop_sentinel.json`, '{"LSN":67108904,"FinishLSN":67109160}', minutes(1));
    a.put('wal_005/000000010000000000000004.lz4', 1000, minutes(0));
    const r = await inspect(a);
    expect(r).toMatchObject({ layout: 'wal-g', restorable: false, latest: null, baseBackups: [] });
    expect(r.problems).toEqual([expect.stringMatching(/holds a wal-g archive .*wal-e 0\.9, which cannot read it/)]);
  });

  it('reports a missing sysid and unknown keys', async () => {
    const a = healthy();
    a.remove('sysids/sysid');
    a.put('notes.txt', 'hello', minutes(0));
    a.put('wal_005/000000010000000000000003.lzo.tmp', 10, minutes(0));
    const r = await inspect(a);
    expect(r.restorable).toBe(true);
    expect(r.sysid).toBeNull();
    expect(r.problems).toEqual([expect.stringMatching(/^sysids\/sysid is missing/)]);
    expect(r.warnings).toEqual([
      expect.stringMatching(/^2 key\(s\) match no wal-e name and are ignored: notes\.txt, wal_005\/000000010000000000000003\.lzo\.tmp\./),
    ]);
    expect(r.unknownKeys).toEqual([`${PREFIX}notes.txt`, `${PREFIX}wal_005/000000010000000000000003.lzo.tmp`]);
  });

  it('turns unreadable or broken sentinels into problems', async () => {
    const a = healthy();
    a.put(`basebackups_005/${B1}_backup_stop_sentinel.json`, '{"wal_segment_backup_stop":', minutes(2));
    const r = await inspect(a);
    expect(r.restorable).toBe(false);
    expect(r.problems[0]).toMatch(/cannot be restored: its sentinel is unusable: .* is not a wal-e backup sentinel: it is not valid JSON/);
  });

  it('rejects a malformed URL', async () => {
    await expect(inspectArchive(healthy().store, 'our-postgresql-backups/backups', { redactor: new Redactor() })).rejects.toBeInstanceOf(
      UsageError,
    );
  });
});

describe('inspectListing', () => {
  it('deduplicates the listing and reads only through read()', async () => {
    const a = healthy();
    const objects = [];
    for await (const o of a.store.list(BUCKET, PREFIX)) objects.push(o);
    const reads: string[] = [];
    const r = await inspectListing({
      redactor: new Redactor(),
      bucket: BUCKET,
      prefix: PREFIX,
      objects: [...objects, ...objects.slice(0, 5)],
      read: async (key) => {
        reads.push(key);
        return a.store.get({ bucket: BUCKET, key });
      },
    });
    expect(r.objects).toBe(objects.length);
    expect(r.bytes).toBe(objects.reduce((n, o) => n + o.size, 0));
    expect(r.restorable).toBe(true);
    expect(reads.sort()).toEqual([
      `${PREFIX}basebackups_005/${B1}/extended_version.txt`,
      `${PREFIX}basebackups_005/${B1}_backup_stop_sentinel.json`,
      `${PREFIX}sysids/sysid`,
    ]);
  });

  it('renders a short summary with problems first', async () => {
    const a = healthy();
    a.remove('wal_005/000000010000000000000007.lzo');
    const text = renderReport(await inspect(a));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(`Archive       ${URL} (wal-e, PostgreSQL 9.5)`);
    expect(lines[1]).toBe(`Restorable    yes: ${B1}, replayed up to 000000010000000000000006, archived ${minutes(5).toISOString()}`);
    expect(lines[2]).toBe(
      'Complete      NO: WAL 000000010000000000000007 .. 000000010000000000000009 cannot be replayed; what it holds is lost',
    );
    expect(lines[3]).toMatch(/^ {2}problem: WAL 000000010000000000000007 is missing/);
    expect(renderReport(await inspect(healthy()))).not.toContain('Complete');
    expect(text).toContain('Gaps          000000010000000000000007');
    expect(text).toContain('WAL           000000010000000000000001 .. 000000010000000000000009 (8 segments, timeline 1)');
    // eslint-disable-next-line no-control-regex -- no escape sequence may reach the report
    expect(text).not.toMatch(/\x1b\[/);
  });
});

describe('more archive shapes', () => {
  it('follows two switches through the newest history file', async () => {
    const a = new ArchiveBuilder();
    a.sysid();
    a.wal('000000010000000000000001', '000000010000000000000004', minutes(0));
    a.wal('000000020000000000000004', '000000020000000000000006', minutes(10));
    a.wal('000000030000000000000006', '000000030000000000000009', minutes(20));
    a.put('wal_005/000000020000000000000006.partial.lzo', 16_000, minutes(20));
    a.history(2, '1\t0/4000000\tno recovery target specified\n', minutes(10));
    a.history(3, '1\t0/4000000\tno recovery target specified\n2\t0/60001A8\tno recovery target specified\n', minutes(20));
    a.backup({ start: '000000010000000000000002', offset: 40, stop: '000000010000000000000003', at: minutes(1) });
    const r = await inspect(a);
    expect(r).toMatchObject({
      restorable: true,
      targetTimeline: 3,
      timelines: [1, 2, 3],
      gaps: [],
      restorableTo: '000000030000000000000009',
    });
    expect(r.problems).toEqual([]);
  });

  it('takes a sentinel without its folder as LATEST, as wal-e does, and fails it', async () => {
    const a = healthy();
    a.put(
      'basebackups_005/base_000000010000000000000008_00000040_backup_stop_sentinel.json',
      JSON.stringify({
        wal_segment_backup_stop: '000000010000000000000008',
        wal_segment_offset_backup_stop: '00000100',
        expanded_size_bytes: 1,
      }),
      minutes(9),
    );
    const r = await inspect(a);
    expect(r.latest!.name).toBe('base_000000010000000000000008_00000040');
    expect(r.restorable).toBe(false);
    expect(r.problems[0]).toMatch(/it has no tar partitions/);
  });

  it('warns about wal-g keys next to a wal-e archive', async () => {
    const a = healthy();
    a.put('wal_005/00000001000000000000000A.zst', 100, minutes(9));
    const r = await inspect(a);
    expect(r.layout).toBe('mixed');
    expect(r.restorable).toBe(true);
    expect(r.warnings).toEqual([expect.stringMatching(/^1 key\(s\) look like wal-g's \(e\.g\. wal_005\/00000001000000000000000A\.zst\)/)]);
  });

  it('redacts secrets from read errors it reports', async () => {
    const a = healthy();
    const secret = 'AKIAWALETESTSECRET0001';
    const redactor = new Redactor();
    redactor.register(secret);
    const objects = [];
    for await (const o of a.store.list(BUCKET, PREFIX)) objects.push(o);
    const r = await inspectListing({
      bucket: BUCKET,
      prefix: PREFIX,
      objects,
      read: async (key) => {
        if (key.endsWith('sysids/sysid')) throw new Error(`AccessDenied for key id ${secret}`);
        return a.store.get({ bucket: BUCKET, key });
      },
      redactor,
    });
    expect(r.problems).toEqual([expect.stringMatching(/^sysids\/sysid cannot be read \(AccessDenied for key id \[REDACTED\]\)/)]);
    expect(JSON.stringify(r)).not.toContain(secret);
  });

  it('renders an unrestorable archive with NO first', async () => {
    const text = renderReport(await inspectArchive(new ArchiveBuilder().store, URL, { redactor: new Redactor() }));
    expect(text.split('\n').slice(0, 3)).toEqual([
      `Archive       ${URL} (empty)`,
      'Restorable    NO',
      expect.stringMatching(/^ {2}problem: Nothing is stored under/),
    ]);
    expect(text).toContain('WAL           none');
    expect(text).toContain('sysid         missing');
  });
});
