/**
 * Builds a REAL wal-e 0.9.2-layout archive from a REAL PostgreSQL cluster (Debian's 15, or the
 * server binaries of another major given as `bin`): WAL archived through lzop by archive_command, a
 * base backup taken as wal-e takes it (the low-level backup API around a copy of the data folder)
 * split into lzop'd tar partitions, extended_version.txt, the stop sentinel, Dingo's sysids/sysid,
 * and rows written after the base backup that exist only in archived WAL.
 *
 * Runs as root: the cluster is a copy of the tool's initdb template (fresh-cluster.ts), and its
 * server runs in a scratch sandbox of its own (test-postgres.ts), reading `dir` (a tenant's library
 * there) and writing its data folder, the archive's WAL folder and the base backups' copies. What it
 * leaves is as a server run as `postgres` left it: the working folder, the archive's folder, its WAL
 * folder and the WAL in it are that account's (`dir` is chmod'ed 0755).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ObjectStore } from '../../src/core/seams.js';
import { execFileSync } from 'node:child_process';
import { pathIs } from '../../src/systems/pg-install.js';
import { pipeThrough, runOk, type RunAs } from '../../src/systems/processes.js';
import { Header } from 'tar';
import { builtOnce, contentKey } from './built-once.js';
import { freshTestCluster } from './fresh-cluster.js';
import { giveBack, openTestPostgres } from './test-postgres.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

/** The machine's `postgres` account, whose a Debian server's files are: the generator leaves what its server wrote as that account's. */
export function postgresAccount(): RunAs {
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres']).toString());
  return { name: 'postgres', uid: id('-u'), gid: id('-g'), home: '/var/lib/postgresql' };
}
/** The table the generator fills; one row per id. */
export const DRILL_TABLE = 'drill_rows';
/** The role that owns it, as the role apps bind with owns a Dingo instance's tables: it logs in, and is no superuser. */
const APP_ROLE = 'appuser';
const SEGMENT_BYTES = 16 * 1024 * 1024;

export interface GenerateOptions {
  dir: string;
  /** Rows in the base backup. */
  rowsBefore?: number;
  /** Rows written after the base backup, recoverable only by WAL replay. */
  rowsAfter?: number;
  /** More WAL segments after the backup (rowsAfter is spread across them). */
  extraWalSwitches?: number;
  /** Tar partitions the base backup is split into (wal-e splits by size; tests want several). */
  partitions?: number;
  /** Batches of rows committed after the base backup, about a second apart, each one transaction; another base backup after batch `backupAfter` (from 1). */
  batches?: { count: number; rows: number; backupAfter?: number };
  /** A tenant's preparations: SQL run in the postgres database before the base backup, and lines put in its postgresql.auto.conf (not loaded by the generating server). */
  tenant?: { sql: string[]; autoConf: string[] };
  /** Statements run after the batches, each in a transaction of its own (a bad DELETE, a TRUNCATE): their ids come back in `mistakes`. */
  mistakes?: string[];
  /** The server's bin folder (default Debian's 15): initdb (for the template), pg_resetwal, postgres, psql. */
  bin?: string;
  /** The server's log_timezone, which the backup label's START and STOP TIME are written in (default initdb's). */
  logTimezone?: string;
  /** More lines of the server's postgresql.conf (max_connections = 40…), which its pg_control then records. */
  settings?: string[];
  /** The server restarted after batch `afterBatch` (from 1) with these lines added: WAL that changes what a hot standby must hold. */
  restart?: { afterBatch: number; settings: string[] };
  /** The first transaction id the tenant's statements get (pg_resetwal -x on the fresh cluster; under 32768, on the first page of pg_xact). */
  nextXid?: number;
  /** Rows written after the last archived segment, in the segment the server was still writing: a copy of that segment is kept as `tail`. */
  unarchivedRows?: number;
  /** More of the environment of the server (and its archive_command), psql and pg_resetwal: libfaketime's, to write on another day. */
  env?: NodeJS.ProcessEnv;
}

