/**
 * A throwaway PostgreSQL on a COPY of a volume's data folder: the local server binaries of its
 * major version when installed, else the `postgres:<major>` image through the Docker Engine with the
 * copy bind-mounted. Only the copy is touched: its stale postmaster.pid and recovery signals are
 * moved aside inside the copy, and access is by our own hba file (trust, on a private socket or
 * 127.0.0.1 only), so nobody's password is needed.
 */
import { rename, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StepFailed } from '../core/errors.js';
import type { DockerEngine } from '../core/seams.js';
import { freePort } from '../systems/ports.js';
import { postgresAccount, run, runOk, type RunAs } from '../systems/processes.js';
import { DEBIAN_PG_ROOT, localBinaries } from './identify.js';

export interface Conn {
  /** psql/pg_dump connection flags. */
  args: string[];
  user: string;
}

export interface ScratchServer {
  /** How it runs: "local PostgreSQL 15 (/usr/lib/postgresql/15/bin)" or "container postgres:9.6". */
  how: string;
  conn: Conn;
  /** Client binaries (psql, pg_dump) new enough for this server. */
  clientBin: string;
  /** Things done to the copy so it would start (moved-aside files). */
  notes: string[];
  query(database: string, sql: string): Promise<string[][]>;
  stop(): Promise<void>;
}

const SEP = '\x1f';
const ASIDE_SUFFIX = '.moved-aside-by-dingo-recover';

/** The newest local client binaries: pg_dump reads servers older than itself, never newer. */
export async function newestLocalBin(root = DEBIAN_PG_ROOT): Promise<{ bin: string; major: number } | null> {
  const majors = (await readdir(root).catch(() => [] as string[])).map(Number).filter((n) => Number.isFinite(n) && n >= 9);
  majors.sort((a, b) => b - a);
  for (const m of majors) {
    const b = await localBinaries(String(m), root);
    if ('bin' in b) return { bin: b.bin, major: m };
  }
  return null;
}

