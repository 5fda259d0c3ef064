/**
 * `.partial` segments in an archive's listing: found, read through the real lzop, checked against
 * the archive's system identifier, timeline and end, and the archive's last moment. The segments'
 * first pages are laid out as PostgreSQL writes a segment's long page header; the drill's tests
 * (test/drill/partial-wal.test.ts) serve a partial PostgreSQL 15 wrote.
 */
import { Redactor } from '../../src/core/redact.js';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { archiveActions } from '../../src/actions/archive.js';
import { inspectArchive } from '../../src/archive/inspect.js';
import { DEFAULT_SETTINGS } from '../../src/engine/runbook/index.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import { testRuntime } from '../support/runtime.js';
import { partialCopyCommands } from '../../src/archive/partials.js';
import { renderReport } from '../../src/commands/archive/render.js';
import { readLongPageHeader } from '../../src/wale/partial-segment.js';
import { SEGMENT_BYTES } from '../../src/wale/segments.js';
import { ArchiveBuilder, BUCKET, PREFIX, URL, minutes } from '../support/archive-builder.js';

const SYSID = '6262361548154445855';
const LAST_FULL = '000000010000000000000009';
const NEXT = '00000001000000000000000A';

/** A segment as PostgreSQL 15 writes one: its long page header, zeros after it. */
function segment(name: string, opts: { tli?: number; sysid?: string; bytes?: number; pageAddress?: bigint } = {}): Buffer {
  const tli = parseInt(name.slice(0, 8), 16);
  const start = (BigInt(parseInt(name.slice(8, 16), 16)) << 32n) | BigInt(parseInt(name.slice(16), 16) * SEGMENT_BYTES);
  const b = Buffer.alloc(opts.bytes ?? SEGMENT_BYTES);
  b.writeUInt16LE(0xd110, 0);
  b.writeUInt16LE(0x0002, 2);
  b.writeUInt32LE(opts.tli ?? tli, 4);
  b.writeBigUInt64LE(opts.pageAddress ?? start, 8);
  b.writeBigUInt64LE(BigInt(opts.sysid ?? SYSID), 24);
  b.writeUInt32LE(SEGMENT_BYTES, 32);
  b.writeUInt32LE(8192, 36);
  return b;
}

const lzo = (body: Buffer): Buffer => execFileSync('lzop', ['-q', '-c'], { input: body, maxBuffer: 64 << 20 });

/** Base backup at segment 2, WAL 1..9 on timeline 1, a minute apart (9 archived at minute 8). */
function archive(sysid = true): ArchiveBuilder {
  const a = new ArchiveBuilder();
  if (sysid) a.sysid(SYSID);
  a.wal('000000010000000000000001', LAST_FULL, minutes(0));
  a.backup({ start: '000000010000000000000002', offset: 40, stop: '000000010000000000000002', at: minutes(1) });
  return a;
}

const withPartial = (a: ArchiveBuilder, rel: string, body: Buffer, at = minutes(12)): ArchiveBuilder => {
  a.put(rel, lzo(body), at);
  return a;
};

