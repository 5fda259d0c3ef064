/**
 * A large plain file cut into ranges, one a worker thread: each line is read once, by the range
 * its first byte is in, wherever a cut falls (on a newline, inside a line, inside a line over
 * 1 MiB), and the hits, offsets, problems and counts are those of one scan of the whole file;
 * wal-e's runs are folded range by range, whichever thread read the range.
 */
import { mkdtemp, open, rm, utimes, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyReport, type FileHit } from '../../../src/core/log-source.js';
import { MAX_LINE, scanFiles } from '../../../src/systems/syslog/index.js';
import { WaleRuns } from '../../../src/systems/syslog/wale-runs.js';
import { ScanThreads } from '../../../src/systems/syslog/worker-scan.js';
import { containerLines, walUpload } from '../../support/forged-lines.js';
import { seededRandom } from '../../support/seeded-random.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scan-ranges-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Lines of every length from 1 to 120 bytes, one in three holding the term, numbered so none is like another. */
function lines(seed: number, count: number): string {
  const rnd = seededRandom(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const body = `${i} ${'x'.repeat(Math.floor(rnd() * 110))}`;
    out.push(i % 3 === 0 ? `Mar 16 23:10:00 host tag: needle ${body}` : body.slice(0, 1 + Math.floor(rnd() * 120)));
  }
  return out.join('\n') + '\n';
}

async function scan(
  files: string[],
  options: { workerFrom: number; workers?: number; minRange?: number; rangesPerThread?: number },
  terms = ['needle'],
) {
  const report = emptyReport(terms);
  const hits: FileHit[] = [];
  await scanFiles(files, terms, report, (h) => hits.push(h), options);
  return { report, hits };
}

