/**
 * What the drill on a cell reads from the restored server in its container once recovery ended:
 * where replay ended (the end-of-recovery checkpoint's redo location from the image's
 * pg_controldata, the last record replayed from the server), and the tables and rows of each of its
 * databases. Every read fails the drill as one that could not run, or whose query failed.
 */
import type { CellScratch } from '../systems/cell-scratch.js';
import { cellPsql as psql } from './cell-recovery.js';
import { DrillFailed } from './exit-codes.js';
import { lastReplayedFunction } from './replay.js';

/** Where replay ended: the end-of-recovery checkpoint's redo location, as the image's pg_controldata reads the copy's control file. */
export async function redoLocation(box: CellScratch, dataDir: string): Promise<string> {
  const r = await box.exec(['pg_controldata', dataDir]);
  const lsn = /Latest checkpoint's REDO location:\s*([0-9A-F]+\/[0-9A-F]+)/.exec(r.stdout)?.[1];
  if (r.exitCode !== 0 || !lsn)
    throw new DrillFailed('could-not-run', `pg_controldata in the drill's container said no redo location: ${r.stderr.trim()}`);
  return lsn;
}

/**
 * The end of the last WAL record replayed, which the server keeps after recovery ended: where the WAL
 * it could fetch ran out, to the byte.
 */
export async function lastReplayed(box: CellScratch, major: string): Promise<string> {
  const fn = lastReplayedFunction(major);
  const r = await psql(box, `select pg_catalog.${fn}()`);
  if (!r.ok || !/^[0-9A-F]+\/[0-9A-F]+$/.test(r.out))
    throw new DrillFailed('could-not-run', `the restored server did not say where replay ended (${fn}): ${r.err || JSON.stringify(r.out)}`);
  return r.out;
}

/** Each table's rows, counted in each database (plain tables of the tenant's schemas; no function of theirs runs). */
const COUNT_SQL = `select count(*), coalesce(sum((pg_catalog.xpath('/row/c/text()', pg_catalog.query_to_xml(pg_catalog.format('select count(*) as c from %I.%I', n.nspname, c.relname), false, true, '')))[1]::text::bigint), 0)
 from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast'`;

export async function counts(box: CellScratch): Promise<{ databases: string[]; tables: number; rows: number }> {
  const list = await psql(box, 'select datname from pg_catalog.pg_database where datallowconn and not datistemplate order by 1');
  if (!list.ok) throw new DrillFailed('query-failed', `the restored server did not list its databases: ${list.err}`);
  const databases = list.out ? list.out.split('\n') : [];
  let tables = 0;
  let rows = 0;
  for (const db of databases) {
    const r = await psql(box, COUNT_SQL, db);
    if (!r.ok) throw new DrillFailed('query-failed', `counting the rows of ${db} failed: ${r.err}`);
    const [t = '0', n = '0'] = r.out.split('|');
    tables += Number(t);
    rows += Number(n);
  }
  return { databases, tables, rows };
}