describe('.partial segments in archive inspect', () => {
  it('checks a partial of this database that follows the archive, and takes its time as the last moment', async () => {
    const r = await inspectArchive(withPartial(archive(), `wal_005/${NEXT}.partial.lzo`, segment(NEXT)).store, URL, {
      redactor: new Redactor(),
    });
    expect(r.partials).toEqual([
      {
        key: `${PREFIX}wal_005/${NEXT}.partial.lzo`,
        segment: NEXT,
        timeline: 1,
        size: expect.any(Number),
        lastModified: minutes(12).toISOString(),
        usable: true,
        why: null,
        fullKey: `${PREFIX}wal_005/${NEXT}.lzo`,
        supersededBy: null,
        systemIdentifier: SYSID,
      },
    ]);
    // The archive itself is what it was: replay by wal-e ends at the last full segment.
    expect(r).toMatchObject({ restorable: true, complete: true, lastSegment: LAST_FULL, lastSegmentAt: minutes(8).toISOString() });
    expect(r.lastMoment).toEqual({ at: minutes(12).toISOString(), source: `S3 LastModified of wal_005/${NEXT}.partial.lzo` });
    expect(r.warnings.join('\n')).toContain(`wal_005/${NEXT}.partial.lzo holds WAL written after the archive's last full segment`);
    const text = renderReport(r);
    expect(text).toContain(`Partial       wal_005/${NEXT}.partial.lzo checked: can stand in for ${NEXT}`);
    expect(text).toContain(`Last moment   ${minutes(12).toISOString()} (S3 LastModified of wal_005/${NEXT}.partial.lzo)`);
  });

  it("without a partial, the last moment is the newest segment's LastModified, saying so", async () => {
    const r = await inspectArchive(archive().store, URL, { redactor: new Redactor() });
    expect(r.partials).toEqual([]);
    expect(r.lastMoment).toEqual({ at: minutes(8).toISOString(), source: `S3 LastModified of wal_005/${LAST_FULL}.lzo` });
  });

  it.each([
    [
      'another system identifier',
      `wal_005/${NEXT}.partial.lzo`,
      segment(NEXT, { sysid: '7000000000000000001' }),
      `its system identifier is 7000000000000000001, the archive's is ${SYSID} (sysids/sysid): it was written by another database`,
    ],
    [
      'a timeline the archive does not hold',
      `wal_005/00000002000000000000000A.partial.lzo`,
      segment('00000002000000000000000A'),
      'the archive holds no full segment of timeline 2, which it would continue',
    ],
    [
      'pages of another timeline than its name',
      `wal_005/00000002000000000000000A.partial.lzo`,
      segment(NEXT),
      'its pages are of timeline 1, its name says timeline 2',
    ],
    [
      'a segment not right after the archive',
      `wal_005/00000001000000000000000C.partial.lzo`,
      segment('00000001000000000000000C'),
      `it is not the segment after the archive's last full segment of timeline 1 (${LAST_FULL}), which is ${NEXT}`,
    ],
    [
      'a full segment archived under its name',
      `wal_005/${LAST_FULL}.partial.lzo`,
      segment(LAST_FULL),
      `the full segment ${LAST_FULL} is archived: replay reads that one`,
    ],
    [
      'a body cut short',
      `wal_005/${NEXT}.partial.lzo`,
      segment(NEXT, { bytes: 1 << 20 }),
      `it holds ${1 << 20} bytes decompressed; PostgreSQL archives a .partial as a whole segment of ${SEGMENT_BYTES}, so this one was cut short`,
    ],
    [
      'a first page at another address',
      `wal_005/${NEXT}.partial.lzo`,
      segment(NEXT, { pageAddress: 0x9000000n }),
      `its first page is at WAL address 9000000, not at the start of ${NEXT}`,
    ],
    [
      'no long page header',
      `wal_005/${NEXT}.partial.lzo`,
      Buffer.alloc(SEGMENT_BYTES),
      'its first page has no long page header: it is not the start of a WAL segment',
    ],
  ])('refuses a partial of %s, naming why', async (_what, rel, body, why) => {
    const r = await inspectArchive(withPartial(archive(), rel, body).store, URL, { redactor: new Redactor() });
    expect(r.partials).toMatchObject([{ key: PREFIX + rel, usable: false, why }]);
    expect(r.warnings.join('\n')).toContain(`1 .partial segment(s) refused, never served: "${rel}" (${why})`);
    expect(renderReport(r)).toContain(`Partial       ${rel} refused: ${why}`);
    // A refused partial is no moment of the archive.
    expect(r.lastMoment?.source).toBe(`S3 LastModified of wal_005/${LAST_FULL}.lzo`);
  });

  const NOT_LZOP = `wal-fetch could not decompress it, so it is never served; \`lzop -t\` on a downloaded copy says what it holds`;
  const packed = lzo(segment(NEXT));
  /** The packed partial with one byte of its header fields (the file's mode, 4 bytes after the flags) changed. */
  const badSum = Buffer.from(packed);
  badSum[30]! ^= 0x01;

  const notLzop = (problem: string): string => `it is not an lzop stream (${problem}): ${NOT_LZOP}`;

  it.each([
    [
      'a WAL segment stored uncompressed under .lzo',
      segment(NEXT),
      'it is not an lzop stream (it does not start with the lzop magic bytes): it holds a WAL segment stored uncompressed, which wal-fetch could not decompress, so it is never served; stored as lzop (`lzop -c`) it would be checked',
    ],
    // PostgreSQL 9.5's page magic (0xD087) starts the segment with 0x87, as an OpenPGP session key packet starts.
    [
      'a 9.5 WAL segment stored uncompressed under .lzo',
      (() => {
        const b = segment(NEXT);
        b.writeUInt16LE(0xd087, 0);
        return b;
      })(),
      'it is not an lzop stream (it does not start with the lzop magic bytes): it holds a WAL segment stored uncompressed',
    ],
    [
      'an OpenPGP message (wal-e with WALE_GPG_KEY_ID)',
      Buffer.concat([Buffer.from([0x85, 0x01, 0x0c, 0x03]), Buffer.alloc(300, 7)]),
      "it is encrypted with GPG (wal-e's WALE_GPG_KEY_ID), which this check does not decrypt, so it is never served",
    ],
    ['the lzop magic and half a header', packed.subarray(0, 20), notLzop('it ends in the middle of a header')],
    ['a header whose checksum fails', badSum, notLzop('its header fails its checksum')],
    [
      'the lzop magic then text',
      Buffer.concat([packed.subarray(0, 9), Buffer.from('$(touch owned); rm -rf ~\n')]),
      notLzop('compression method 104 is not LZO1X'),
    ],
  ])('refuses a .partial.lzo holding %s before reading any WAL, never counting it', async (_what, body, why) => {
    const rel = `wal_005/${NEXT}.partial.lzo`;
    const a = archive();
    a.put(rel, body, minutes(12));
    const r = await inspectArchive(a.store, URL, { redactor: new Redactor() });
    expect(r.partials).toMatchObject([{ key: PREFIX + rel, usable: false, why: expect.stringMatching(/^it /), systemIdentifier: null }]);
    expect(r.partials[0]!.why!.slice(0, why.length)).toBe(why);
    expect(r.warnings.join('\n')).toContain(`1 .partial segment(s) refused, never served: "${rel}" (${why}`);
    expect(renderReport(r)).toContain(`Partial       ${rel} refused: ${why}`);
    expect(r.lastMoment?.source).toBe(`S3 LastModified of wal_005/${LAST_FULL}.lzo`);
  });

  it('refuses a .partial.lzo whose lzop blocks are damaged after a sound header', async () => {
    const rel = `wal_005/${NEXT}.partial.lzo`;
    const a = archive();
    a.put(rel, packed.subarray(0, packed.length - 100), minutes(12));
    const r = await inspectArchive(a.store, URL, { redactor: new Redactor() });
    expect(r.partials).toMatchObject([{ usable: false, why: expect.stringMatching(/^its lzop stream cannot be decompressed: /) }]);
  });

  describe('stored without .lzo', () => {
    const RAW = `wal_005/${NEXT}.partial`;
    const url = `s3://${BUCKET}/${PREFIX}${RAW}`;
    const refusedHead =
      "it is stored without .lzo: wal-e's wal-fetch reads WAL only as lzop-compressed .lzo objects, so it is never served and counts as no archived WAL";

    it('is listed and refused, saying how to store it so it is served, and is not the last moment', async () => {
      const a = archive();
      a.put(RAW, segment(NEXT), minutes(12));
      const r = await inspectArchive(a.store, URL, { redactor: new Redactor() });
      const why = `${refusedHead}. Its WAL checks out: stored as wal_005/${NEXT}.partial.lzo beside it (aws s3 cp ${url} - | lzop -c | aws s3 cp - ${url}.lzo), it is checked and served when this is run again`;
      expect(r.partials).toEqual([
        expect.objectContaining({ key: PREFIX + RAW, segment: NEXT, usable: false, why, systemIdentifier: SYSID, supersededBy: null }),
      ]);
      expect(renderReport(r)).toContain(`Partial       ${RAW} refused: ${why}`);
      expect(r.warnings.join('\n')).toContain(`refused, never served: "${RAW}" (${refusedHead}.`);
      expect(r.lastMoment).toEqual({ at: minutes(8).toISOString(), source: `S3 LastModified of wal_005/${LAST_FULL}.lzo` });
      expect(r.complete).toBe(true);

      // Done as it says, with the real lzop: the compressed copy is checked and is the last moment.
      a.put(`${RAW}.lzo`, lzo(await a.store.get({ bucket: BUCKET, key: PREFIX + RAW })), minutes(12));
      const again = await inspectArchive(a.store, URL, { redactor: new Redactor() });
      expect(again.partials).toMatchObject([
        { key: PREFIX + RAW, usable: false, why: `${refusedHead}; wal_005/${NEXT}.partial.lzo beside it is the one checked` },
        { key: `${PREFIX}${RAW}.lzo`, usable: true },
      ]);
      expect(again.lastMoment?.source).toBe(`S3 LastModified of ${RAW}.lzo`);
    });

    it('already lzop-compressed: a copy to its .lzo name is what it takes', async () => {
      const a = archive();
      a.put(RAW, packed, minutes(12));
      const r = await inspectArchive(a.store, URL, { redactor: new Redactor() });
      expect(r.partials[0]!.why).toBe(
        `${refusedHead}. Its WAL checks out: stored as wal_005/${NEXT}.partial.lzo beside it (aws s3 cp ${url} ${url}.lzo), it is checked and served when this is run again`,
      );
    });

    it('says when its WAL would be refused compressed too', async () => {
      const a = archive();
      a.put(RAW, segment(NEXT, { sysid: '7000000000000000001' }), minutes(12));
      const r = await inspectArchive(a.store, URL, { redactor: new Redactor() });
      expect(r.partials[0]!.why).toBe(
        `${refusedHead}, and compressed it would be refused too: its system identifier is 7000000000000000001, the archive's is ${SYSID} (sysids/sysid): it was written by another database`,
      );
    });
  });

  it('leaves alone the partial a failover left of the timeline it ended, which the archive goes on from', async () => {
    const a = archive();
    a.history(2, `1\t0/A000060\tno recovery target specified\n`, minutes(9));
    a.wal('00000002000000000000000A', '00000002000000000000000B', minutes(10));
    const r = await inspectArchive(withPartial(a, `wal_005/${NEXT}.partial.lzo`, segment(NEXT), minutes(9)).store, URL, {
      redactor: new Redactor(),
    });
    expect(r.partials).toMatchObject([
      {
        segment: NEXT,
        usable: false,
        supersededBy: 2,
        why: 'the archive goes on on timeline 2, which replay follows: this is what a promotion left of timeline 1',
      },
    ]);
    expect(r.warnings.join('\n')).not.toContain('.partial');
    expect(r.lastMoment).toEqual({ at: minutes(11).toISOString(), source: 'S3 LastModified of wal_005/00000002000000000000000B.lzo' });
    expect(renderReport(r)).toContain(`Partial       wal_005/${NEXT}.partial.lzo left behind: the archive goes on on timeline 2`);
  });

  it("takes the newest segment's time when it is later than a checked partial's", async () => {
    const r = await inspectArchive(withPartial(archive(), `wal_005/${NEXT}.partial.lzo`, segment(NEXT), minutes(7)).store, URL, {
      redactor: new Redactor(),
    });
    expect(r.partials).toMatchObject([{ usable: true }]);
    expect(r.lastMoment).toEqual({ at: minutes(8).toISOString(), source: `S3 LastModified of wal_005/${LAST_FULL}.lzo` });
  });

  it("reads the system identifier from the last full segment's header when sysids/sysid is missing", async () => {
    const a = archive(false);
    a.put(`wal_005/${LAST_FULL}.lzo`, lzo(segment(LAST_FULL)), minutes(8));
    const r = await inspectArchive(withPartial(a, `wal_005/${NEXT}.partial.lzo`, segment(NEXT)).store, URL, { redactor: new Redactor() });
    expect(r.partials).toMatchObject([{ usable: true }]);
    const other = archive(false);
    other.put(`wal_005/${LAST_FULL}.lzo`, lzo(segment(LAST_FULL, { sysid: '42' })), minutes(8));
    const refused = await inspectArchive(withPartial(other, `wal_005/${NEXT}.partial.lzo`, segment(NEXT)).store, URL, {
      redactor: new Redactor(),
    });
    expect(refused.partials[0]!.why).toBe(
      `its system identifier is ${SYSID}, the archive's is 42 (the header of wal_005/${LAST_FULL}.lzo): it was written by another database`,
    );
  });

  it('leaves objects whose names only look like partials as unknown keys, never read', async () => {
    const hostile = [
      `wal_005/${NEXT}.partial.lzo; rm -rf ~`,
      `wal_005/../${NEXT}.partial.lzo`,
      `wal_005/$(touch owned)${NEXT}.partial.lzo`,
      `wal_005/${NEXT.toLowerCase()}.partial.lzo`,
    ];
    const a = archive();
    for (const rel of hostile) a.put(rel, lzo(segment(NEXT)), minutes(12));
    const read: string[] = [];
    const get = a.store.get.bind(a.store);
    a.store.get = (ref) => {
      read.push(ref.key);
      return get(ref);
    };
    const r = await inspectArchive(a.store, URL, { redactor: new Redactor() });
    expect(r.partials).toEqual([]);
    expect(r.unknownKeys).toEqual(expect.arrayContaining(hostile.map((rel) => PREFIX + rel)));
    expect(read.filter((k) => k.includes('partial'))).toEqual([]);
  });

  it('gives the reviewed commands that copy a partial to its full key, quoted for a shell', () => {
    const from = `s3://${BUCKET}/${PREFIX}wal_005/${NEXT}.partial.lzo`;
    const to = `s3://${BUCKET}/backups/new guid/wal/wal_005/${NEXT}.lzo`;
    expect(partialCopyCommands(from, to)).toEqual([
      `aws s3 ls 's3://${BUCKET}/backups/new guid/wal/wal_005/${NEXT}.lzo'`,
      `aws s3 cp ${from} 's3://${BUCKET}/backups/new guid/wal/wal_005/${NEXT}.lzo'`,
    ]);
  });

  it('reads the long page header PostgreSQL writes at a segment start', () => {
    expect(readLongPageHeader(segment(NEXT))).toEqual({
      magic: 0xd110,
      timeline: 1,
      pageAddress: 0xa000000n,
      systemIdentifier: SYSID,
      segmentBytes: SEGMENT_BYTES,
      blockBytes: 8192,
    });
    expect(readLongPageHeader(Buffer.alloc(10))).toEqual({ unreadable: 'it holds 10 bytes, less than a WAL page header' });
  });
});