/** Moves aside, inside the copy, what would stop a server from starting on it or make it wait for a primary. */
async function prepareCopy(dataDir: string): Promise<string[]> {
  const notes: string[] = [];
  for (const name of ['postmaster.pid', 'standby.signal', 'recovery.signal', 'recovery.conf']) {
    try {
      await rename(join(dataDir, name), join(dataDir, name + ASIDE_SUFFIX));
      notes.push(`moved ${name} aside in the copy (as ${name}${ASIDE_SUFFIX})`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return notes;
}

function parseRows(stdout: string): string[][] {
  const records = stdout.split('\0');
  if (records.length && records[records.length - 1]!.replace(/\n$/, '') === '') records.pop();
  return records.map((r) => r.replace(/^\n/, '').split(SEP));
}

function querier(clientBin: string, conn: Conn, as?: RunAs) {
  return async (database: string, sql: string): Promise<string[][]> => {
    const r = await run(
      [
        join(clientBin, 'psql'),
        '-X',
        '-q',
        '-A',
        '-t',
        '-F',
        SEP,
        '-0',
        '-v',
        'ON_ERROR_STOP=1',
        ...conn.args,
        '-U',
        conn.user,
        '-d',
        database,
        '-c',
        sql,
      ],
      { as },
    );
    if (r.code !== 0) throw new Error((r.stderr || r.stdout).trim() || `psql exited with ${r.code}`);
    return parseRows(r.stdout);
  };
}

/** The bootstrap superuser's name (POSTGRES_USER may have renamed it), asked of a single-user backend on the copy. */
async function superuserName(bin: string, dataDir: string, as?: RunAs): Promise<string> {
  const r = await run([join(bin, 'postgres'), '--single', '-D', dataDir, '-j', 'template1'], {
    as,
    stdin: 'select rolname from pg_authid where oid = 10;\n',
  });
  return /rolname = "([^"]+)"/.exec(r.stdout)?.[1] ?? 'postgres';
}

export interface StartOptions {
  /** The copy's PostgreSQL data folder (PG_VERSION at its top). */
  dataDir: string;
  major: string;
  /** A scratch folder of ours for the socket and log. */
  workDir: string;
  engine?: DockerEngine;
  /** Where server binaries of the volume's major are looked for (default /usr/lib/postgresql). */
  binRoot?: string;
  /** Where the client binaries (psql, pg_dump) are looked for (default /usr/lib/postgresql). */
  clientBinRoot?: string;
  /** How long crash recovery on the copy may take. */
  startTimeoutSeconds?: number;
  progress?: (text: string) => void;
}

export async function startScratchServer(o: StartOptions): Promise<ScratchServer> {
  const notes = await prepareCopy(o.dataDir);
  const local = await localBinaries(o.major, o.binRoot);
  const client = await newestLocalBin(o.clientBinRoot);
  if (!client) {
    throw new StepFailed('no PostgreSQL client binaries (psql, pg_dump) on this machine', {
      hint: 'install the newest PostgreSQL client and server packages (apt-get install postgresql-16, or any major at least as new as the volume)',
    });
  }
  if (client.major < Number(o.major)) {
    throw new StepFailed(`the newest local pg_dump is PostgreSQL ${client.major}, older than the volume's ${o.major}`, {
      hint: `install PostgreSQL ${o.major} or newer here (apt-get install postgresql-${o.major})`,
    });
  }
  const port = await freePort();
  if ('bin' in local) {
    const as = postgresAccount();
    const hba = join(o.workDir, 'hba.conf');
    await writeFile(hba, 'local all all trust\n', { mode: 0o644 });
    const logFile = join(o.workDir, 'server.log');
    if (as) await runOk(['chown', `${as.uid}:${as.gid}`, o.workDir]);
    o.progress?.(`starting PostgreSQL ${o.major} from ${local.bin} on the copy (crash recovery runs on the copy if needed)`);
    const opts = [
      `-p ${port}`,
      `-k ${o.workDir}`,
      `-c listen_addresses=''`,
      `-c hba_file=${hba}`,
      '-c archive_mode=off',
      `-c shared_preload_libraries=''`,
      '-c max_connections=20',
    ].join(' ');
    const startArgv = [
      join(local.bin, 'pg_ctl'),
      '-D',
      o.dataDir,
      '-l',
      logFile,
      '-w',
      '-t',
      String(o.startTimeoutSeconds ?? 600),
      '-s',
      '-o',
      opts,
      'start',
    ];
    const started = await run(startArgv, { as });
    if (started.code !== 0) {
      const { readFile } = await import('node:fs/promises');
      const log = await readFile(logFile, 'utf8').catch(() => '');
      const fatal = log.split('\n').filter((l) => /FATAL|PANIC/.test(l));
      throw new StepFailed(`PostgreSQL ${o.major} did not start on the copy: ${(fatal.slice(-3).join(' | ') || started.stderr).trim()}`, {
        hint: `the server log is ${logFile}; the original volume was not touched`,
      });
    }
    const stop = async (): Promise<void> => {
      await run([join(local.bin, 'pg_ctl'), '-D', o.dataDir, '-m', 'fast', '-w', '-s', 'stop'], { as });
    };
    let conn: Conn = { args: ['-h', o.workDir, '-p', String(port)], user: 'postgres' };
    let query = querier(client.bin, conn, as);
    try {
      await query('template1', 'select 1');
    } catch (err) {
      await stop();
      if (!/role "postgres" does not exist/.test((err as Error).message)) throw err;
      const user = await superuserName(local.bin, o.dataDir, as);
      await runOk(startArgv, { as });
      conn = { ...conn, user };
      query = querier(client.bin, conn, as);
    }
    return { how: `local PostgreSQL ${o.major} (${local.bin})`, conn, clientBin: client.bin, notes, query, stop };
  }
  if (!o.engine) {
    throw new StepFailed(`no PostgreSQL ${o.major} server here to look inside the copy`, {
      hint: `install ${local.missing.replace(/; or the postgres.*$/, '')}, or give --docker-host so the postgres:${o.major} image runs it`,
    });
  }
  const image = `postgres:${o.major}`;
  if (!(await o.engine.hasImage(image))) {
    throw new StepFailed(`the image ${image} is not on this host and PostgreSQL ${o.major} is not installed`, {
      hint: `docker pull ${image} (or install postgresql-${o.major}), then run this again`,
    });
  }
  await writeFile(join(o.dataDir, 'dingo-recover-hba.conf'), 'local all all trust\nhost all all 0.0.0.0/0 trust\n', { mode: 0o644 });
  notes.push('wrote dingo-recover-hba.conf into the copy (trust, for the published 127.0.0.1 port only)');
  const name = `dingo-recover-look-${port}`;
  o.progress?.(`starting ${image} on the copy, published on 127.0.0.1:${port}`);
  const id = await o.engine.createContainer({
    name,
    image,
    cmd: [
      'postgres',
      '-c',
      'hba_file=/var/lib/postgresql/data/dingo-recover-hba.conf',
      '-c',
      'archive_mode=off',
      '-c',
      'listen_addresses=*',
    ],
    binds: [{ source: o.dataDir, target: '/var/lib/postgresql/data', readOnly: false }],
    publish: { containerPort: 5432, hostPort: port },
    labels: { 'dingo-recover.purpose': 'look inside a copy of a volume' },
  });
  const engine = o.engine;
  const stop = async (): Promise<void> => {
    await engine.stopContainer(id, 30);
    await engine.removeContainer(id);
  };
  await engine.startContainer(id);
  const conn: Conn = { args: ['-h', '127.0.0.1', '-p', String(port)], user: 'postgres' };
  const deadline = Date.now() + (o.startTimeoutSeconds ?? 600) * 1000;
  for (;;) {
    const r = await run([join(client.bin, 'pg_isready'), '-q', ...conn.args]);
    if (r.code === 0) break;
    if (Date.now() > deadline) {
      await stop();
      throw new StepFailed(`${image} did not accept connections on the copy in time`, {
        hint: `see docker logs ${name}; the original volume was not touched`,
      });
    }
    await new Promise((res) => setTimeout(res, 500));
  }
  return { how: `container ${image} (${id.slice(0, 12)})`, conn, clientBin: client.bin, notes, query: querier(client.bin, conn), stop };
}