export interface GeneratedArchive {
  /** Local folder mirroring the keys under the wal prefix (basebackups_005/, wal_005/, sysids/). */
  root: string;
  sysid: string;
  /** Name of the base backup, e.g. base_000000010000000000000002_00000040. */
  latest: string;
  /** Rows the restored table must hold: rowsBefore + rowsAfter. */
  rowsAfter: number;
  rowsBefore: number;
  /** Archived WAL segment names (24 hex), ascending. */
  segments: string[];
  /** Output of `select version()`. */
  version: string;
  /** The segment the backup started in and the one it stopped in. */
  startSegment: string;
  stopSegment: string;
  /** Each batch's last id, and clock times read just before its transaction and just after it committed. */
  batches: Batch[];
  /** Every base backup, oldest first (the last is `latest`): its segments, a clock time read after it ended, and its label as archived. */
  backups: { name: string; ended: Date; startSegment: string; stopSegment: string; label: string }[];
  /** The server's major version, e.g. "10" or "15". */
  major: string;
  /** Each of `mistakes`: the statement and the id of the transaction it committed in. */
  mistakes: { sql: string; xid: string }[];
  /** With `unarchivedRows`: the segment the server was writing when it stopped (never archived), copied to `file` as the server had it, and its rows' last id. */
  tail?: { segment: string; file: string; lastId: number };
}

interface Batch {
  lastId: number;
  before: Date;
  committed: Date;
}

/** The moment halfway between batch `n` (0-based) committed and the next begun: batch `n` in, the next out. */
export function betweenBatches(archive: { batches: readonly Batch[] }, n: number): Date {
  const [done, next] = [archive.batches[n]!, archive.batches[n + 1]!];
  return new Date((done.committed.getTime() + next.before.getTime()) / 2);
}

async function own(path: string, as: RunAs): Promise<void> {
  await chown(path, as.uid, as.gid);
}