describe("the recovery's archive check", () => {
  /** The archive.inspect step on `a`, keeping what it says. */
  async function inspectStep(a: ArchiveBuilder) {
    const said = { warn: [] as string[], evidence: [] as string[], note: [] as string[] };
    const ctx = {
      s3: a.store,
      settings: DEFAULT_SETTINGS,
      now: () => new Date('2016-03-17T06:10:17Z'),
      warn: (w: string) => said.warn.push(w),
      note: (n: string) => said.note.push(n),
      evidence: (e: string) => said.evidence.push(e),
      progress: () => undefined,
      runtime: testRuntime(),
    } as unknown as StepContext;
    const outputs = await archiveActions.find((x) => x.name === 'archive.inspect')!.run(ctx, { url: URL, requireRestorable: true }, {});
    return { said, outputs: outputs as Record<string, unknown> };
  }

  it('says a checked partial is served by the copy step, leaving nothing to the operator and copying nothing itself', async () => {
    const a = withPartial(archive(), `wal_005/${NEXT}.partial.lzo`, segment(NEXT));
    const { said, outputs } = await inspectStep(a);
    expect(said.warn).toEqual([]);
    expect(said.evidence).toContain(
      `${PREFIX}wal_005/${NEXT}.partial.lzo holds WAL after the archive's last full segment, which the container's wal-e never reads by that name. ` +
        `It checks out: once the old archive is copied in, the copy step copies it to ${NEXT}'s full name under the NEW instance's prefix (the old archive is never written), where wal-e fetches it`,
    );
    expect(said.evidence.join('\n')).not.toContain('aws s3');
    expect(said.evidence).toContain(
      `the archive's last moment: ${minutes(12).toISOString()} (S3 LastModified of wal_005/${NEXT}.partial.lzo)`,
    );
    expect(outputs).toMatchObject({
      lastSegment: LAST_FULL,
      lastMomentAt: minutes(12).toISOString(),
      lastMomentSource: `S3 LastModified of wal_005/${NEXT}.partial.lzo`,
    });
    expect(await a.store.head({ bucket: BUCKET, key: `${PREFIX}wal_005/${NEXT}.lzo` })).toBeNull();
  });

  it('offers no copy of a refused partial, and notes why it was refused', async () => {
    const { said } = await inspectStep(withPartial(archive(), `wal_005/${NEXT}.partial.lzo`, segment(NEXT, { sysid: '1' })));
    expect(said.evidence.join('\n')).not.toContain('copy step copies it');
    expect(said.note.join('\n')).toContain(
      `refused, never served: "wal_005/${NEXT}.partial.lzo" (its system identifier is 1, the archive's is ${SYSID}`,
    );
  });
});