describe('a plain file scanned in ranges', () => {
  it('reads each line once, wherever the cuts fall, as one scan of the whole file does', async () => {
    // The same lines behind 0 to 40 bytes of padding: the cuts fall on every byte of a line, newlines included.
    const body = lines(7, 2000);
    const files: string[] = [];
    for (let pad = 0; pad <= 40; pad += 1) {
      const file = join(dir, `pad-${pad}.log`);
      await writeFile(file, `${'p'.repeat(pad)}\n${body}`);
      files.push(file);
    }
    const whole = await scan(files, { workerFrom: Infinity });
    expect(whole.hits.length).toBe(41 * 667);
    for (const workers of [2, 3, 7]) {
      const cut = await scan(files, { workerFrom: 0, workers, minRange: 1 });
      expect(cut.hits, `${workers} ranges`).toEqual(whole.hits);
      expect(cut.report, `${workers} ranges`).toEqual(whole.report);
    }
  });

  it('reads a line over 1 MiB that a cut falls in once, and reports it once, as with CRLF, binary and a last line without newline', async () => {
    const file = join(dir, 'long.log');
    const parts = [lines(8, 3000), 'Mar 16 23:10:00 host tag:  needle crlf\r\n', 'needle '.repeat(MAX_LINE / 7 + 5), '\n'];
    parts.push(lines(9, 3000), 'needle \u0000 binary\n', lines(10, 3000), 'Mar 16 23:10:00 host tag:  needle at the end');
    await writeFile(file, parts.join(''));
    const whole = await scan([file], { workerFrom: Infinity });
    expect(whole.report.badInput).toMatchObject({ longLine: 1, binary: 1 });
    expect(whole.hits.at(-1)!.line).toBe('Mar 16 23:10:00 host tag:  needle at the end');
    for (const workers of [2, 3, 4, 6]) {
      const cut = await scan([file], { workerFrom: 0, workers, minRange: 1 });
      expect(cut.hits, `${workers} ranges`).toEqual(whole.hits);
      expect(cut.report, `${workers} ranges`).toEqual(whole.report);
    }
  });

  it('folds the wal-e runs of each range on its own, in the order of the file, the ranges of the workers as the first', async () => {
    // Two containers' uploads, a second apart, with a line of another writer now and then that closes every run.
    const archive = (n: number): string => `s3://backups/backups/6e101b27-ee1b-4f4d-a032-4401a370900${n}/wal/`;
    const writers = [1, 2].map((n) =>
      containerLines(
        '14ddd22e-719e-4aca-b318-7f291c97fbba',
        `cf-c8ce128e-7b4c-4fe7-a533-e9379356f90${n}`,
        `6e101b27-ee1b-4f4d-a032-4401a370900${n}`,
      ),
    );
    const clock = (s: number): string =>
      `Jan 10 ${String(10 + Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
    const text: string[] = [];
    for (let s = 0; s < 6000; s++) {
      text.push(writers[s % 2]!(clock(s), walUpload(archive((s % 2) + 1), s.toString(16).toUpperCase().padStart(24, '0'))));
      if (s % 997 === 0) text.push(`${clock(s)} 0.router broker.stdout.log:  {"timestamp":"1484042400.5","message":"x","data":{}}`);
    }
    const file = join(dir, 'wal.log');
    await writeFile(file, text.join('\n') + '\n');
    const fileTime = new Date('2017-01-11T00:00:00Z');
    await utimes(file, fileTime, fileTime);
    const terms = ['/wal/', '{"timestamp"'];
    const whole = await scan([file], { workerFrom: Infinity }, terms);
    expect(whole.hits).toHaveLength(6000 + 7);
    for (const workers of [2, 3]) {
      const cut = await scan([file], { workerFrom: 0, workers, minRange: 1, rangesPerThread: 1 }, terms);
      // What folding each range's lines through its own runs keeps, range after range.
      const size = Buffer.byteLength(text.join('\n') + '\n');
      const step = Math.ceil(size / workers);
      const kept: { line: string; offset: number; stands: number | undefined }[] = [];
      let runs: WaleRuns | null = null;
      let range = -1;
      for (const h of whole.hits) {
        // A line belongs to the range its first byte is in.
        const r = Math.min(workers - 1, Math.floor(h.offset / step));
        if (r !== range) {
          runs?.flush();
          runs = new WaleRuns(
            { hit: (line, offset, stands) => kept.push({ line, offset, stands }), longLine: () => undefined, binaryLines: () => undefined },
            fileTime,
          );
          range = r;
        }
        runs!.hit(h.line, h.offset);
      }
      runs?.flush();
      expect(
        cut.hits.map((h) => ({ line: h.line, offset: h.offset, stands: h.stands })),
        `${workers} ranges`,
      ).toEqual(kept);
      expect(cut.hits.length).toBeLessThan(200);
      expect(cut.report.matchedLines).toBe(whole.report.matchedLines);
    }
  });

  it('lets a worker fold the rest of its range itself when this thread falls behind, every line still counted once, in order', async () => {
    const archive = 's3://backups/backups/6e101b27-ee1b-4f4d-a032-4401a3709001/wal/';
    const writer = containerLines('14ddd22e-719e-4aca-b318-7f291c97fbba', 'cf-c8ce128e-7b4c-4fe7-a533-e9379356f901', archive.slice(21, 57));
    const text = Array.from({ length: 40_000 }, (_, s) => {
      const clock = `Jan 10 ${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
      return writer(clock, walUpload(archive, s.toString(16).toUpperCase().padStart(24, '0')));
    });
    const body = text.join('\n') + '\n';
    const file = join(dir, 'wal-only.log');
    await writeFile(file, body);
    const fileTime = new Date('2017-01-11T00:00:00Z');
    // Past 0 characters not taken, the worker folds from its first batch on, whatever this thread does meanwhile.
    const threads = new ScanThreads(2, 1, -1, 1);
    const starts = new Map<number, string>();
    text.reduce((at, line) => (starts.set(at, line), at + Buffer.byteLength(line) + 1), 0);
    const half = Math.ceil(Buffer.byteLength(body) / 2);
    const fh = await open(file, 'r');
    /** One scan of the file's two ranges, this thread held up on its first line so that a running worker takes the other: what each half keeps. */
    const scanOnce = async (): Promise<number[]> => {
      const kept: { line: string; offset: number; stands: number }[] = [];
      await threads.scan(fh.fd, { size: Buffer.byteLength(body), mtime: fileTime, whole: false }, ['/wal/'], 64 * 1024, {
        hit: (line, offset, stands) => {
          if (kept.length === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
          kept.push({ line, offset, stands: stands ?? 1 });
        },
        longLine: () => undefined,
        binaryLines: () => undefined,
        progress: () => undefined,
        failed: (at, _until, why) => expect.fail(`read failed at ${at}: ${why}`),
      });
      expect(kept.reduce((n, k) => n + k.stands, 0)).toBe(40_000);
      expect(kept.every((k, i) => starts.get(k.offset) === k.line && (i === 0 || k.offset > kept[i - 1]!.offset))).toBe(true);
      const second = kept.filter((k) => k.offset >= half).length;
      return [kept.length - second, second];
    };
    const seen: number[][] = [];
    try {
      // This thread reads both ranges while the worker starts (from source, seconds on a busy machine); once it runs, the worker takes one.
      for (const deadline = Date.now() + 40_000; !seen.flat().includes(4) && Date.now() < deadline;) seen.push(await scanOnce());
    } finally {
      await threads.close();
      await fh.close();
    }
    // Each half a run of its own when this thread read it; when the worker did, cut where it began to fold: its first batch folded here, the rest there.
    expect(seen.flat().every((n) => n === 2 || n === 4)).toBe(true);
    expect(seen.at(-1)).toContain(4);
  });

  it('scans a file of octet-counted frames in one range: a frame cannot be entered in its middle', async () => {
    const frame = (m: string): string => `${Buffer.byteLength(m)} ${m}`;
    const message = (i: number): string => `<14>1 2017-01-10T11:00:00Z host tag - - - needle ${i}\nsecond line of frame ${i}`;
    const file = join(dir, 'frames.log');
    await writeFile(file, Array.from({ length: 3000 }, (_, i) => frame(message(i))).join('\n') + '\n');
    const whole = await scan([file], { workerFrom: Infinity });
    const cut = await scan([file], { workerFrom: 0, workers: 4, minRange: 1 });
    expect(whole.hits.map((h) => h.line)).toEqual(Array.from({ length: 3000 }, (_, i) => message(i)));
    expect(cut.hits).toEqual(whole.hits);
  });

  it('streams a gzipped file of any size on this thread, as before: a gzip stream has no ranges to enter', async () => {
    const body = lines(11, 3000);
    const plain = join(dir, 'stream.log');
    const gz = join(dir, 'stream.log.gz');
    await writeFile(plain, body);
    await writeFile(gz, gzipSync(body));
    const fromPlain = await scan([plain], { workerFrom: Infinity });
    const fromGz = await scan([gz], { workerFrom: 0, workers: 4, minRange: 1 });
    expect(fromGz.report.files).toEqual([{ path: gz, bytes: Buffer.byteLength(body), matchedLines: 1000, gzip: true }]);
    expect(fromGz.hits.map((h) => [h.line, h.offset])).toEqual(fromPlain.hits.map((h) => [h.line, h.offset]));
  });
});