function pyJson(value: unknown): string {
  // Python's json.dumps separators (", " and ": "), as wal-e writes its sentinel.
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pyJson(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

function lsnToBytes(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

/** Offset within its segment, as wal-e names it: decimal, zero-padded to 8. */
function walEOffset(lsn: string): string {
  return (lsnToBytes(lsn) % BigInt(SEGMENT_BYTES)).toString().padStart(8, '0');
}

async function filesUnder(dir: string): Promise<{ path: string; size: number; isDir: boolean }[]> {
  const out: { path: string; size: number; isDir: boolean }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const full = join(entry.parentPath, entry.name);
    const isDir = entry.isDirectory();
    out.push({ path: relative(dir, full), size: isDir ? 0 : (await stat(full)).size, isDir });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** The files an archive's making depends on, besides its options and the server's version. */
const GENERATOR_SOURCES = ['test/support/wale-archive.ts', 'test/support/fresh-cluster.ts', 'test/support/test-postgres.ts'];

/**
 * A generated archive in a working folder of `opts.dir`: a copy of the one built before with the
 * same options by the same server's version (test/support/built-once.ts), else one built now. One
 * whose options name `opts.dir` (a tenant's library there) is built every time.
 */
export async function generateWaleArchive(opts: GenerateOptions): Promise<GeneratedArchive> {
  const { dir, ...rest } = opts;
  if (JSON.stringify(rest).includes(dir)) return buildWaleArchive(opts);
  const version = execFileSync(join(opts.bin ?? PG_BIN, 'postgres'), ['--version'])
    .toString()
    .trim();
  const built = await builtOnce('wale-archive', contentKey({ rest, version }, GENERATOR_SOURCES), async (into) => {
    const archive = await buildWaleArchive({ ...opts, dir: into });
    const from = join(archive.root, '..');
    await rename(from, join(into, BUILT));
    return rebased(archive, from, '');
  });
  if (!built) return buildWaleArchive(opts);
  await chmod(dir, 0o755);
  const work = await mkdtemp(join(dir, 'wale-gen-'));
  // The copy's files are as the generating server left them: the postgres account's, as a build's are.
  await runOk(['cp', '-a', '-T', '--', join(built.dir, BUILT), work]);
  return revived(rebased(built.meta, '', work));
}

/** The folder of a cache entry the generator's working folder is kept in. */
const BUILT = 'work';

/** `archive` with its paths in `from` given in `to` instead (either '' for relative paths). */
function rebased(archive: GeneratedArchive, from: string, to: string): GeneratedArchive {
  const move = (path: string): string => join(to, from ? relative(from, path) : path);
  return { ...archive, root: move(archive.root), ...(archive.tail && { tail: { ...archive.tail, file: move(archive.tail.file) } }) };
}

/** An archive whose dates its JSON held as text, with dates again. */
function revived(a: GeneratedArchive): GeneratedArchive {
  return {
    ...a,
    batches: a.batches.map((b) => ({ ...b, before: new Date(b.before), committed: new Date(b.committed) })),
    backups: a.backups.map((b) => ({ ...b, ended: new Date(b.ended) })),
  };
}

async function buildWaleArchive(opts: GenerateOptions): Promise<GeneratedArchive> {
  const rowsBefore = opts.rowsBefore ?? 1000;
  const rowsAfter = opts.rowsAfter ?? 100;
  const switches = 1 + (opts.extraWalSwitches ?? 0);
  const partitions = Math.max(1, opts.partitions ?? 2);
  const as = postgresAccount();

  await chmod(opts.dir, 0o755);
  const work = await mkdtemp(join(opts.dir, 'wale-gen-'));
  await chmod(work, 0o755);
  const data = join(work, 'data');
  const root = join(work, 'archive');
  const stage = join(work, 'stage');
  for (const d of [work, root, join(root, 'wal_005'), stage]) {
    await mkdir(d, { recursive: true });
    await own(d, as);
  }
  const binDir = opts.bin ?? PG_BIN;

  try {
    return await buildArchive();
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    throw err;
  }

  async function buildArchive(): Promise<GeneratedArchive> {
    await freshTestCluster(binDir, data);
    const walDir = join(root, 'wal_005');
    const conf = [
      'fsync = off',
      'synchronous_commit = off',
      'wal_level = replica',
      'archive_mode = on',
      // wal-e's layout: every archived file (segment, .backup label, .history) as <name>.lzo.
      `archive_command = 'lzop -q -c %p > ${walDir}/%f.lzo.part && mv ${walDir}/%f.lzo.part ${walDir}/%f.lzo'`,
      'max_wal_size = 1GB',
      'checkpoint_timeout = 30min',
      ...(opts.logTimezone ? [`log_timezone = '${opts.logTimezone}'`] : []),
      ...(opts.settings ?? []),
    ];
    await writeFile(join(data, 'postgresql.conf'), `\n${conf.join('\n')}\n`, { flag: 'a' });
    const log = join(work, 'postgres.log');
    const pg = await openTestPostgres({
      dataDir: data,
      bin: binDir,
      writable: [walDir, stage],
      readable: [opts.dir],
      logFile: log,
      env: opts.env,
    });
    /** psql on the generating server, running `what` (['-c', SQL] or ['-f', FILE]). */
    const psql = (...what: string[]) => pg.psql('postgres', ['-A', '-t', ...what]);
    const sql = async (query: string): Promise<string> => (await psql('-c', query)).trim();
    try {
      if (opts.nextXid) await pg.run('pg_resetwal', ['-x', String(opts.nextXid), '-D', data]);
      await pg.start();
      const version = await sql('select version()');
      const major = String(Math.floor(Number(await sql('show server_version_num')) / 10000));
      await sql(`create table ${DRILL_TABLE} (id int primary key, note text not null)`);
      await sql(`insert into ${DRILL_TABLE} select g, md5(g::text) from generate_series(1, ${rowsBefore}) g`);
      await sql(`create role ${APP_ROLE} login`);
      await sql(`alter table ${DRILL_TABLE} owner to ${APP_ROLE}`);
      for (const statement of opts.tenant?.sql ?? []) await sql(statement);
      if (opts.tenant) await writeFile(join(data, 'postgresql.auto.conf'), `${opts.tenant.autoConf.join('\n')}\n`, { flag: 'a' });

      const backups: { name: string; ended: Date; start: string; stop: RegExpExecArray; label: string }[] = [];
      const takeBackup = async (): Promise<void> => {
        const folder = join(stage, `backup-${backups.length}`);
        await mkdir(folder);
        await own(folder, pg.scratch.account);
        backups.push(await baseBackup(folder, version));
      };
      await takeBackup();

      // Rows that only WAL replay can bring back.
      const batches: Batch[] = [];
      for (let i = 0; i < (opts.batches?.count ?? 0); i++) {
        if (i > 0) await sql('select pg_sleep(1)');
        const from = rowsBefore + i * opts.batches!.rows;
        const before = new Date(Number(await sql('select floor(extract(epoch from clock_timestamp()) * 1000)')));
        await sql(`insert into ${DRILL_TABLE} select g, md5(g::text) from generate_series(${from + 1}, ${from + opts.batches!.rows}) g`);
        const committed = new Date(Number(await sql('select ceil(extract(epoch from clock_timestamp()) * 1000)')));
        batches.push({ lastId: from + opts.batches!.rows, before, committed });
        if (opts.batches?.backupAfter === i + 1) await takeBackup();
        if (opts.restart?.afterBatch === i + 1) {
          await writeFile(join(data, 'postgresql.conf'), `${opts.restart.settings.join('\n')}\n`, { flag: 'a' });
          await pg.stop('fast');
          await pg.start();
        }
      }
      const mistakes: { sql: string; xid: string }[] = [];
      for (const statement of opts.mistakes ?? []) {
        const xid = (await psql('-c', 'begin', '-c', statement, '-c', 'select txid_current()', '-c', 'commit')).trim();
        mistakes.push({ sql: statement, xid: String(Number(xid) % 2 ** 32) });
      }
      const latest = backups[backups.length - 1]!;
      let written = batches.length * (opts.batches?.rows ?? 0);
      let lastSwitched = '';
      for (let i = 0; i < switches; i++) {
        const n = Math.floor(rowsAfter / switches) + (i < rowsAfter % switches ? 1 : 0);
        if (n > 0) {
          await sql(
            `insert into ${DRILL_TABLE} select g, md5(g::text) from generate_series(${rowsBefore + written + 1}, ${rowsBefore + written + n}) g`,
          );
        }
        written += n;
        lastSwitched = await sql('select pg_walfile_name(pg_switch_wal())');
      }
      // Segments are archived in order: the last one there, all are. Not pg_stat_archiver: before 15 the statistics
      // collector needs a UDP socket on localhost, which the sandbox's network namespace lacks.
      await waitFor(() => pathIs(join(walDir, `${lastSwitched}.lzo`), 'exists'), 'WAL archiving');

      const sysid = await sql('select system_identifier from pg_catalog.pg_control_system()');
      if (!/^\d+$/.test(sysid)) throw new Error(`pg_control_system() gave no system identifier: ${sysid}`);
      await mkdir(join(root, 'sysids'), { recursive: true });
      await writeFile(join(root, 'sysids', 'sysid'), `${sysid}\n`);

      const tail = opts.unarchivedRows ? await copyTail(rowsBefore + written, opts.unarchivedRows) : undefined;
      const segments = (await readdir(walDir))
        .map((f) => /^([0-9A-F]{24})\.lzo$/.exec(f)?.[1])
        .filter((s): s is string => !!s)
        .sort();
      return {
        root,
        sysid,
        latest: latest.name,
        rowsAfter: rowsBefore + written,
        rowsBefore,
        segments,
        version,
        startSegment: latest.start,
        stopSegment: latest.stop[2]!,
        batches,
        backups: backups.map(({ name, ended, start, stop, label }) => ({ name, ended, startSegment: start, stopSegment: stop[2]!, label })),
        major,
        mistakes,
        ...(tail && { tail }),
      };
    } finally {
      try {
        await pg.stop('immediate');
      } finally {
        await pg.close();
        // Root's again after the sandbox: the postgres account's, as the server left them when it ran as that account.
        await giveBack(as, [walDir, log]);
        await rm(data, { recursive: true, force: true });
        await rm(stage, { recursive: true, force: true });
      }
    }

    /**
     * Rows committed (and flushed) in the segment after the last archived one, and a copy of that
     * segment as it stands in pg_wal: what a standby promoted then would archive as <segment>.partial.
     */
    async function copyTail(lastId: number, rows: number): Promise<{ segment: string; file: string; lastId: number }> {
      await sql(`insert into ${DRILL_TABLE} select g, md5(g::text) from generate_series(${lastId + 1}, ${lastId + rows}) g`);
      await sql('checkpoint');
      const segment = await sql('select pg_walfile_name(pg_current_wal_flush_lsn())');
      const file = join(work, `${segment}.tail`);
      await writeFile(file, await readFile(join(data, 'pg_wal', segment)));
      return { segment, file, lastId: lastId + rows };
    }

    /**
     * A base backup as wal-e takes one: the low-level backup API (non-exclusive, in one psql session)
     * around a copy of the data folder, its backup_label written into the copy; written in wal-e's
     * layout. Its start segment, its label's STOP line and the label as archived.
     */
    async function baseBackup(
      folder: string,
      version: string,
    ): Promise<{ name: string; ended: Date; start: string; stop: RegExpExecArray; label: string }> {
      const files = join(folder, 'files');
      const script = join(folder, 'backup.sql');
      const modern = Number(await sql('show server_version_num')) >= 150000;
      await writeFile(
        script,
        [
          modern ? "select pg_catalog.pg_backup_start('wal-e', true);" : "select pg_catalog.pg_start_backup('wal-e', true, false);",
          // The server runs meanwhile: a file that vanishes during the copy (a WAL temp file, a statistics file) makes cp
          // exit 1 with the copy otherwise whole, so the WAL folder is emptied whatever cp said, as wal-e leaves it out.
          `\\! cp -a ${data} ${files}; rm -rf ${files}/pg_wal/* ${files}/postmaster.pid ${files}/postmaster.opts`,
          `\\o ${join(files, 'backup_label')}`,
          modern
            ? 'select labelfile from pg_catalog.pg_backup_stop(true);'
            : 'select labelfile from pg_catalog.pg_stop_backup(false, true);',
          '',
        ].join('\n'),
      );
      await psql('-f', script);
      // The backup history file gives start/stop exactly as wal-e's pg_stop_backup() did.
      const labels = (await readdir(join(data, 'pg_wal'))).filter((f) => f.endsWith('.backup')).sort();
      const labelText = await readFile(join(data, 'pg_wal', labels[labels.length - 1]!), 'utf8');
      const start = /START WAL LOCATION: (\S+) \(file ([0-9A-F]{24})\)/.exec(labelText);
      const stop = /STOP WAL LOCATION: (\S+) \(file ([0-9A-F]{24})\)/.exec(labelText);
      if (!start || !stop) throw new Error(`unexpected backup label:\n${labelText}`);
      const name = `base_${start[2]}_${walEOffset(start[1]!)}`;
      const ended = new Date(Number(await sql('select ceil(extract(epoch from clock_timestamp()) * 1000)')));
      await writeBaseBackup({ root, latest: name, files, stage: folder, partitions, version, stopLsn: stop[1]!, stopSegment: stop[2]! });
      return { name, ended, start: start[2]!, stop, label: labelText };
    }
  }
}

async function writeBaseBackup(b: {
  root: string;
  latest: string;
  files: string;
  stage: string;
  partitions: number;
  version: string;
  stopLsn: string;
  stopSegment: string;
}): Promise<void> {
  const files = b.files;
  const entries = await filesUnder(files);
  const expanded = entries.reduce((n, e) => n + e.size, 0);

  // Greedy by size, directories first in partition 0, like wal-e's partitioner keeps whole files.
  const bins: { names: string[]; bytes: number }[] = Array.from({ length: b.partitions }, () => ({ names: [], bytes: 0 }));
  for (const e of entries.filter((e) => e.isDir)) bins[0]!.names.push(e.path);
  for (const e of entries.filter((e) => !e.isDir).sort((x, y) => y.size - x.size)) {
    const bin = bins.reduce((min, cur) => (cur.bytes < min.bytes ? cur : min));
    bin.names.push(e.path);
    bin.bytes += e.size;
  }
  const backupDir = join(b.root, 'basebackups_005', b.latest);
  await mkdir(join(backupDir, 'tar_partitions'), { recursive: true });
  // wal-e's first member is the data folder itself, which Python's tarfile names "/" (wal_e/tar_partition.py
  // `partition` lists the walk's root, named by what follows it: ''): a header of its own before GNU tar's members.
  const root = new Header({ path: '/', type: 'Directory', mode: 0o700, uid: 0, gid: 0, size: 0, mtime: new Date() });
  root.encode();
  const rootHeader = join(b.stage, 'root.tar-header');
  await writeFile(rootHeader, root.block!);
  for (const [i, bin] of bins.entries()) {
    if (bin.names.length === 0) continue;
    const list = join(b.stage, `part_${i}.list`);
    await writeFile(list, bin.names.join('\n') + '\n');
    const part = join(backupDir, 'tar_partitions', `part_${String(i).padStart(8, '0')}.tar.lzo`);
    const tar = ['tar', '-c', '--no-recursion', '--owner=0', '--group=0', '-C', files, '-T', list];
    await pipeThrough(
      createReadStream(i === 0 ? rootHeader : '/dev/null'),
      [{ argv: ['sh', '-c', 'cat && exec "$@"', 'sh', ...tar] }, { argv: ['lzop', '-q', '-c'] }],
      createWriteStream(part),
    );
  }
  await writeFile(join(backupDir, 'extended_version.txt'), b.version);
  const sentinel = {
    wal_segment_backup_stop: b.stopSegment,
    wal_segment_offset_backup_stop: walEOffset(b.stopLsn),
    expanded_size_bytes: expanded,
    spec: { base_prefix: '/data/postgres0', tablespaces: [] },
  };
  await writeFile(join(b.root, 'basebackups_005', `${b.latest}_backup_stop_sentinel.json`), pyJson(sentinel));
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every file under `root`, as keys relative to it. The sentinel goes last, as wal-e uploads it. */
export async function archiveKeys(root: string): Promise<string[]> {
  const keys = (await filesUnder(root)).filter((e) => !e.isDir && !e.path.endsWith('.part')).map((e) => e.path);
  const isSentinel = (k: string) => k.endsWith('_backup_stop_sentinel.json');
  return [...keys.filter((k) => !isSentinel(k)), ...keys.filter(isSentinel)];
}

/** Upload a generated archive under `prefix` (ending with "/"). */
export async function uploadArchive(store: ObjectStore, root: string, bucket: string, prefix: string): Promise<void> {
  const p = prefix.endsWith('/') || prefix === '' ? prefix : `${prefix}/`;
  for (const key of await archiveKeys(root)) {
    await store.put({ bucket, key: p + key }, await readFile(join(root, key)));
  }
}

/** Remove the generator's working folder (the archive lives inside it). */
export async function removeArchive(archive: GeneratedArchive): Promise<void> {
  await rm(join(archive.root, '..'), { recursive: true, force: true });
}
