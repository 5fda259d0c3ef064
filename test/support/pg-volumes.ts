/**
 * A Docker volumes folder (/var/lib/docker/volumes/NAME/_data) holding real PostgreSQL 15 clusters
 * (fresh-cluster.ts) filled with data, among decoys: a Redis dump, a MySQL folder, an empty volume,
 * a cluster whose server was killed (postmaster.pid left, state "in production"), a 9.6 cluster
 * whose binaries are not installed here, and the fresh empty cluster a later `up` creates.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, mkdirSync, readdirSync, lstatSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { LAYOUTS, crc32c, crcOffset } from '../../src/systems/pg-control.js';
import { registerPostmaster } from './server-registry.js';
import { builtOnce, contentKey } from './built-once.js';
import { freshTestCluster } from './fresh-cluster.js';
import { giveBack, openTestPostgres } from './test-postgres.js';
import { dumpDatabases } from '../../src/volumes/look.js';
import type { DumpFacts } from '../../src/volumes/dump-facts.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
const PG = {
  uid: Number(execFileSync('id', ['-u', 'postgres']).toString()),
  gid: Number(execFileSync('id', ['-g', 'postgres']).toString()),
};

function asPostgres(argv: string[], input?: string): string {
  return execFileSync('runuser', ['-u', 'postgres', '--', ...argv], { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
}

let portSeq = 25432 + (process.pid % 1000) * 3;

/**
 * A fresh cluster in `dataDir` (fresh-cluster.ts), started, `sql` run against database `db` (and `postgresSql` against postgres),
 * then stopped (or killed, or left running); with the server binaries in `bin` (default Debian's 15; psql is always 15's), its
 * server reading `readable` besides (a tenant's library its statements copy). Stopped or killed, it ran in a scratch sandbox
 * (test-postgres.ts); the folder is left the postgres account's, as a volume of the postgres image is.
 */
export async function makeCluster(
  dataDir: string,
  db: string,
  sql: string,
  end: 'stop' | 'kill' | 'run',
  postgresSql?: string,
  bin = PG_BIN,
  readable: string[] = [],
): Promise<void> {
  mkdirSync(dirname(dataDir), { recursive: true });
  if (end === 'run') {
    await leaveRunning(dataDir, db, sql, postgresSql, bin);
    return;
  }
  await freshTestCluster(bin, dataDir);
  const pg = await openTestPostgres({
    dataDir,
    bin,
    clientBin: PG_BIN,
    readable,
    settings: [
      ['fsync', 'off'],
      ['timezone', 'UTC'],
    ],
  });
  try {
    await pg.start();
    await pg.psql('postgres', [], `CREATE DATABASE ${db};`);
    await pg.psql(db, [], sql);
    if (postgresSql) await pg.psql('postgres', [], postgresSql);
    // Killed, its postmaster.pid stays and its cluster is "in production"; its backends go with the sandbox.
    await pg.stop(end === 'kill' ? 'kill' : 'fast');
  } finally {
    await pg.close();
    await giveBack(PG, [dataDir]);
  }
}

/**
 * The cluster's server started as the postgres account by pg_ctl, which detaches it: a server an
 * interrupted run left running, which outlives the run (a scratch sandbox's would end with it).
 */
async function leaveRunning(dataDir: string, db: string, sql: string, postgresSql: string | undefined, bin: string): Promise<void> {
  await freshTestCluster(bin, dataDir, PG);
  const sock = mkdtempSync(join(tmpdir(), 'pgvol-sock-'));
  chownSync(sock, PG.uid, PG.gid);
  const port = portSeq++;
  asPostgres([
    join(bin, 'pg_ctl'),
    '-D',
    dataDir,
    '-w',
    '-s',
    '-l',
    join(sock, 'log'),
    '-o',
    `-p ${port} -k ${sock} -c listen_addresses='' -c fsync=off -c timezone=UTC`,
    'start',
  ]);
  // Stopped by the run's registry should the run be interrupted before its test stops it.
  const stopped = registerPostmaster(dataDir);
  const psql = (database: string, text: string): string =>
    asPostgres(
      [join(PG_BIN, 'psql'), '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', sock, '-p', String(port), '-U', 'postgres', '-d', database],
      text,
    );
  try {
    psql('postgres', `CREATE DATABASE ${db};`);
    psql(db, sql);
    if (postgresSql) psql('postgres', postgresSql);
  } catch (err) {
    // A failing statement must not leave the server running behind the failed test.
    asPostgres([join(bin, 'pg_ctl'), '-D', dataDir, '-w', '-s', '-m', 'immediate', 'stop']);
    stopped();
    throw err;
  } finally {
    rmSync(sock, { recursive: true, force: true });
  }
}

