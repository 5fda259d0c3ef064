/**
 * The merge's check of a SQL_ASCII database on real clusters of PostgreSQL 10, 12, 14, 15 and 17
 * (test/support/pg-majors.ts): a table whose text is UTF-8 merges, one holding Latin-1 bytes is
 * refused before anything is compared. The check is a DO block catching the conversion's SQLSTATE
 * (text-encoding.ts): the language, the condition's name and GET STACKED DIAGNOSTICS must be there in
 * every major the merge meets. The newest local client here is Debian's 15: the copy of a 17
 * cluster is refused, as merge-back refuses it, naming the client to install.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepFailed } from '../../src/core/errors.js';
import { diffTables, type MergeSide } from '../../src/merge/plan.js';
import { startScratchServer, type ScratchServer } from '../../src/volumes/scratch-server.js';
import { MATRIX_MAJORS, pgBinOf } from '../support/pg-majors.js';
import { useMajorsBinaries, useMajorsScratch } from '../support/pg-majors-env.js';
import { makeCluster } from '../support/pg-volumes.js';

useMajorsBinaries();
const scratch = useMajorsScratch('majors-merge-encoding-');

describe.each(MATRIX_MAJORS)('a SQL_ASCII database of PostgreSQL %s', (major) => {
  let server: ScratchServer | undefined;
  let refused: unknown;
  const side = (): MergeSide => ({ query: (db, sql) => server!.read(db, sql), lines: (db, sql) => server!.readLines(db, sql) });

  beforeAll(async () => {
    const data = join(scratch, `data-${major}`);
    // The tables are there before the server starts, as a restored copy's are (before 14 the reader is granted what exists then).
    const ascii = String.raw`CREATE DATABASE ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
      \connect ascii
      CREATE TABLE utf8 (k int PRIMARY KEY, v text); INSERT INTO utf8 VALUES (1, 'café');
      CREATE TABLE latin (k int PRIMARY KEY, v text); INSERT INTO latin VALUES (1, E'caf\xe9');`;
    makeCluster(data, 'shop', 'SELECT 1;', 'stop', ascii, pgBinOf(major));
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
    major === '17'
      ? 'is not opened, no local client being new enough'
      : 'merges a table whose text is UTF-8, and refuses one holding Latin-1 before comparing it',
    async () => {
      if (major === '17') {
        expect(server).toBeUndefined();
        expect(refused).toBeInstanceOf(StepFailed);
        expect((refused as StepFailed).message).toContain("the newest local pg_dump is PostgreSQL 15, older than the volume's 17");
        return;
      }
      expect(server!.how).toContain(`local PostgreSQL ${major}`);
      const same = await diffTables(side(), side(), { database: 'ascii', tables: ['public.utf8'] });
      expect(same.tables[0]!.diff).toMatchObject({ unchanged: 1, inserts: [] });
      await expect(diffTables(side(), side(), { database: 'ascii', tables: ['public.utf8', 'public.latin'] })).rejects.toThrow(
        /the copy's database ascii is SQL_ASCII, and public\.latin holds text that is not UTF-8 \(invalid byte sequence for encoding "UTF8": 0xe9/,
      );
    },
    60_000,
  );
});
