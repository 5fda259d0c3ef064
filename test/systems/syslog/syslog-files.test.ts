import { chmod, mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanFiles, MAX_LINE } from '../../../src/systems/syslog/index.js';
import { type FileHit } from '../../../src/core/log-source.js';
import { scanChunks } from '../../support/term-scan.js';
import { emptyReport } from '../../../src/core/log-source.js';

function collect(terms: string[], chunks: Buffer[]) {
  const r = scanChunks(terms, chunks);
  return { ...r, long: r.long.map((l) => l.length) };
}

function splitEvery(b: Buffer, n: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += n) out.push(b.subarray(i, i + n));
  return out;
}

describe('TermScanner', () => {
  const text = Buffer.from('alpha one\nbeta two\ngamma alpha beta\nno match here\r\nlast beta');

  it('finds each line holding any term once, with its byte offset, whatever the chunking', () => {
    const expected = [
      { line: 'alpha one', offset: 0 },
      { line: 'beta two', offset: 10 },
      { line: 'gamma alpha beta', offset: 19 },
      { line: 'last beta', offset: 51 },
    ];
    for (const size of [1, 2, 3, 7, 16, 1000]) {
      expect(collect(['alpha', 'beta'], splitEvery(text, size)).hits, `chunks of ${size}`).toEqual(expected);
    }
  });

  it('strips CR of CRLF lines', () => {
    expect(collect(['match'], [text]).hits).toEqual([{ line: 'no match here', offset: 36 }]);
  });

  it('reports lines over 1 MiB and goes on with the next line', () => {
    const big = Buffer.concat([Buffer.from('before term\n'), Buffer.alloc(MAX_LINE + 10, 'x'), Buffer.from('term inside\nafter term\n')]);
    const r = collect(['term'], splitEvery(big, MAX_LINE));
    expect(r.long).toEqual([MAX_LINE + 10 + 'term inside'.length]);
    expect(r.hits.map((h) => h.line)).toEqual(['before term', 'after term']);
  });

  it('counts lines with NUL bytes as binary and does not report them as hits', () => {
    const r = collect(['term'], [Buffer.from('ok term\n\u0000\u0001term garbage\nmore\u0000\nterm again\n')]);
    expect(r.binary).toBe(2);
    expect(r.hits.map((h) => h.line)).toEqual(['ok term', 'term again']);
  });
});

describe('TermScanner on RFC 6587 octet-counted frames', () => {
  const frame = (msg: string): string => `${Buffer.byteLength(msg)} ${msg}`;
  const a = '<14>1 2016-03-17T06:10:17Z h broker.stdout.log - - - alpha é';
  const b = '<14>1 2016-03-17T06:10:18Z h broker.stdout.log - - - beta';
  const spanning = '<14>1 2016-03-17T06:10:19Z h app - - -\ncontinued beta\nand more';
  const plain = 'Mar 17 06:10:20 h tag: a plain alpha line';
  const stream = Buffer.from(`${frame(a)}${frame(b)}\n${frame(spanning)}\n${plain}\n${frame(b)}`);

  it('hands on each frame, several on a line or one over lines, and the plain lines between them, whatever the chunking', () => {
    const at = (s: string): number => stream.indexOf(Buffer.from(s));
    const expected = [
      { line: a, offset: at(a) },
      { line: b, offset: at(b) },
      { line: spanning, offset: at(spanning) },
      { line: plain, offset: at(plain) },
      { line: b, offset: stream.lastIndexOf(Buffer.from(b)) },
    ];
    // The first chunk tells the scan that the stream holds frames; the rest may come in any pieces.
    for (const size of [1, 5, 13, 64, 1000]) {
      const chunks = [stream.subarray(0, 64), ...splitEvery(stream.subarray(64), size)];
      expect(collect(['alpha', 'beta'], chunks).hits, `chunks of ${size}`).toEqual(expected);
    }
    expect(collect(['continued'], [stream]).hits.map((h) => h.line)).toEqual([spanning]);
  });

  it('reports a frame over 1 MiB and a frame with NUL bytes, and goes on with the next frame', () => {
    const big = `<14>1 - h t - - - ${'x'.repeat(MAX_LINE)} beta`;
    const r = collect(
      ['beta'],
      splitEvery(Buffer.from(`${frame(b)}${frame(big)}${frame('<14>1 - h t - - - beta\u0000')}${frame(b)}`), MAX_LINE / 2),
    );
    expect(r.long).toEqual([Buffer.byteLength(frame(big))]);
    expect(r.binary).toBe(1);
    expect(r.hits.map((h) => h.line)).toEqual([b, b]);
  });
});

