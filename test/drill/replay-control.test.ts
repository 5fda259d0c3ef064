/**
 * How far replay got is read from the restored copy's control file, not taken from the server: an
 * archive's owner is its cluster's superuser and can make pg_catalog.pg_last_wal_replay_lsn() say
 * anything (real PostgreSQL 15 archived as wal-e does, into moto, with the built-in renamed in pg_proc
 * and a function of the tenant's in its place that says replay reached the end of all WAL).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRILL_EXIT } from '../../src/drill/exit-codes.js';
import type { Moto } from '../support/moto.js';
import { archiveKeys, type GeneratedArchive } from '../support/wale-archive.js';
import { captureDrill, drillArgs, setUpDrill, tearDownDrill } from '../support/drill-fixtures.js';

const BUCKET = 'replay-control';
const SECRET = 'replay-control-secret-J3k';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIAREPLAYCONTROL01', AWS_SECRET_ACCESS_KEY: SECRET };
/** What the tenant's replacement says, whatever replay reached. */
const CLAIMED = 'FFFFFFFF/0';

let moto: Moto;
let archive: GeneratedArchive;
let dir: string;

beforeAll(async () => {
  ({ moto, archive, dir } = await setUpDrill({
    scratch: 'drill-replay-control-',
    bucket: BUCKET,
    archive: {
      rowsBefore: 60,
      rowsAfter: 20,
      extraWalSwitches: 1,
      tenant: {
        sql: [
          "update pg_catalog.pg_proc set proname = 'real_replay_lsn' where proname operator(pg_catalog.=) 'pg_last_wal_replay_lsn'",
          `create function pg_catalog.pg_last_wal_replay_lsn() returns pg_catalog.pg_lsn language sql as $f$ select '${CLAIMED}'::pg_catalog.pg_lsn $f$`,
        ],
        autoConf: [],
      },
    },
    env: CREDENTIALS,
  }));
});

afterAll(() => tearDownDrill({ moto, archive, dir }));

/** The archive uploaded under `name`, with one segment replaced by the one before it (its pages are another's: replay stops there). */
async function damagedArchive(name: string, damaged: string, before: string): Promise<string> {
  const prefix = `backups/${name}/wal/`;
  const keys = await archiveKeys(archive.root);
  // The sentinel last, as wal-e writes it: the backup is whole once it is there.
  for (const key of [...keys.filter((k) => !k.endsWith('_sentinel.json')), ...keys.filter((k) => k.endsWith('_sentinel.json'))]) {
    const from = key === `wal_005/${damaged}.lzo` ? `wal_005/${before}.lzo` : key;
    await moto.store.put({ bucket: BUCKET, key: prefix + key }, await readFile(join(archive.root, from)));
  }
  return `s3://${BUCKET}/${prefix}`;
}

describe('a drill of an archive whose replay functions were rewritten', () => {
  it("fails as not restorable when replay stopped at a damaged segment, whatever the server's replay function says", async () => {
    const damaged = archive.segments[archive.segments.length - 2]!;
    const before = archive.segments[archive.segments.length - 3]!;
    const url = await damagedArchive('damaged', damaged, before);
    const r = await captureDrill(drillArgs(url, moto, { json: true }), SECRET);
    expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.notRestorable);
    const out = JSON.parse(r.stdout) as { outcome: string; message: string };
    expect(out.outcome).toBe('not-restorable');
    expect(out.message).toMatch(
      new RegExp(
        `the restored server says replay ended at ${CLAIMED}, but the restored copy's control file, .* says recovery ended at [0-9A-F]+/[0-9A-F]+`,
      ),
    );
  }, 180_000);
});
