/**
 * A throwaway PostgreSQL on a COPY of a volume's data folder: the local server binaries of its
 * major version when installed, else the `postgres:<major>` image through the Docker Engine with the
 * copy bind-mounted. Only the copy is touched: its stale postmaster.pid and recovery signals are
 * moved aside inside the copy, and access is by our own hba file (trust, on a 0700 socket folder of
 * ours or 127.0.0.1 only), so nobody's password is needed. The local server runs as the scratch
 * account in a network namespace of its own (systems/scratch-account.ts); the copy's own settings that
 * run commands or load libraries are overridden on the command line, and every session forces
 * search_path to pg_catalog (systems/pg-sandbox.ts). Our superuser session only reads catalogs; the
 * tables are read by `read`, as a role that is no superuser in READ ONLY transactions, once the copy
 * was made safe for it (systems/pg-reader.ts).
 */
import { chmod, chown, mkdtemp, rename, writeFile } from 'node:fs/promises';
import { readLog } from '../core/read-regular.js';
import { basename, join } from 'node:path';
import { truncate } from '../core/display.js';
import { messageOf, StepFailed } from '../core/errors.js';
import type { DockerEngine } from '../core/seams.js';
import { freePort } from '../systems/ports.js';
import { pipeThrough, run, runOk, type RunAs } from '../systems/processes.js';
import { programLines } from '../systems/pg-lines.js';
import { isolated, scratchAccount } from '../systems/scratch-account.js';
import { prepareReading, READER_ROLE } from '../systems/pg-reader.js';
import type { Query, QueryLines } from '../systems/pg-query.js';
import { localBinaries } from './identify.js';
import { newestLocalBin } from '../systems/pg-install.js';
import { IMAGE_DATA_DIR, IMAGE_PORT, IMAGE_SOCKET_DIR, requireImage, startInImage } from '../systems/pg-image.js';
import {
  APART_SOCKET_PREFIX,
  clientEnv,
  postgresArgs,
  postgresOptions,
  sandboxSettings,
  serverEnv,
  removeApartSocketFolder,
  settingsFor,
  socketFits,
  unprivilegedClientEnv,
} from '../systems/pg-sandbox.js';

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
  /** Things done to the copy so it would start (moved-aside files) and be read safely (roles changed), and where its socket is when not in the scratch folder. */
  notes: string[];
  /** Our own catalog reads, as the copy's superuser: system catalogs and qualified system functions only. */
  query: Query;
  /** Reads of the tenant's tables, as the reader role (no superuser) in a READ ONLY transaction. */
  read: Query;
  /** The same reads, their output streamed line by line (a table of any size: `COPY (…) TO STDOUT`). */
  readLines: QueryLines;
  stop(): Promise<void>;
}

const SEP = '\x1f';
const ASIDE_SUFFIX = '.moved-aside-by-dingo-recover';

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

/**
 * The locale a server's words say this machine lacks: a postgresql.conf lc_* value it refused at
 * start, or the LC_COLLATE / LC_CTYPE a database was made with, refused at connection. Null otherwise.
 */
export function missingLocale(text: string): string | null {
  const setting = /invalid value for parameter "lc_\w+": "([^"]+)"/.exec(text);
  if (setting) return setting[1]!;
  if (!/database locale is incompatible with operating system/.test(text)) return null;
  return /initialized with LC_(?:COLLATE|CTYPE) "([^"]+)"/.exec(text)?.[1] ?? 'its locale';
}

/** A locale of the copy this machine lacks: the postgres:<major> image, which has it, can run the copy instead. */
export class LocaleMissing extends StepFailed {}

/** What to do about a locale of the copy that this machine lacks. */
export function localeMissing(locale: string, major: string, what: string): LocaleMissing {
  const [language, charset] = locale.split('.');
  const charmap = !charset || /^utf-?8$/i.test(charset) ? 'UTF-8' : charset;
  return new LocaleMissing(
    `the copy's cluster uses the locale ${locale}, which this machine lacks: PostgreSQL ${major} cannot ${what} without it`,
    {
      hint: `add the locale here (sudo localedef -i ${language ?? locale} -f ${charmap} ${locale}, or list it in /etc/locale.gen and run locale-gen), or give --docker-host so the postgres:${major} image, which has it, runs the copy; then resume. The original volume was not touched`,
    },
  );
}

/**
 * Runs one statement with psql and gives its rows (fields split on a separator no value holds): as
 * `conn.user`, or with `reader` as `readerRole` (no superuser) in READ ONLY transactions.
 */
