/**
 * The drill's transaction target on real PostgreSQL 10, 12, 14 and 17 (test/support/pg-majors.ts):
 * recovery.conf before 12, settings from 12 on. Each major's archive holds a DELETE of most rows
 * after its base backup; the drill restores just before it (exclusive) and just after it. The suite's
 * binaries of those majors hold no pg_waldump, so `archive mistakes` refuses there, naming the server
 * package to install: WAL is read only by its own major's pg_waldump.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMistakesCommand } from '../../src/commands/archive/mistakes.js';
import { DRILL_EXIT } from '../../src/drill/exit-codes.js';
import { captureDrill, drillArgs } from '../support/drill-fixtures.js';
import { startMoto, type Moto } from '../support/moto.js';
import { pgBinOf } from '../support/pg-majors.js';
import { useMajorsBinaries } from '../support/pg-majors-env.js';
import { ifStarted } from '../support/started.js';
import { DRILL_TABLE, generateWaleArchive, removeArchive, uploadArchive, type GeneratedArchive } from '../support/wale-archive.js';

const BUCKET = 'targets-majors';
const SECRET = 'targets-secret-M4n8c';

let moto: Moto;
let dir: string;
useMajorsBinaries();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'targets-majors-'));
  moto = await startMoto();
  await moto.createBucket(BUCKET);
  Object.assign(process.env, moto.env, { AWS_ACCESS_KEY_ID: 'AKIATARGETSKEY001', AWS_SECRET_ACCESS_KEY: SECRET });
});

afterAll(async () => {
  await ifStarted(moto)?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.each(['10', '12', '14', '17'])('PostgreSQL %s', (major) => {
  const url = `s3://${BUCKET}/backups/pg${major}/wal/`;
  let archive: GeneratedArchive;

  beforeAll(async () => {
    archive = await generateWaleArchive({
      dir,
      bin: pgBinOf(major),
      rowsBefore: 20,
      rowsAfter: 0,
      partitions: 1,
      mistakes: [`delete from ${DRILL_TABLE} where id > 5`],
    });
    await uploadArchive(moto.store, archive.root, BUCKET, `backups/pg${major}/wal/`);
  });

  afterAll(async () => {
    const made = ifStarted(archive);
    if (made) await removeArchive(made);
  });

  it('drill --target-xid restores just before the DELETE with --target-exclusive, and just after it without', async () => {
    const xid = archive.mistakes[0]!.xid;
    const query = `select count(*) from ${DRILL_TABLE}`;
    const before = await captureDrill(drillArgs(url, moto, { query, json: true, targetXid: xid, targetExclusive: true }), SECRET);
    expect(before.code, before.stdout + before.stderr).toBe(DRILL_EXIT.ok);
    const report = JSON.parse(before.stdout).report;
    expect(report.postgres.archiveMajor).toBe(major);
    expect(report.query.rows).toEqual([['20']]);
    expect(report.stop.stopped).toMatch(new RegExp(`^before commit of transaction ${xid}\\b`));
    const after = await captureDrill(drillArgs(url, moto, { query, json: true, targetXid: xid }), SECRET);
    expect(after.code, after.stdout).toBe(DRILL_EXIT.ok);
    expect(JSON.parse(after.stdout).report.query.rows).toEqual([['5']]);
  });

  it('archive mistakes refuses (exit 7) without a pg_waldump of the major, naming the package', async () => {
    let stdout = '';
    const code = await runMistakesCommand(
      { url, s3Endpoint: moto.endpoint, s3PathStyle: true, massRows: 1000, json: true },
      { stdout: (t) => (stdout += t), stderr: () => undefined },
    );
    expect(code, stdout).toBe(DRILL_EXIT.couldNotRun);
    expect(JSON.parse(stdout).message).toContain(`no pg_waldump of PostgreSQL ${major} beside its server binaries`);
  });
});
