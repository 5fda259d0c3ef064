/**
 * The merge of a SQL_ASCII database on real clusters of PostgreSQL 10, 12, 14, 15 and 17
 * (test/support/pg-majors.ts): text in UTF-8 and in Latin-1 is compared and written back byte for
 * byte (table-rows.ts: `encode(convert_to(…, 'SQL_ASCII'), 'escape')` read, E'' literals written),
 * which every major the merge meets must read and write alike. The newest local client here is
 * Debian's 15: the copy of a 17 cluster is refused, as merge-back refuses it, naming the client to
 * install.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepFailed } from '../../src/core/errors.js';
import { choosePatch, diffTables, type MergeSide } from '../../src/merge/plan.js';
import { startScratchServer, type ScratchServer } from '../../src/volumes/scratch-server.js';
import { MATRIX_MAJORS, pgBinOf } from '../support/pg-majors.js';
import { useMajorsBinaries, useMajorsScratch } from '../support/pg-majors-env.js';
import { makeCluster } from '../support/pg-volumes.js';

useMajorsBinaries();
const scratch = useMajorsScratch('majors-merge-encoding-');

describe.each(MATRIX_MAJORS)('a SQL_ASCII database of PostgreSQL %s', (major) => {
  let server: ScratchServer | undefined;
  let refused: unknown;
  const side = (db: string): MergeSide => ({ query: (_db, sql) => server!.read(db, sql), lines: (_db, sql) => server!.readLines(db, sql) });

  beforeAll(async () => {
    const data = join(scratch, `data-${major}`);
    // The tables are there before the server starts, as a restored copy's are (before 14 the reader is granted what exists then).
    // The copy (ascii) and the live database since (asciilive): a Latin-1 key's row deleted, a Latin-1 value changed.
    const ascii = String.raw`CREATE DATABASE ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
      CREATE DATABASE asciilive ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
      \connect ascii
      CREATE TABLE utf8 (k int PRIMARY KEY, v text); INSERT INTO utf8 VALUES (1, 'café');
      CREATE TABLE latin (k text PRIMARY KEY, v text); INSERT INTO latin VALUES (E'\xe9t\xe9', E'caf\xe9'), ('a', E'na\xefve \\ 1');
      \connect asciilive
      CREATE TABLE utf8 (k int PRIMARY KEY, v text); INSERT INTO utf8 VALUES (1, 'café');
      CREATE TABLE latin (k text PRIMARY KEY, v text); INSERT INTO latin VALUES ('a', E'na\xefve \\ 2');`;
    await makeCluster(data, 'shop', 'SELECT 1;', 'stop', ascii, pgBinOf(major));
    const started = startScratchServer({ dataDir: data, major, workDir: mkdtempSync(join(scratch, `work-${major}-`)) });
    if (major === '17')
      refused = await started.then(
        () => undefined,
        (err: unknown) => err,
      );
    else server = await started;
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  it(
    major === '17' ? 'is not opened, no local client being new enough' : 'merges text in UTF-8 and in Latin-1 byte for byte',
    async () => {
      if (major === '17') {
        expect(server).toBeUndefined();
        expect(refused).toBeInstanceOf(StepFailed);
        expect((refused as StepFailed).message).toContain("the newest local pg_dump is PostgreSQL 15, older than the volume's 17");
        return;
      }
      expect(server!.how).toContain(`local PostgreSQL ${major}`);
      const tables = ['public.utf8', 'public.latin'];
      const diffs = await diffTables(side('ascii'), side('asciilive'), { database: 'ascii', tables });
      const [utf8, latin] = diffs.tables.map((t) => t.diff);
      expect(utf8).toMatchObject({ unchanged: 1, inserts: [], review: [] });
      expect(latin!.inserts.map((r) => r.values)).toEqual([[String.raw`\351t\351`, String.raw`caf\351`]]);
      expect(latin!.review.map((c) => [c.copy.values[1], c.live.values[1]])).toEqual([
        [String.raw`na\357ve \\ 1`, String.raw`na\357ve \\ 2`],
      ]);
      // The patch, run by this major's server, writes the copy's bytes back.
      await server!.query('asciilive', choosePatch(diffs, 'all', server!.superuser, []).sql);
      const bytes = (db: string) =>
        server!.query(
          db,
          "select pg_catalog.encode(pg_catalog.convert_to(k operator(pg_catalog.||) '=' operator(pg_catalog.||) v, 'SQL_ASCII'), 'hex') from public.latin order by 1",
        );
      expect(await bytes('asciilive')).toEqual(await bytes('ascii'));
      expect((await bytes('ascii')).map((r) => Buffer.from(r[0]!, 'hex').toString('latin1'))).toEqual([
        'a=na\xefve \\ 1',
        '\xe9t\xe9=caf\xe9',
      ]);
    },
    60_000,
  );
});
