/**
 * WAL after the archive's end, on real parts: a PostgreSQL 15 archive in moto whose newest rows were
 * committed in the segment the server was still writing, that segment as it stood in pg_wal stored
 * as wal-e stores a promoted standby's `<segment>.partial` (lzop'd, wal_005/<segment>.partial.lzo),
 * and the drill's throwaway PostgreSQL 15 replaying it. Only a checked partial is served.
 */
import { Redactor } from '../../src/core/redact.js';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectArchive } from '../../src/archive/inspect.js';
import { DRILL_EXIT, DrillFailed } from '../../src/drill/exit-codes.js';
import type { ObjectStore } from '../../src/core/seams.js';
import { Readable } from 'node:stream';
import type { Moto } from '../support/moto.js';
import { DRILL_TABLE, uploadArchive, type GeneratedArchive } from '../support/wale-archive.js';
import { captureDrill, drillArgs, setUpDrill, tearDownDrill, type DrillRun, drillHere } from '../support/drill-fixtures.js';

const BUCKET = 'tail-bucket';
const SECRET = 'tail-secret-Q7pz2';
const ROWS_BEFORE = 100;
const ROWS_AFTER = 20;
const TAIL_ROWS = 7;

let moto: Moto;
let archive: GeneratedArchive;
let dir: string;
let tail: Buffer;

beforeAll(async () => {
  ({ moto, archive, dir } = await setUpDrill({
    scratch: 'drill-tail-',
    bucket: BUCKET,
    archive: { rowsBefore: ROWS_BEFORE, rowsAfter: ROWS_AFTER, unarchivedRows: TAIL_ROWS },
    env: { AWS_ACCESS_KEY_ID: 'AKIATAILKEY000001', AWS_SECRET_ACCESS_KEY: SECRET },
  }));
  tail = await readFile(archive.tail!.file);
});

afterAll(() => tearDownDrill({ moto, archive, dir }));

const lzo = (body: Buffer): Buffer => execFileSync('lzop', ['-q', '-c'], { input: body, maxBuffer: 64 << 20 });

/** The generated archive under its own prefix, with `partials` (key relative to the prefix → body) beside it, lzop'd unless `stored` is given. */
async function archiveAt(name: string, partials: Record<string, Buffer>, stored: Record<string, Buffer> = {}): Promise<string> {
  const prefix = `backups/${name}/wal/`;
  await uploadArchive(moto.store, archive.root, BUCKET, prefix);
  for (const [rel, body] of Object.entries(partials)) await moto.store.put({ bucket: BUCKET, key: prefix + rel }, lzo(body));
  for (const [rel, body] of Object.entries(stored)) await moto.store.put({ bucket: BUCKET, key: prefix + rel }, body);
  return `s3://${BUCKET}/${prefix}`;
}

interface Report {
  query: { rows: string[][] };
  partials: unknown[];
  refusedPartials: { key: string; why: string }[];
  warnings: string[];
}

const drill = async (url: string): Promise<{ run: DrillRun; report: Report }> => {
  const run = await captureDrill(drillArgs(url, moto, { query: `select count(*), max(id) from ${DRILL_TABLE}`, json: true }), SECRET);
  expect(run.code, run.stdout + run.stderr).toBe(DRILL_EXIT.ok);
  return { run, report: JSON.parse(run.stdout).report };
};

const archived = String(ROWS_BEFORE + ROWS_AFTER);
const withTail = String(ROWS_BEFORE + ROWS_AFTER + TAIL_ROWS);