export function querier(clientBin: string, conn: Conn, as?: RunAs, major = '', reader = false, readerRole = READER_ROLE) {
  const user = reader ? readerRole : conn.user;
  const env = reader ? unprivilegedClientEnv(undefined, true) : clientEnv();
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
        user,
        '-d',
        database,
        '-c',
        sql,
      ],
      { as, env },
    );
    if (r.code !== 0) {
      const text = (r.stderr || r.stdout).trim();
      const locale = missingLocale(text);
      if (locale) throw localeMissing(locale, major, `open the database ${database}`);
      throw new Error(text || `psql exited with ${r.code}`);
    }
    return parseRows(r.stdout);
  };
}

/**
 * Runs one statement with psql as `readerRole` (no superuser) in READ ONLY transactions and gives the
 * lines it prints as they come, a batch per read (systems/pg-lines.ts).
 */
export function lineReader(clientBin: string, conn: Conn, as?: RunAs, major = '', readerRole = READER_ROLE): QueryLines {
  const env = unprivilegedClientEnv(undefined, true);
  return (database: string, sql: string): AsyncGenerator<string[]> => {
    const psql = [join(clientBin, 'psql'), '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...conn.args, '-U', readerRole, '-d', database];
    return programLines(pipeThrough, { argv: [...psql, '-c', sql], opts: { as, env } }, (text) => {
      const locale = missingLocale(text);
      return locale ? localeMissing(locale, major, `open the database ${database}`) : new Error(text || 'psql failed');
    });
  };
}

/** The bootstrap superuser's name (POSTGRES_USER may have renamed it), asked of a single-user backend on the copy. */
async function superuserName(bin: string, dataDir: string, settings: [string, string][], as: RunAs): Promise<string> {
  const single = settings.filter(([name]) => !['port', 'listen_addresses', 'unix_socket_directories'].includes(name));
  const r = await run(
    isolated([join(bin, 'postgres'), '--single', '-D', dataDir, ...postgresArgs(single), '-j', 'template1'], as, [dataDir]),
    {
      env: serverEnv(),
      stdin: 'set search_path = pg_catalog, pg_temp;\nselect rolname from pg_catalog.pg_authid where oid operator(pg_catalog.=) 10;\n',
    },
  );
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
  const client = await clientFor(o.major, o.clientBinRoot);
  const port = await freePort();
  if ('bin' in local) {
    try {
      return await startLocal(o, local.bin, client.bin, port, notes);
    } catch (err) {
      // The local server stopped already: the image, which has the locale, runs the copy instead.
      if (!(err instanceof LocaleMissing) || !o.engine) throw err;
      notes.push(
        `the local PostgreSQL ${o.major} could not open the copy (${err.message.replace(/^the copy's cluster /, 'it ')}), so the postgres:${o.major} image ran it`,
      );
      return startInContainer(o, o.engine, client.bin, notes);
    }
  }
  if (!o.engine) {
    throw new StepFailed(`no PostgreSQL ${o.major} server here to look inside the copy`, {
      hint: `install ${local.missing.replace(/; or the postgres.*$/, ')')}, or give --docker-host so the postgres:${o.major} image runs it`,
    });
  }
  return startInContainer(o, o.engine, client.bin, notes);
}

/** The newest local client binaries, refused when missing or older than the volume's major. */
async function clientFor(major: string, root: string | undefined): Promise<{ bin: string; major: number }> {
  const client = await newestLocalBin(root);
  if (!client) {
    throw new StepFailed('no PostgreSQL client binaries (psql, pg_dump) on this machine', {
      hint: 'install the newest PostgreSQL client and server packages (apt-get install postgresql-16, or any major at least as new as the volume)',
    });
  }
  if (client.major < Number(major)) {
    throw new StepFailed(`the newest local pg_dump is PostgreSQL ${client.major}, older than the volume's ${major}`, {
      hint: `install PostgreSQL ${major} or newer here (apt-get install postgresql-${major})`,
    });
  }
  return client;
}

/** The settings the copy's server starts with: our socket folder and hba file, no TCP, none of the copy's commands or libraries. */
function copySettings(o: StartOptions, port: number, socketDir: string, hba: string): [string, string][] {
  return settingsFor(Number(o.major), [
    ...sandboxSettings({ dataDir: o.dataDir, socketDir, port, hbaFile: hba }),
    ['max_connections', '20'],
  ]);
}

/** The pg_ctl start command for the copy. */
function pgCtlStart(o: StartOptions, bin: string, settings: [string, string][], logFile: string): string[] {
  const opts = postgresOptions(settings);
  return [join(bin, 'pg_ctl'), '-D', o.dataDir, '-l', logFile, '-w', '-t', String(o.startTimeoutSeconds ?? 600), '-s', '-o', opts, 'start'];
}

/** A socket folder this module made in /tmp, removed by whoever stops its server after a kill (actions/support/restore-copy.ts). */
export { removeApartSocketFolder };
/** Whether a server a kill left on a copy has ended, for whoever stops it (actions/support/restore-copy.ts). */
export { endsWithin, namesData } from '../systems/postmaster.js';

/**
 * Starts a server through START with a new folder only the server's account may enter (its socket, its hba file),
 * made in `parent`, or in /tmp when a socket in `parent` would pass the 107 bytes of a Unix socket's path
 * (PostgreSQL would start on no socket at all). START is handed the folder and what the sandbox must let the server
 * write besides its own folders; a folder in /tmp goes when START fails, and when the server stops (or, the run
 * killed first, when a resume stops what it left: restore-copy.ts, pg-image.ts).
 */
async function withSocketFolder(
  parent: string,
  as: Pick<RunAs, 'uid' | 'gid'> | undefined,
  notes: string[],
  start: (socketDir: string, writable: string[]) => Promise<ScratchServer>,
): Promise<ScratchServer> {
  const apart = !socketFits(join(parent, 'sock-XXXXXX'));
  const path = await mkdtemp(apart ? APART_SOCKET_PREFIX : join(parent, 'sock-'));
  const remove = async (): Promise<void> => {
    if (apart) await removeApartSocketFolder(path);
  };
  let server: ScratchServer;
  try {
    await chmod(path, 0o700);
    if (as) await chown(path, as.uid, as.gid);
    if (apart) notes.push(`its socket is in ${path}, removed when it stops: ${parent} is too deep for a Unix socket's path`);
    server = await start(path, apart ? [path] : []);
  } catch (err) {
    await remove();
    throw err;
  }
  return {
    ...server,
    async stop() {
      try {
        await server.stop();
      } finally {
        await remove();
      }
    },
  };
}

/** The local server binaries of the volume's major on the copy, run as the scratch account in a network namespace of its own. */
async function startLocal(o: StartOptions, bin: string, clientBin: string, port: number, notes: string[]): Promise<ScratchServer> {
  const as = scratchAccount();
  return withSocketFolder(o.workDir, as, notes, async (socketDir, writable) => {
    const hba = join(socketDir, 'hba.conf');
    await writeFile(hba, 'local all all trust\n', { mode: 0o600 });
    await chown(hba, as.uid, as.gid);
    const logFile = join(o.workDir, 'server.log');
    await runOk(['chown', `${as.uid}:${as.gid}`, o.workDir]);
    // The copy is ours, the scratch account's alone (never following a link out of it).
    await runOk(['chown', '-R', '-h', '-P', `${as.uid}:${as.gid}`, o.dataDir]);
    o.progress?.(`starting PostgreSQL ${o.major} from ${bin} on the copy (crash recovery runs on the copy if needed)`);
    const settings = copySettings(o, port, socketDir, hba);
    const startArgv = isolated(pgCtlStart(o, bin, settings, logFile), as, [o.workDir, o.dataDir, ...writable]);
    const started = await run(startArgv, { env: serverEnv() });
    if (started.code !== 0) {
      const log = await readLog(logFile).catch(() => '');
      const locale = missingLocale(log);
      if (locale) throw localeMissing(locale, o.major, 'start on it');
      const fatal = log.split('\n').filter((l) => /FATAL|PANIC/.test(l));
      throw new StepFailed(`PostgreSQL ${o.major} did not start on the copy: ${(fatal.slice(-3).join(' | ') || started.stderr).trim()}`, {
        hint: `the server log is ${logFile}; the original volume was not touched`,
      });
    }
    const stop = async (): Promise<void> => {
      await run([join(bin, 'pg_ctl'), '-D', o.dataDir, '-m', 'fast', '-w', '-s', 'stop'], { as, env: serverEnv() });
    };
    let conn: Conn = { args: ['-h', socketDir, '-p', String(port)], user: 'postgres' };
    try {
      await querier(clientBin, conn, as, o.major)('template1', 'select 1');
    } catch (err) {
      await stop();
      if (!/role "postgres" does not exist/.test((err as Error).message)) throw err;
      // POSTGRES_USER renamed the bootstrap superuser: ask the copy for its name, and start again.
      conn = { ...conn, user: await superuserName(bin, o.dataDir, settings, as) };
      await runOk(startArgv, { env: serverEnv() });
    }
    return readable(`local PostgreSQL ${o.major} (${bin})`, o.major, clientBin, conn, as, notes, stop);
  });
}

/**
 * The `postgres:<major>` image on the copy, reachable only through its socket (mode 0700, the
 * server's account's) in a folder of ours bind-mounted where the image keeps it: no port is
 * published and no TCP listened on, so no other local user reaches the copy's superuser. Nothing is pulled.
 */
async function startInContainer(o: StartOptions, engine: DockerEngine, clientBin: string, notes: string[]): Promise<ScratchServer> {
  const image = await requireImage(engine, o.major);
  // Both folders are made the image's postgres account's when its container starts (systems/pg-image.ts).
  return withSocketFolder(o.workDir, undefined, notes, async (socketDir) => {
    await writeFile(join(o.dataDir, 'dingo-recover-hba.conf'), 'local all all trust\n', { mode: 0o600 });
    notes.push(`wrote dingo-recover-hba.conf into the copy (trust, on its socket in ${socketDir} only: no TCP)`);
    const name = `dingo-recover-look-${basename(socketDir)}`;
    o.progress?.(`starting ${image} on the copy, its socket in ${socketDir}`);
    const server = await startInImage({
      engine,
      major: o.major,
      dataDir: o.dataDir,
      socketDir,
      settings: containerSettings(o.major),
      name,
      purpose: 'look inside a copy of a volume',
    });
    const conn: Conn = { args: ['-h', socketDir, '-p', String(IMAGE_PORT)], user: 'postgres' };
    const ready = await acceptsConnections(clientBin, conn, o.startTimeoutSeconds ?? 600, () => engine.isRunning(server.id));
    if (ready !== 'ready') {
      // Its last words, read before the container goes with them; each line cut short (a token of the copy's settings is quoted whole).
      const said = (
        await engine.containerLogs(server.id, LAST_LOG_LINES).catch((err: unknown) => `(its log could not be read: ${messageOf(err)})`)
      )
        .trimEnd()
        .split('\n')
        .map((line) => truncate(line, LAST_LOG_LINE_WIDTH))
        .join('\n');
      await server.remove();
      throw new StepFailed(
        ready === 'exited'
          ? `${image} stopped on the copy before it accepted connections`
          : `${image} did not accept connections on the copy in time`,
        { hint: `the original volume was not touched; the container's last lines:\n${said || '(none)'}` },
      );
    }
    return readable(server.how, o.major, clientBin, conn, undefined, notes, server.remove);
  });
}

/** The server once the copy was made safe to read as the reader role (stopped when that fails). */
async function readable(
  how: string,
  major: string,
  clientBin: string,
  conn: Conn,
  as: RunAs | undefined,
  notes: string[],
  stop: () => Promise<void>,
): Promise<ScratchServer> {
  const query = querier(clientBin, conn, as, major);
  try {
    notes.push(...(await prepareReading(query, 'template1', Number(major))));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    how,
    conn,
    clientBin,
    notes,
    query,
    read: querier(clientBin, conn, as, major, true),
    readLines: lineReader(clientBin, conn, as, major),
    stop,
  };
}

/** The settings of the copy's server in the image: the sandbox's, on the image's port, its socket in the folder bind-mounted for it, no TCP. */
function containerSettings(major: string): [string, string][] {
  const data = IMAGE_DATA_DIR;
  return settingsFor(
    Number(major),
    sandboxSettings({ dataDir: data, socketDir: IMAGE_SOCKET_DIR, port: IMAGE_PORT, hbaFile: `${data}/dingo-recover-hba.conf` }),
  );
}

/** How many of its last lines a container that did not serve the copy is shown by, and how much of each at most. */
const LAST_LOG_LINES = 20;
const LAST_LOG_LINE_WIDTH = 300;

/**
 * Whether the server accepts connections within `timeoutSeconds` (pg_isready every half second), or
 * stopped first (`running` answers false): a server that exited is not waited for.
 */
async function acceptsConnections(
  clientBin: string,
  conn: Conn,
  timeoutSeconds: number,
  running: () => Promise<boolean>,
): Promise<'ready' | 'exited' | 'late'> {
  const deadline = performance.now() + timeoutSeconds * 1000;
  for (;;) {
    const r = await run([join(clientBin, 'pg_isready'), '-q', ...conn.args], { env: clientEnv() });
    if (r.code === 0) return 'ready';
    if (!(await running())) return 'exited';
    if (performance.now() > deadline) return 'late';
    await new Promise((res) => setTimeout(res, 500));
  }
}