/** A pg_control of a 9.6 cluster, laid out as 9.6 writes it, with a valid CRC. */
export function pgControl96(systemId: bigint, checkpointAt: Date): Buffer {
  const buf = Buffer.alloc(8192);
  const layout = LAYOUTS.find((l) => l.name === '9.6')!;
  buf.writeBigUInt64LE(systemId, 0);
  buf.writeUInt32LE(layout.controlVersion, 8);
  buf.writeUInt32LE(201608131, 12);
  buf.writeInt32LE(1, 16); // shut down
  buf.writeBigInt64LE(BigInt(Math.floor(checkpointAt.getTime() / 1000)), 24);
  buf.writeBigUInt64LE(0x3000028n, 32); // checkPoint
  buf.writeBigUInt64LE(0x2000060n, 40); // prevCheckPoint
  // checkPointCopy at 48: redo, ThisTimeLineID, …, time at +56 (after 12 4-byte fields past fullPageWrites)
  buf.writeBigUInt64LE(0x3000028n, 48);
  buf.writeUInt32LE(1, 56);
  buf.writeUInt32LE(1, 60);
  buf.writeBigInt64LE(BigInt(Math.floor(checkpointAt.getTime() / 1000)), 48 + 56);
  const at = crcOffset('9.6');
  buf.writeUInt32LE(crc32c(buf.subarray(0, at)), at);
  return buf;
}

export interface VolumesTree {
  root: string;
  /** Volume names by role. */
  names: { wanted: string; older: string; killed: string; old96: string; redis: string; mysql: string; empty: string; fresh: string };
  cleanup(): void;
}

const hex = (seed: string): string => createHash('sha256').update(seed).digest('hex');

/**
 * The tree in a temporary folder of its own: a copy of the one built before by the same sources and
 * server (built-once.ts), or one built now; `cleanup` removes it.
 */
export async function buildVolumesTree(): Promise<VolumesTree> {
  const version = execFileSync(join(PG_BIN, 'postgres'), ['--version']).toString().trim();
  const built = await builtOnce('volumes-tree', contentKey({ version }, TREE_SOURCES), async (into) => {
    await makeVolumesTree(join(into, 'tree'));
    return {};
  });
  const root = mkdtempSync(join(tmpdir(), 'pgvolumes-'));
  const cleanup = (): void => {
    rmSync(root, { recursive: true, force: true });
  };
  try {
    if (built) execFileSync('cp', ['-a', '-T', '--', join(built.dir, 'tree'), root]);
    else await makeVolumesTree(root);
  } catch (err) {
    cleanup();
    throw err;
  }
  return { root, names: TREE_NAMES, cleanup };
}

/** The files the tree's making depends on, besides the server's version. */
const TREE_SOURCES = ['test/support/pg-volumes.ts', 'test/support/fresh-cluster.ts', 'test/support/test-postgres.ts'];

const TREE_NAMES: VolumesTree['names'] = {
  older: hex('older'),
  killed: hex('killed'),
  old96: hex('old96'),
  redis: hex('redis'),
  mysql: hex('mysql'),
  empty: hex('empty'),
  wanted: hex('wanted'),
  fresh: hex('fresh'),
};

/**
 * Makes the tree in `root` (made when missing). The wanted cluster (database `originalenclosure`, a
 * `posts` table) is the last to hold tables, so its checkpoint is the newest of those; its data sits
 * in `_data/pgdata` as with PGDATA=/var/lib/postgresql/data/pgdata. Only the fresh, empty cluster
 * made after it is newer.
 */