describe('a .partial after the archive’s end', () => {
  it('is the segment after the archive’s last one, and its rows come back only when the drill serves it', async () => {
    const segment = archive.tail!.segment;
    expect(segment > archive.segments.at(-1)!).toBe(true);
    const bare = await drill(await archiveAt('bare', {}));
    expect(bare.report.query.rows).toEqual([[archived, archived]]);
    expect(bare.report.partials).toEqual([]);

    const url = await archiveAt('tail', { [`wal_005/${segment}.partial.lzo`]: tail });
    const inspected = await inspectArchive(moto.store, url, { redactor: new Redactor() });
    expect(inspected.partials).toMatchObject([{ segment, usable: true, why: null }]);
    expect(inspected.lastMoment?.source).toBe(`S3 LastModified of wal_005/${segment}.partial.lzo`);

    const served = await drill(url);
    expect(served.report.query.rows).toEqual([[withTail, withTail]]);
    expect(served.report.partials).toEqual([{ key: `backups/tail/wal/wal_005/${segment}.partial.lzo`, servedAs: segment }]);
    // The archive is left as it was: the partial was served from the drill's own folder.
    const keys: string[] = [];
    for await (const o of moto.store.list(BUCKET, 'backups/tail/wal/wal_005/')) keys.push(o.key);
    expect(keys).not.toContain(`backups/tail/wal/wal_005/${segment}.lzo`);
  });

  it('brings its rows back in a restore to a moment after them', async () => {
    const segment = archive.tail!.segment;
    const moment = new Date().toISOString();
    const args = { query: `select count(*), max(id) from ${DRILL_TABLE}`, json: true };
    const bare = await captureDrill(drillArgs(await archiveAt('moment-bare', {}), moto, { ...args, targetTime: moment }), SECRET);
    expect(bare.code, bare.stdout + bare.stderr).toBe(DRILL_EXIT.ok);
    expect(JSON.parse(bare.stdout).report.query.rows).toEqual([[archived, archived]]);
    const url = await archiveAt('moment', { [`wal_005/${segment}.partial.lzo`]: tail });
    const run = await captureDrill(drillArgs(url, moto, { ...args, targetTime: moment }), SECRET);
    expect(run.code, run.stdout + run.stderr).toBe(DRILL_EXIT.ok);
    const { report } = JSON.parse(run.stdout);
    expect(report.query.rows).toEqual([[withTail, withTail]]);
    expect(report.partials).toEqual([{ key: `backups/moment/wal/wal_005/${segment}.partial.lzo`, servedAs: segment }]);
  });

  it('is said on screen when served', async () => {
    const segment = archive.tail!.segment;
    const url = await archiveAt('tail-text', { [`wal_005/${segment}.partial.lzo`]: tail });
    const run = await captureDrill(drillArgs(url, moto, { query: `select count(*) from ${DRILL_TABLE}` }), SECRET);
    expect(run.code, run.stdout + run.stderr).toBe(DRILL_EXIT.ok);
    expect(run.stdout).toMatch(new RegExp(`served partial +wal_005/${segment}\\.partial\\.lzo as ${segment} `));
    expect(run.stdout).toContain(`| ${withTail}`);
  });

  it('of another database is refused, naming both system identifiers, and its rows never come back', async () => {
    const segment = archive.tail!.segment;
    const forged = Buffer.from(tail);
    const other = BigInt(archive.sysid) + 1n;
    forged.writeBigUInt64LE(other, 24);
    const url = await archiveAt('foreign', { [`wal_005/${segment}.partial.lzo`]: forged });
    const inspected = await inspectArchive(moto.store, url, { redactor: new Redactor() });
    expect(inspected.partials[0]!.why).toBe(
      `its system identifier is ${other}, the archive's is ${archive.sysid} (sysids/sysid): it was written by another database`,
    );
    const { report } = await drill(url);
    expect(report.query.rows).toEqual([[archived, archived]]);
    expect(report.partials).toEqual([]);
    expect(report.warnings.join('\n')).toContain(
      `1 .partial segment(s) refused, never served: "wal_005/${segment}.partial.lzo" (its system identifier is ${other}`,
    );
  });

  it('stored uncompressed is refused, saying how to store it, and its rows never come back', async () => {
    const segment = archive.tail!.segment;
    const url = await archiveAt('uncompressed', {}, { [`wal_005/${segment}.partial`]: tail });
    const key = `backups/uncompressed/wal/wal_005/${segment}.partial`;
    const inspected = await inspectArchive(moto.store, url, { redactor: new Redactor() });
    const why =
      "it is stored without .lzo: wal-e's wal-fetch reads WAL only as lzop-compressed .lzo objects, so it is never served and counts as no archived WAL. " +
      `Its WAL checks out: stored as wal_005/${segment}.partial.lzo beside it (aws s3 cp s3://${BUCKET}/${key} - | lzop -c | aws s3 cp - s3://${BUCKET}/${key}.lzo), it is checked and served when this is run again`;
    expect(inspected.partials).toMatchObject([{ key, usable: false, why, systemIdentifier: archive.sysid }]);
    // The last moment is the newest full segment's: the uncompressed partial is no archived WAL.
    expect(inspected.lastMoment?.source).toBe(`S3 LastModified of wal_005/${archive.segments.at(-1)!}.lzo`);
    const { report } = await drill(url);
    expect(report.query.rows).toEqual([[archived, archived]]);
    expect(report.partials).toEqual([]);
    expect(report.refusedPartials).toEqual([{ key, why }]);
  });

  it('whose .partial.lzo body is no lzop stream is refused, named in the drill report, and never served', async () => {
    const segment = archive.tail!.segment;
    const url = await archiveAt('not-lzop', {}, { [`wal_005/${segment}.partial.lzo`]: tail });
    const why =
      'it is not an lzop stream (it does not start with the lzop magic bytes): it holds a WAL segment stored uncompressed, which wal-fetch could not decompress, so it is never served; stored as lzop (`lzop -c`) it would be checked';
    const run = await captureDrill(drillArgs(url, moto, { query: `select count(*), max(id) from ${DRILL_TABLE}` }), SECRET);
    expect(run.code, run.stdout + run.stderr).toBe(DRILL_EXIT.ok);
    expect(run.stdout).toMatch(new RegExp(`refused partial +wal_005/${segment}\\.partial\\.lzo, not served: `));
    expect(run.stdout).toContain(why);
    expect(run.stdout).toContain(`| ${archived}`);
    expect(run.stdout).not.toContain('served partial');
  });

  it('named for another timeline is refused and not served', async () => {
    const segment = `00000002${archive.tail!.segment.slice(8)}`;
    const url = await archiveAt('timeline', { [`wal_005/${segment}.partial.lzo`]: tail });
    const inspected = await inspectArchive(moto.store, url, { redactor: new Redactor() });
    expect(inspected.partials[0]!.why).toBe('its pages are of timeline 1, its name says timeline 2');
    const { report } = await drill(url);
    expect(report.query.rows).toEqual([[archived, archived]]);
    expect(report.partials).toEqual([]);
  });

  it('under a name that only looks like one stays an unknown key, never served', async () => {
    const segment = archive.tail!.segment;
    const rel = `wal_005/${segment}.partial.lzo;touch owned`;
    const url = await archiveAt('hostile', { [rel]: tail });
    const inspected = await inspectArchive(moto.store, url, { redactor: new Redactor() });
    expect(inspected.partials).toEqual([]);
    expect(inspected.unknownKeys).toContain(`backups/hostile/wal/${rel}`);
    const { report } = await drill(url);
    expect(report.query.rows).toEqual([[archived, archived]]);
  });

  it('changed between its check and its fetch is removed from the drill and not served', async () => {
    const segment = archive.tail!.segment;
    const url = await archiveAt('swapped', { [`wal_005/${segment}.partial.lzo`]: tail });
    const forged = Buffer.from(tail);
    forged.writeBigUInt64LE(BigInt(archive.sysid) + 2n, 24);
    const swapped = lzo(forged);
    // The inspection reads the checked partial; the fetch after it meets another one under its key.
    const store = new Proxy(moto.store, {
      get(target, prop, receiver) {
        if (prop === 'getStream')
          return (ref: { bucket: string; key: string }) =>
            ref.key.endsWith('.partial.lzo') ? Promise.resolve(Readable.from([swapped])) : target.getStream(ref);
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) satisfies ObjectStore;
    const failure = await drillHere({
      url,
      store,
      dbUser: 'postgres',
      dbName: 'postgres',
      deadlineMs: 120_000,
    }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DrillFailed);
    expect((failure as Error).message).toBe(
      `backups/swapped/wal/wal_005/${segment}.partial.lzo changed after it was checked: its system identifier is now ${BigInt(archive.sysid) + 2n}; it was not served`,
    );
  });
});