describe('scanFiles', () => {
  let dir: string;
  const line = (n: number) => `Mar 16 23:10:${String(n % 60).padStart(2, '0')} host tag:  needle ${n}\n`;
  const body = Array.from({ length: 2000 }, (_, i) => (i % 10 === 0 ? line(i) : `Mar 16 23:10:00 host tag:  hay ${i}\n`)).join('');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'logs-scan-'));
    await mkdir(join(dir, 'logs', 'nested'), { recursive: true });
    await writeFile(join(dir, 'logs', 'broker.log'), body);
    await writeFile(join(dir, 'logs', 'broker.log.1'), body);
    await writeFile(join(dir, 'logs', 'nested', 'broker.log.2.gz'), gzipSync(body));
    await writeFile(join(dir, 'logs', 'notes.bin'), 'not a log');
    const gz = gzipSync(body);
    await writeFile(join(dir, 'truncated.log.3.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    await writeFile(
      join(dir, 'garbage.log'),
      Buffer.concat([Buffer.from([0, 1, 2, 3, 255, 0]), Buffer.from('\nneedle in garbage\u0000\n')]),
    );
    await writeFile(join(dir, 'unknown.log'), 'needle without any syslog prefix\nsecond line\n');
    await writeFile(join(dir, 'locked.log'), body);
    await chmod(join(dir, 'locked.log'), 0o000);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function scan(paths: string[], stdin?: Readable) {
    const report = emptyReport(['needle']);
    const hits: FileHit[] = [];
    await scanFiles(paths, ['needle'], report, (h) => hits.push(h), { stdin });
    return { report, hits };
  }

  it('walks folders, reads rotated plain and gzip files, lists the files it skipped', async () => {
    const { report, hits } = await scan([join(dir, 'logs')]);
    expect(report.files.map((f) => [f.path.slice(dir.length), f.gzip, f.matchedLines])).toEqual([
      ['/logs/broker.log', false, 200],
      ['/logs/broker.log.1', false, 200],
      ['/logs/nested/broker.log.2.gz', true, 200],
    ]);
    expect(report.skippedFiles).toEqual([join(dir, 'logs', 'notes.bin')]);
    expect(report.bytes).toBe(3 * Buffer.byteLength(body));
    expect(hits[1]!.line).toBe(line(10).trimEnd());
    expect(hits[1]!.offset).toBe(body.indexOf(line(10)));
  });

  it('reports a truncated gzip and keeps the lines before the cut', async () => {
    const { report, hits } = await scan([join(dir, 'truncated.log.3.gz')]);
    expect(report.badInput.truncatedGzip).toBe(1);
    expect(report.problems[0]).toMatch(/truncated gzip/);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.length).toBeLessThan(200);
  });

  it('reports unreadable files, binary garbage and unknown formats without stopping', async () => {
    const isRoot = process.getuid?.() === 0;
    const { report, hits } = await scan([
      join(dir, 'missing.log'),
      join(dir, 'locked.log'),
      join(dir, 'garbage.log'),
      join(dir, 'unknown.log'),
    ]);
    expect(report.badInput.unreadable).toBe(isRoot ? 1 : 2); // root reads mode-000 files
    expect(report.problems.some((p) => p.includes('missing.log') && p.includes('ENOENT'))).toBe(true);
    expect(report.badInput.binary).toBe(2);
    expect(report.badInput.unknownFormat).toBe(1);
    expect(hits.map((h) => h.line)).toContain('needle without any syslog prefix');
    expect(hits.some((h) => h.line.includes('garbage'))).toBe(false);
  });

  it('scans a large file on a worker thread with the same hits, offsets, problems and counts as on this one', async () => {
    // Over several blocks of the worker's reads: CRLF lines, a line over 1 MiB, binary lines, a last line without newline.
    const big = join(dir, 'big.log');
    const parts = [body.repeat(40), 'Mar 16 23:10:00 host tag:  needle crlf\r\n', 'x'.repeat(MAX_LINE + 5), ' needle\n'];
    parts.push('needle \u0000 binary\n', body.repeat(40), 'Mar 16 23:10:00 host tag:  needle at the end');
    await writeFile(big, parts.join(''));
    const run = async (workerFrom: number) => {
      const report = emptyReport(['needle']);
      const hits: FileHit[] = [];
      await scanFiles([big, join(dir, 'logs', 'broker.log')], ['needle'], report, (h) => hits.push(h), { workerFrom });
      return { report, hits };
    };
    const here = await run(Infinity);
    const there = await run(0);
    expect(here.hits.length).toBe(200 * 81 + 2);
    expect(here.report.badInput).toMatchObject({ longLine: 1, binary: 1 });
    expect(there.hits).toEqual(here.hits);
    expect(there.report).toEqual(here.report);
  });

  it('reads standard input as `-`, gzip or not', async () => {
    const plain = await scan(['-'], Readable.from([Buffer.from(body)]));
    expect(plain.hits.length).toBe(200);
    const gz = await scan(['-'], Readable.from([gzipSync(body)]));
    expect(gz.report.files[0]).toMatchObject({ path: '-', gzip: true, matchedLines: 200 });
    expect(await readFile(join(dir, 'logs', 'broker.log'), 'utf8')).toBe(body);
  });

  it('refuses `-` when standard input is a terminal, rather than wait for lines nobody types', async () => {
    const terminal = Object.assign(Readable.from([Buffer.from(body)]), { isTTY: true });
    await expect(scan(['-'], terminal)).rejects.toMatchObject({
      name: 'UsageError',
      message: expect.stringMatching(/^--logs - reads log lines from standard input, which is a terminal here/),
      hint: expect.stringMatching(/pipe the logs in/),
    });
  });
});