async function makeVolumesTree(root: string): Promise<void> {
  mkdirSync(root, { recursive: true });
  execFileSync('chmod', ['755', root]);
  const names = TREE_NAMES;
  const data = (n: string): string => join(root, n, '_data');
  await makeCluster(
    data(names.older),
    'shop',
    `CREATE TABLE orders(id serial primary key, placed_at timestamptz not null, total numeric);
     INSERT INTO orders(placed_at, total) SELECT timestamptz '2019-01-01' + g * interval '1 hour', g FROM generate_series(1, 5000) g;`,
    'stop',
  );
  await makeCluster(
    data(names.killed),
    'crm',
    `CREATE TABLE contacts(id serial primary key, name text, seen_at timestamp);
     INSERT INTO contacts(name, seen_at) SELECT 'c' || g, timestamp '2020-06-01' + g * interval '1 minute' FROM generate_series(1, 3000) g;
     CHECKPOINT;
     INSERT INTO contacts(name, seen_at) SELECT 'late' || g, timestamp '2021-01-01' + g * interval '1 minute' FROM generate_series(1, 100) g;`,
    'kill',
  );
  const d96 = data(names.old96);
  mkdirSync(join(d96, 'global'), { recursive: true });
  mkdirSync(join(d96, 'pg_xlog'), { recursive: true });
  writeFileSync(join(d96, 'PG_VERSION'), '9.6\n');
  writeFileSync(join(d96, 'global', 'pg_control'), pgControl96(6400000000000000001n, new Date('2018-03-04T05:06:07Z')));
  mkdirSync(data(names.redis), { recursive: true });
  writeFileSync(join(data(names.redis), 'dump.rdb'), Buffer.concat([Buffer.from('REDIS0009'), Buffer.alloc(64, 0xfa)]));
  mkdirSync(join(data(names.mysql), 'mysql'), { recursive: true });
  writeFileSync(join(data(names.mysql), 'ibdata1'), Buffer.alloc(1024));
  writeFileSync(join(data(names.mysql), 'auto.cnf'), '[auto]\nserver-uuid=1\n');
  mkdirSync(data(names.empty), { recursive: true });
  // One second later, so the wanted cluster's checkpoint is the newest by the clock pg_control keeps.
  execFileSync('sleep', ['1.1']);
  const pgdata = join(data(names.wanted), 'pgdata');
  mkdirSync(data(names.wanted), { recursive: true });
  await makeCluster(
    pgdata,
    'originalenclosure',
    `CREATE SCHEMA blog;
     CREATE TABLE blog.posts(id serial primary key, title text, published_at timestamptz);
     INSERT INTO blog.posts(title, published_at) SELECT 'post ' || g, timestamptz '2022-01-01' + g * interval '1 day' FROM generate_series(1, 400) g;
     CREATE TABLE public.visits(id bigserial primary key, at timestamptz, path text);
     INSERT INTO public.visits(at, path) SELECT timestamptz '2023-01-01' + g * interval '1 second', '/p/' || (g % 50) FROM generate_series(1, 20000) g;`,
    'stop',
    // Left where the official image puts data by default: the postgres database.
    `CREATE TABLE public.newsletter(id serial primary key, email text, joined date);
     INSERT INTO public.newsletter(email, joined) SELECT 'u' || g || '@example.org', date '2023-03-01' + g FROM generate_series(1, 30) g;`,
  );
  // The next `docker compose up` on a new volume: initdb, POSTGRES_DB=app created, no table. Its checkpoint is the newest of all.
  execFileSync('sleep', ['1.1']);
  await makeCluster(data(names.fresh), 'app', 'SELECT 1;', 'stop');
}

/** Every file and folder under `root`: path → size, mode, mtime and sha256 of the contents. */
export function manifest(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = lstatSync(p);
      const rel = relative(root, p);
      if (st.isDirectory()) {
        out.set(rel + '/', `dir ${st.mode} ${st.mtimeMs}`);
        walk(p);
      } else {
        const sum = st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : 'special';
        out.set(rel, `${st.size} ${st.mode} ${st.mtimeMs} ${sum}`);
      }
    }
  };
  walk(root);
  return out;
}

/**
 * A real `pg_dump -Fc` of database `db` filled by `sql`: a PostgreSQL 15 cluster made in a folder of
 * `work` (which must let the postgres account pass), stopped, then dumped as `volumes look` dumps.
 */
export async function makeDump(work: string, db: string, sql: string): Promise<DumpFacts> {
  const folder = mkdtempSync(join(work, `${db}-`));
  execFileSync('chmod', ['755', folder]);
  await makeCluster(join(folder, 'data'), db, sql, 'stop');
  const scratch = mkdtempSync(join(folder, 'scratch-'));
  execFileSync('chmod', ['755', scratch]);
  const [dump] = await dumpDatabases({
    dataDir: join(folder, 'data'),
    major: '15',
    workDir: scratch,
    databases: [db],
    outDir: join(folder, 'dumps'),
  });
  return dump!;
}
